"""The risk-share chart: as an inline SVG's geometry (HTML) and as a PNG drawn with matplotlib (Word)."""

from __future__ import annotations

from decimal import Decimal

import attrs

from .document import Chart

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 680, 340, 80, 20, 20, 50
PROVIDER_COLOUR, COMMISSIONER_COLOUR = "#ee7733", "#4477aa"


@attrs.frozen
class Svg:
    """What the HTML template draws: two polylines, the band edges, the axes and their labels."""

    width: int
    height: int
    provider: str  # "x,y x,y ..."
    commissioner: str
    edges: tuple[float, ...]  # x of each band edge
    zero_x: float
    zero_y: float
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    top: int
    bottom: int
    left: int
    right: int


def millions(amount: Decimal) -> str:
    value = amount / Decimal(1_000_000)
    sign = "−" if value < 0 else ""
    return f"{sign}£{abs(value):,.1f}m"


def svg_of(chart: Chart) -> Svg:
    xs = [p.variance for p in chart.points]
    ys = [y for p in chart.points for y in (p.provider, p.commissioner)]
    x_low, x_high = min(xs), max(xs)
    y_low, y_high = min(ys + [Decimal(0)]), max(ys + [Decimal(0)])
    if y_high == y_low:
        y_high = y_low + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(value: Decimal) -> float:
        return round(LEFT + float((value - x_low) / (x_high - x_low)) * plot_w, 1)

    def y(value: Decimal) -> float:
        return round(TOP + float((y_high - value) / (y_high - y_low)) * plot_h, 1)

    def line(attribute: str) -> str:
        return " ".join(f"{x(p.variance)},{y(getattr(p, attribute))}" for p in chart.points)

    x_ticks = tuple((x(x_low + (x_high - x_low) * i / 4), millions(x_low + (x_high - x_low) * i / 4)) for i in range(5))
    y_ticks = tuple((y(y_low + (y_high - y_low) * i / 4), millions(y_low + (y_high - y_low) * i / 4)) for i in range(5))
    return Svg(WIDTH, HEIGHT, line("provider"), line("commissioner"), tuple(x(e) for e in chart.edges), x(Decimal(0)),
               y(Decimal(0)), x_ticks, y_ticks, TOP, HEIGHT - BOTTOM, LEFT, WIDTH - RIGHT)


def png_of(chart: Chart) -> bytes:
    """The chart as a PNG (matplotlib, imported here: only `render --to docx` draws it)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.5, 3.3))
    xs = [float(p.variance) / 1e6 for p in chart.points]
    axes.plot(xs, [float(p.provider) / 1e6 for p in chart.points], color=PROVIDER_COLOUR,
              label="provider: kept (+) or borne (−)")
    axes.plot(xs, [float(p.commissioner) / 1e6 for p in chart.points], color=COMMISSIONER_COLOUR,
              label="commissioner: kept (+) or borne (−)")
    for edge in chart.edges:
        axes.axvline(float(edge) / 1e6, color="#999999", linestyle=":", linewidth=1)
    axes.axvline(0, color="#222222", linewidth=0.8)
    axes.axhline(0, color="#222222", linewidth=0.8)
    axes.set_xlabel("actual cost less budget, £ million")
    axes.set_ylabel("£ million")
    axes.legend(fontsize=8)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=150)
    plt.close(figure)
    return out.getvalue()
