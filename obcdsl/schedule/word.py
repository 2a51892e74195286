"""The schedule as a Word document, through python-docx; a house template's styles are used when given."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Optional

from .chart import png_of
from .document import Document, Paragraph, Table


def to_docx(document: Document, out: str | Path, template: Optional[str | Path] = None) -> None:
    """Write the document; with `template`, start from that .docx (its styles, headers and footers, its body emptied)."""
    import docx
    from docx.shared import Inches

    word = docx.Document(str(template)) if template is not None else docx.Document()
    if template is not None:
        body = word.element.body
        for child in list(body):
            if not child.tag.endswith("}sectPr"):  # keep the page set-up, headers and footers
                body.remove(child)
    styles = {s.name for s in word.styles}

    def heading(text: str, level: int) -> None:
        name = "Title" if level == 0 else f"Heading {level}"
        if name in styles:
            word.add_paragraph(text, style=name)
        else:
            word.add_paragraph().add_run(text).bold = True

    heading(document.title, 0)
    word.add_paragraph(document.subtitle)
    for section in document.sections:
        heading(f"{section.number}: {section.heading}" if section.level < 3 else section.heading, section.level)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                paragraph = word.add_paragraph()
                paragraph.add_run(f"{block.number}\t").bold = True
                if block.title:
                    paragraph.add_run(f"{block.title}. ").bold = True
                paragraph.add_run(block.text)
            elif isinstance(block, Table):
                caption = word.add_paragraph(style="Caption" if "Caption" in styles else None)
                caption.add_run(block.caption).italic = True
                table = word.add_table(rows=1, cols=len(block.header))
                if "Table Grid" in styles:
                    table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, block.header):
                    cell.text = ""
                    cell.paragraphs[0].add_run(text).bold = True
                for row in block.rows:
                    cells = table.add_row().cells
                    for cell, text in zip(cells, row):
                        cell.text = text
            else:
                word.add_picture(io.BytesIO(png_of(block)), width=Inches(6.3))
                word.add_paragraph().add_run(block.caption).italic = True
    word.core_properties.title = f"{document.title}: {document.subtitle}"
    word.save(str(out))
