"""The schedule as HTML, through the Jinja2 templates packaged in `obcdsl/schedule/templates/` (autoescaped)."""

from __future__ import annotations

from .chart import COMMISSIONER_COLOUR, PROVIDER_COLOUR, svg_of
from .document import Chart, Document, Paragraph, Table


def to_html(document: Document) -> str:
    from importlib import resources

    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: resources.files("obcdsl.schedule").joinpath("templates", name).read_text("utf-8")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template("schedule.html.j2")
    stylesheet = resources.files("obcdsl.schedule").joinpath("templates", "schedule.css").read_text("utf-8")
    return template.render(document=document, stylesheet=stylesheet, svg_of=svg_of, is_paragraph=lambda b: isinstance(b, Paragraph),
                           is_table=lambda b: isinstance(b, Table), is_chart=lambda b: isinstance(b, Chart),
                           provider_colour=PROVIDER_COLOUR, commissioner_colour=COMMISSIONER_COLOUR)
