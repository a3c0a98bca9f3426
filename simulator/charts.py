"""Score charts people read at a glance, for the supervisor dashboard (SVG in the page) and the
coaching reports (PNG in HTML/PDF): one home for how a score chart looks.

Rules every chart keeps: every value is a visible mark (a one-attempt trend is a dot, not an
empty frame), attempt axes count in whole numbers, axis titles and legends come in the caller's
language, and the figure is cut to everything it draws (legend outside the axes included), so
nothing is clipped at any page width; the SVG keeps its text as text and scales with its box.
"""

from __future__ import annotations

import io
import re
from typing import Any

from pydantic import BaseModel, Field

BLUE, ORANGE = "#4477aa", "#ee7733"
# Tol's colour-blind-safe qualitative palette: lines stay distinguishable for up to 8 trainees.
PALETTE = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb", "#000000"]
MAX_LINES = len(PALETTE)
PNG_DPI = 110
# ~420 CSS px: drawn at full size in a desktop column and scaled by only ~0.8 on a 390 px phone,
# so the 9-10 pt text stays readable there; legends go below the plot to keep that width.
WIDTH_IN = 4.4


class BarSeries(BaseModel):
    """One colour of bars: a value per label (None: no bar for that label)."""

    name: str
    values: list[float | None]
    color: str = BLUE


class BarChart(BaseModel):
    """Horizontal bars, one row per label top-down in the given order (long names fit)."""

    labels: list[str]
    series: list[BarSeries]
    value_title: str
    value_max: float = 4
    value_format: str = "{:.1f}"


class LineSeries(BaseModel):
    name: str
    x: list[int]
    y: list[float]
    highlight: list[bool] = Field(default_factory=list, description="points drawn larger (e.g. the reported sessions)")


class LineChart(BaseModel):
    """Totals over attempts; x is the attempt number (1, 2, ...)."""

    series: list[LineSeries]
    x_title: str
    y_title: str
    y_max: float = 100
    x_labels: dict[int, str] = Field(default_factory=dict, description="tick text per attempt, e.g. its date")
    legend: bool = True


_READY = False


def _figure(width: float, height: float) -> tuple[Any, Any]:
    """A Figure and its axes, without pyplot: pyplot keeps global state, and the web app draws
    charts from several threads at once."""
    global _READY
    if not _READY:
        import matplotlib
        import matplotlib_fontja  # noqa: F401  (registers IPAexGothic as the default family)
        # SVG text stays text (the page's fonts draw it); set once, never per call (not thread-safe)
        matplotlib.rcParams["svg.fonttype"] = "none"
        _READY = True
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height))
    return fig, fig.subplots()


def bar_figure(chart: BarChart) -> Any:
    n, k = len(chart.labels), max(1, len(chart.series))
    fig, ax = _figure(WIDTH_IN, 0.5 * n * (1 + 0.4 * (k - 1)) + 1.1)
    height = 0.7 / k
    ys = list(range(n))[::-1]  # first label on top
    for j, s in enumerate(chart.series):
        offset = (k - 1) / 2 * height - j * height
        pts = [(y + offset, v) for y, v in zip(ys, s.values) if v is not None]
        bars = ax.barh([p[0] for p in pts], [p[1] for p in pts], height=height * 0.92, color=s.color,
                       label=s.name, gid=f"sim-bars-{j}")
        ax.bar_label(bars, labels=[chart.value_format.format(p[1]) for p in pts], padding=3, fontsize=9)
    ax.set_yticks(ys, chart.labels, fontsize=10)
    ax.set_xlim(0, chart.value_max * 1.12)  # room for the value written after a full bar
    ax.set_xticks([x for x in range(int(chart.value_max) + 1)])
    ax.set_xlabel(chart.value_title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if len(chart.series) > 1:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=len(chart.series), fontsize=9,
                  frameon=False)
    return fig


def line_figure(chart: LineChart) -> Any:
    from matplotlib.ticker import MaxNLocator
    fig, ax = _figure(WIDTH_IN, 2.6)
    xmax = max([1] + [x for s in chart.series for x in s.x])
    for i, s in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        # gid: the browser tests find each trainee's line (and count its points) by it
        ax.plot(s.x, s.y, marker="o", markersize=5, linewidth=1.6, color=color, label=s.name,
                gid=f"sim-line-{i}", clip_on=False)  # a 0 or a 100 sits on the frame, drawn whole
        big = [(x, y) for x, y, h in zip(s.x, s.y, s.highlight) if h]
        if big:
            ax.plot([p[0] for p in big], [p[1] for p in big], linestyle="none", marker="o", markersize=10,
                    color=ORANGE, zorder=3, clip_on=False)
    ax.set_xlim(0.5, xmax + 0.5)  # a lone first attempt sits in the middle, not on the frame
    ax.set_ylim(0, chart.y_max)
    if chart.x_labels:
        ticks = sorted(chart.x_labels)
        ax.set_xticks(ticks, [chart.x_labels[x] for x in ticks], fontsize=7)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=min(xmax, 10)))
    ax.set_xlabel(chart.x_title, fontsize=10)
    ax.set_ylabel(chart.y_title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    if chart.legend and chart.series:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(2, len(chart.series)), fontsize=9,
                  frameon=False, handlelength=1.5, columnspacing=1.2)
    return fig


def to_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    # No Software/date metadata: the same report gives the same bytes.
    fig.savefig(buf, format="png", dpi=PNG_DPI, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"')


def to_svg(fig: Any) -> str:
    """An inline <svg> that scales down with its container (never wider than drawn). Text stays
    text (the page's CJK font draws it; matplotlib escapes it); its internal ids are random, so
    two charts on one page never share one."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    svg = _METADATA.sub("", _PROLOG.sub("", buf.getvalue(), count=1), count=1)
    # pt -> CSS px is x4/3; width 100% up to that, height follows the viewBox
    return _SIZE.sub(lambda m: f'<svg{m[1]} style="width:100%;max-width:{float(m[2]) * 4 / 3:.0f}px;height:auto"',
                     svg, count=1)
