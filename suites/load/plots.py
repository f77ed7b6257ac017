"""Small shared plotting helpers (matplotlib, Agg backend): line charts of named series, written as PNG."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Series:
    """One line: `y[i]` at `x[i]` (None leaves a gap); `right` draws it against the right-hand axis."""

    label: str
    x: Sequence[float]
    y: Sequence[float | None]
    right: bool = False
    style: str = "-o"


def line_chart(
    path: str | Path, series: Sequence[Series], *, title: str, xlabel: str, ylabel: str, right_label: str = "",
    marks: Sequence[tuple[float, str]] = (), right_top: float | None = None, size: tuple[float, float] = (10, 5),
) -> Path:
    """Write a PNG of `series` (left axis from 0, and a right one from 0 to at least `right_top` for series with
    `right=True`), with a dashed vertical line and label for each of `marks` (x, label); returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, left = pyplot.subplots(figsize=size)
    right = left.twinx() if any(s.right for s in series) else None
    for line in series:
        axes = right if line.right and right is not None else left
        points = [(x, y) for x, y in zip(line.x, line.y, strict=True) if y is not None]
        if points:
            axes.plot([x for x, _ in points], [y for _, y in points], line.style, label=line.label, markersize=4)
    for x, _ in marks:
        left.axvline(x, linestyle="--", color="tab:gray")
    low, high = left.get_xlim()
    for index, (x, label) in enumerate(marks):  # stacked, each on the side of its line with more room
        inside = x < (low + high) / 2
        left.annotate(label, (x, 1), xycoords=("data", "axes fraction"), xytext=(4 if inside else -4, -12 - 12 * index),
                      textcoords="offset points", fontsize="small", color="tab:gray", ha="left" if inside else "right")
    left.set(xlabel=xlabel, ylabel=ylabel, title=title)
    left.set_ylim(bottom=0)
    handles, labels = left.get_legend_handles_labels()
    if right is not None:
        right.set_ylabel(right_label)
        right.set_ylim(0, max(right_top or 0, right.get_ylim()[1]))
        more = right.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    if handles:
        left.legend(handles, labels, loc="center left", fontsize="small", framealpha=0.8)
    out = Path(path)
    figure.savefig(out, dpi=100, bbox_inches="tight")
    pyplot.close(figure)
    return out


def img_tag(path: str | Path, alt: str) -> str:
    """An HTML <img> with the PNG inlined (data: URL), so the page is one self-contained file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{alt}" src="data:image/png;base64,{data}">'
