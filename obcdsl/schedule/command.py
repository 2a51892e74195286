"""`obcdsl render CONTRACT --to docx|html|md [--out FILE] [--template house.docx]`."""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(commands) -> None:
    render = commands.add_parser("render", help="the payment schedule as Word, HTML or Markdown",
                                 description="Render the contract's payment terms as a schedule to sign.")
    render.add_argument("contract", metavar="CONTRACT", help="the .obc contract")
    render.add_argument("--to", required=True, choices=("docx", "html", "md"), help="the document format")
    render.add_argument("--out", metavar="FILE", help="where to write (default: standard output for html and md)")
    render.add_argument("--template", metavar="HOUSE.docx", help="a Word document whose styles, page set-up, headers and "
                                                                  "footers the schedule uses (docx only)")


def run(args) -> int:
    """Check the contract, build the schedule once, and write it in the format asked for."""
    if args.to == "docx" and not args.out:
        sys.stderr.write("usage: obcdsl render CONTRACT --to docx --out FILE.docx [--template HOUSE.docx]\n"
                         "obcdsl: error: a Word document cannot go to standard output; give --out FILE.docx\n")
        return 2
    if args.template and args.to != "docx":
        sys.stderr.write("obcdsl: error: --template is a Word document's house style; it goes with --to docx only\n")
        return 2
    for path, what in ((args.contract, "contract"), (args.template, "template")):
        if path and not Path(path).is_file():
            sys.stderr.write(f"obcdsl: no such {what} file: `{path}`\n")
            return 2
    from ..data_template import checked_or_refused

    contract = checked_or_refused(args.contract)
    if contract is None:
        return 1
    from .document import schedule_for

    document = schedule_for(contract)
    if args.to == "docx":
        from .word import to_docx

        to_docx(document, args.out, args.template)
        sys.stderr.write(f"wrote {args.out}\n")
        return 0
    if args.to == "html":
        from .html import to_html

        text = to_html(document)
    else:
        from .markdown import to_markdown

        text = to_markdown(document)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        sys.stderr.write(f"wrote {args.out}\n")
    else:
        sys.stdout.write(text)
    return 0
