"""The shape of a reproduction: published values beside ours, with a tolerance and its reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from mirabal_stats.exceptions import MirabalError

__all__ = ["Check", "Reproduction", "ReproductionFailed"]


class ReproductionFailed(MirabalError):
    """A reproduced value lies outside the tolerance of the published one."""


@dataclass(frozen=True)
class Check:
    """One published number and our reproduction of it.

    ``tolerance`` is absolute, on the scale of the quantity; ``reason`` says why that tolerance
    (rounding of the published figure, Monte-Carlo error, prior influence ...).
    """

    quantity: str
    published: float
    reproduced: float
    tolerance: float
    reason: str = "rounding of the published figure"

    @property
    def difference(self) -> float:
        return self.reproduced - self.published

    @property
    def passed(self) -> bool:
        return abs(self.difference) <= self.tolerance


@dataclass(frozen=True)
class Reproduction:
    """The outcome of one reproduction: a table of published vs reproduced values."""

    name: str
    title: str
    source: str
    checks: tuple[Check, ...]
    notes: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def to_frame(self) -> pd.DataFrame:
        """One row per check: ``published, reproduced, difference, tolerance, passed, reason``."""
        return pd.DataFrame(
            {
                "published": [c.published for c in self.checks],
                "reproduced": [c.reproduced for c in self.checks],
                "difference": [c.difference for c in self.checks],
                "tolerance": [c.tolerance for c in self.checks],
                "passed": [c.passed for c in self.checks],
                "reason": [c.reason for c in self.checks],
            },
            index=pd.Index([c.quantity for c in self.checks], name="quantity"),
        )

    def summary(self) -> str:
        """A printable published-vs-reproduced table with a pass/fail verdict."""
        verdict = "PASS" if self.passed else "FAIL"
        table = self.to_frame().drop(columns="reason").to_string(float_format=lambda v: f"{v:.4g}")
        return f"{self.title} [{verdict}]\nSource: {self.source}\n{table}\n{self.notes}".rstrip()

    def raise_if_failed(self) -> Reproduction:
        """Raise :class:`ReproductionFailed` naming every check outside its tolerance."""
        failed = [c for c in self.checks if not c.passed]
        if failed:
            lines = ", ".join(
                f"{c.quantity}: published {c.published:.4g}, reproduced {c.reproduced:.4g} "
                f"(tolerance {c.tolerance:.3g})"
                for c in failed
            )
            raise ReproductionFailed(f"Reproduction '{self.name}' failed: {lines}.")
        return self
