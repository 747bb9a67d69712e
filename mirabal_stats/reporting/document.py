"""The content of an evaluation report, independent of how it is written out.

A report is a list of :class:`Section` objects; a section is a list of blocks: :class:`Paragraph`,
:class:`Table`, :class:`Figure`, :class:`Note` and :class:`SideBySide` (two blocks shown next to
each other, e.g. a Bayesian estimate beside its frequentist cross-check). Every table carries a
file name so the same numbers are written once as CSV; every figure is stored as PNG bytes so the
HTML can embed it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd

from mirabal_stats.exceptions import SpecificationError

__all__ = [
    "Paragraph",
    "Table",
    "Figure",
    "Note",
    "SideBySide",
    "Section",
    "Block",
    "figure_from_matplotlib",
    "omitted_section",
]


@dataclass(frozen=True)
class Paragraph:
    """Plain text (no markup); shown as a paragraph."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table of numbers; ``name`` is the stem of its CSV file (``tables/<name>.csv``).

    ``digits`` is the rounding shown in the HTML (the CSV is unrounded). ``show=False`` keeps a
    long table out of the page: only its caption and CSV name are shown. ``csv_frame`` is
    written to the CSV instead of ``frame`` when the page shows formatted text (e.g. "+3.1
    (0.2 to 6.0)") and the CSV should hold the numbers.
    """

    name: str
    caption: str
    frame: pd.DataFrame
    digits: int = 3
    show: bool = True
    csv_frame: pd.DataFrame | None = None

    @property
    def csv(self) -> pd.DataFrame:
        """The frame written to ``tables/<name>.csv``."""
        return self.frame if self.csv_frame is None else self.csv_frame


@dataclass(frozen=True)
class Figure:
    """A PNG image with a caption; ``name`` identifies it (``figure-<name>`` in the HTML)."""

    name: str
    caption: str
    png: bytes


@dataclass(frozen=True)
class Note:
    """A call-out. ``kind`` is ``"warning"`` (something to act on), ``"info"`` or ``"omitted"``."""

    text: str
    kind: str = "info"

    def __post_init__(self) -> None:
        if self.kind not in ("warning", "info", "omitted"):
            raise SpecificationError(
                f"Note kind must be 'warning', 'info' or 'omitted', got {self.kind!r}."
            )


@dataclass(frozen=True)
class SideBySide:
    """Two or more blocks shown in columns, each under its own heading."""

    columns: tuple[tuple[str, Block], ...]


Block = Paragraph | Table | Figure | Note | SideBySide


@dataclass(frozen=True)
class Section:
    """One numbered section of the report.

    ``key`` is a stable identifier used as the HTML anchor (``#attrition``) and tested for.
    """

    key: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def tables(self) -> list[Table]:
        """Every table of the section, including those inside side-by-side blocks."""
        found = []
        for block in self.blocks:
            if isinstance(block, Table):
                found.append(block)
            elif isinstance(block, SideBySide):
                found.extend(b for _, b in block.columns if isinstance(b, Table))
        return found

    def figures(self) -> list[Figure]:
        """Every figure of the section, including those inside side-by-side blocks."""
        found = []
        for block in self.blocks:
            if isinstance(block, Figure):
                found.append(block)
            elif isinstance(block, SideBySide):
                found.extend(b for _, b in block.columns if isinstance(b, Figure))
        return found

    def warnings(self) -> list[str]:
        """Texts of the section's warning notes."""
        return [b.text for b in self.blocks if isinstance(b, Note) and b.kind == "warning"]


def omitted_section(key: str, title: str, reason: str) -> Section:
    """A section that could not be produced, with a visible note saying why."""
    return Section(key=key, title=title, blocks=(Note(f"Not produced: {reason}", kind="omitted"),))


def figure_from_matplotlib(fig, *, name: str, caption: str, dpi: int = 110) -> Figure:
    """Render a matplotlib figure (or an Axes, or an array of Axes) to PNG and close it.

    Plot methods of results objects return a Figure, an Axes or an array of Axes; all are
    accepted so each section can pass on whatever the pillar returns.
    """
    import matplotlib
    import matplotlib.pyplot as plt
    import numpy as np

    if hasattr(fig, "savefig"):
        figure = fig
    elif hasattr(fig, "get_figure"):
        figure = fig.get_figure()
    elif isinstance(fig, np.ndarray) and fig.size and hasattr(fig.flat[0], "get_figure"):
        figure = fig.flat[0].get_figure()
    else:
        raise SpecificationError(f"Expected a matplotlib Figure or Axes, got {type(fig).__name__}.")
    buffer = io.BytesIO()
    # Labels come from the data and the config: "$10 a day $" must stay text, not math.
    with matplotlib.rc_context({"text.parse_math": False}):
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
    return Figure(name=name, caption=caption, png=buffer.getvalue())
