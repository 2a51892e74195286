"""`obcdsl render CONTRACT --to docx|html|md [--out FILE]`."""

from __future__ import annotations


def add_parser(commands) -> None:
    render = commands.add_parser("render", help="the payment schedule as Word, HTML or Markdown",
                                 description="Render the contract's payment terms as a schedule to sign.")
    render.add_argument("contract", metavar="CONTRACT", help="the .obc contract")
    render.add_argument("--to", required=True, choices=("docx", "html", "md"), help="the document format")
    render.add_argument("--out", metavar="FILE", help="where to write (default: standard output for html and md)")


def run(args) -> int:
    raise NotImplementedError("obcdsl render")
