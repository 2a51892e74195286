"""The schedule as Markdown: headings by part, numbered paragraphs, pipe tables, the chart's figures as a table."""

from __future__ import annotations

from ..money import pounds
from .document import Chart, Document, Paragraph, Table


def cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table_lines(table: Table) -> list[str]:
    lines = [f"*{table.caption}*", "", "| " + " | ".join(cell(h) for h in table.header) + " |",
             "|" + "|".join("---" for _ in table.header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    return lines + [""]


def chart_lines(chart: Chart) -> list[str]:
    """A chart in Markdown: its figures at the band edges and the ends of the range, as a table."""
    wanted = {chart.points[0].variance, chart.points[-1].variance, *chart.edges}
    rows = tuple((pounds(p.variance), pounds(p.provider), pounds(p.commissioner)) for p in chart.points if p.variance in wanted)
    return table_lines(Table(chart.caption, ("Actual cost less budget", "Provider's part", "Commissioner's part"), rows))


def to_markdown(document: Document) -> str:
    lines = [f"# {document.title}", "", f"**{document.subtitle}**", ""]
    for section in document.sections:
        marks = "#" * (section.level + 1)
        lines += [f"{marks} {section.number}: {section.heading}" if section.level < 3 else f"{marks} {section.heading}", ""]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                title = f"*{block.title}.* " if block.title else ""
                lines += [f"**{block.number}** {title}{block.text}", ""]
            elif isinstance(block, Table):
                lines += table_lines(block)
            else:
                lines += chart_lines(block)
    return "\n".join(lines).rstrip() + "\n"
