"""The validated data model of the library: repeated binary indicators of two groups over waves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats.data.arrays import PanelArrays
from mirabal_stats.data.responses import code_responses
from mirabal_stats.data.validation import (
    check_group,
    check_indicator_measures,
    check_no_duplicates,
    check_person_constant,
    order_waves,
    plain_value,
    require_columns,
)
from mirabal_stats.exceptions import PanelValidationError

__all__ = ["IndicatorPanel"]

_BENEFIT_CODES = {"decrease": -1, "increase": 1}
_DEFAULT_MEASURE = "all indicators"


class IndicatorPanel:
    """Repeated yes/no indicators of an intervention and a comparison group over survey waves.

    One object holds person x wave x indicator answers (0/1 or missing), the group of each
    person, the measure each indicator belongs to, the direction in which change is beneficial,
    and optional person-level baseline covariates. Build it with :meth:`from_long` or
    :meth:`from_wide`; both validate the data and raise
    :class:`~mirabal_stats.exceptions.PanelValidationError` with a message naming the problem,
    an example and the fix. Missing answers are attrition (or item non-response), not errors:
    they are kept, counted and reported. The panel is immutable.

    Examples
    --------
    >>> import pandas as pd
    >>> from mirabal_stats import IndicatorPanel
    >>> survey = pd.DataFrame({
    ...     "id": [1, 1, 2, 2, 3, 3, 4, 4],
    ...     "wave": [1, 2, 1, 2, 1, 2, 1, 2],
    ...     "arm": ["programme"] * 4 + ["comparison"] * 4,
    ...     "slapped": ["yes", "no", "yes", None, "no", "no", "yes", "yes"],
    ...     "negotiates": ["no", "yes", "no", None, "yes", "yes", "no", "no"],
    ... })
    >>> panel = IndicatorPanel.from_wide(
    ...     survey, person="id", wave="wave", group="arm", treated="programme",
    ...     indicators={"slapped": "safety", "negotiates": "communication"},
    ...     beneficial={"negotiates": "increase"})
    >>> panel.n_persons, panel.n_observed
    (4, 14)
    >>> panel.attrition_table()["n_responding"].tolist()
    [2, 1, 2, 2]
    """

    _frozen = False

    def __init__(
        self,
        cells: pd.DataFrame,
        persons: pd.DataFrame,
        *,
        waves: Sequence,
        indicators: Sequence,
        indicator_measures: Mapping,
        benefit: Mapping,
        treated: object,
        comparison: object,
        covariate_names: Sequence[str],
        notes: Sequence[str] = (),
    ) -> None:
        # Private: use from_long / from_wide, which validate before calling this.
        self._cells = cells
        self._persons = persons
        self._waves = tuple(waves)
        self._indicators = tuple(indicators)
        self._indicator_measures = dict(indicator_measures)
        self._measures = tuple(dict.fromkeys(self._indicator_measures[k] for k in self._indicators))
        self._benefit = dict(benefit)
        self._treated = treated
        self._comparison = comparison
        self._covariate_names = tuple(covariate_names)
        self._notes = tuple(notes)
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen:
            raise AttributeError(
                "IndicatorPanel is immutable; build a new one with from_long/from_wide or subset()."
            )
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_long(
        cls,
        df: pd.DataFrame,
        *,
        person: str,
        wave: str,
        indicator: str,
        response: str,
        group: str,
        treated: object,
        measure: str | Mapping | None = None,
        covariates: Sequence[str] | None = None,
        beneficial: Mapping[object, str] | None = None,
        response_map: Mapping[object, float | None] | None = None,
        wave_order: Sequence | None = None,
    ) -> IndicatorPanel:
        """Build a panel from a long table: one row per person x wave x indicator.

        Parameters
        ----------
        df : pandas.DataFrame
            The answers. Rows with a missing answer are kept as missing cells; absent rows are
            missing cells too.
        person, wave, indicator, response, group : str
            Column names. ``response`` holds 0/1, booleans or yes/no strings (any case); blanks
            and NaN are missing answers.
        treated : object
            The label in ``group`` of the intervention group; the other label is the comparison.
        measure : str or mapping, optional
            A column naming each indicator's measure, or a mapping ``{indicator: measure}``.
            Without it every indicator belongs to one measure, ``"all indicators"``.
        covariates : sequence of str, optional
            Person-level baseline covariates (constant within person; missing values allowed
            and reported).
        beneficial : mapping, optional
            ``{indicator: "increase" | "decrease"}``: the direction in which a change in the
            share answering "yes" is beneficial. Indicators not listed default to
            ``"decrease"`` (harm indicators such as "slapped, pushed or threw something at
            you"); list positive ones such as "negotiates during disagreements" as
            ``"increase"``.
        response_map : mapping, optional
            Extra answer codes, e.g. ``{"don't know": None, "sometimes": 1}`` (None = missing).
        wave_order : sequence, optional
            Chronological order of the waves when they are not numbers, dates or an ordered
            categorical.

        Returns
        -------
        IndicatorPanel
        """
        require_columns(
            df,
            {
                "person": person,
                "wave": wave,
                "indicator": indicator,
                "response": response,
                "group": group,
                "measure": measure if isinstance(measure, str) else None,
                **{f"covariate {c!r}": c for c in (covariates or [])},
            },
            source="IndicatorPanel.from_long",
        )
        covariates = list(covariates or [])
        roles = [person, wave, indicator, response, group]
        clash = [c for c in covariates if c in roles]
        if clash:
            raise PanelValidationError(
                f"covariates {clash} are also used as person/wave/indicator/response/group "
                "columns; a covariate must be a separate person-level column."
            )
        if df.empty:
            raise PanelValidationError("IndicatorPanel.from_long: the data frame has no rows.")
        for role, column in {"person": person, "indicator": indicator}.items():
            if df[column].isna().any():
                n = int(df[column].isna().sum())
                raise PanelValidationError(
                    f"column '{column}' ({role}) is missing for {n} rows. Every row needs a "
                    f"{role}; drop or fill those rows."
                )

        waves = order_waves(df[wave], column=wave, wave_order=wave_order)
        treated, comparison = check_group(df[group], df[person], column=group, treated=treated)
        check_no_duplicates(df, keys=[person, wave, indicator])

        indicators = list(pd.unique(df[indicator]))
        if isinstance(measure, str):
            pairs = df[[indicator, measure]].drop_duplicates()
            check_indicator_measures(pairs, indicator=indicator, measure=measure)
            indicator_measures = dict(zip(pairs[indicator], pairs[measure]))
        elif measure is None:
            indicator_measures = {k: _DEFAULT_MEASURE for k in indicators}
        else:
            unmapped = [k for k in indicators if k not in measure]
            if unmapped:
                raise PanelValidationError(
                    f"{len(unmapped)} indicator(s) have no measure in the measure mapping (e.g. "
                    f"{plain_value(unmapped[0])!r}). Add them to measure={{indicator: measure}}."
                )
            indicator_measures = {k: measure[k] for k in indicators}

        benefit = _check_beneficial(beneficial, indicators)
        check_person_constant(df, person=person, columns=covariates)

        coded = code_responses(
            df[response],
            column=response,
            response_map=response_map,
            context=df[[person, wave, indicator]],
        )
        cells = pd.DataFrame(
            {
                "person": df[person].to_numpy(),
                "wave": df[wave].to_numpy(),
                "indicator": df[indicator].to_numpy(),
                "response": coded.to_numpy(),
            }
        )
        person_table = (
            df[[person, group, *covariates]]
            .drop_duplicates(subset=[person])
            .rename(columns={person: "person", group: "group"})
            .reset_index(drop=True)
        )
        return cls._assemble(
            cells,
            person_table,
            waves=waves,
            indicators=indicators,
            indicator_measures=indicator_measures,
            benefit=benefit,
            treated=treated,
            comparison=comparison,
            covariates=covariates,
            response_column=response,
            indicator_column=indicator,
        )

    @classmethod
    def from_wide(
        cls,
        df: pd.DataFrame,
        *,
        person: str,
        wave: str,
        group: str,
        treated: object,
        indicators: Mapping[str, object],
        covariates: Sequence[str] | None = None,
        beneficial: Mapping[object, str] | None = None,
        response_map: Mapping[object, float | None] | None = None,
        wave_order: Sequence | None = None,
    ) -> IndicatorPanel:
        """Build a panel from the usual survey export: one row per person x wave.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per person-wave; one column per indicator.
        person, wave, group : str
            Column names.
        treated : object
            The label in ``group`` of the intervention group.
        indicators : mapping
            ``{indicator column: measure}``; the column names become the indicator names.
        covariates, beneficial, response_map, wave_order
            As in :meth:`from_long`.

        Returns
        -------
        IndicatorPanel
        """
        if not isinstance(indicators, Mapping) or not indicators:
            raise PanelValidationError(
                "indicators must be a non-empty mapping {indicator column: measure}, e.g. "
                "indicators={'slapped': 'safety', 'negotiates': 'communication'}."
            )
        require_columns(
            df,
            {
                "person": person,
                "wave": wave,
                "group": group,
                **{f"indicator {c!r}": c for c in indicators},
                **{f"covariate {c!r}": c for c in (covariates or [])},
            },
            source="IndicatorPanel.from_wide",
        )
        check_no_duplicates(df, keys=[person, wave])
        id_columns = [person, wave, group, *(covariates or [])]
        long = df[id_columns + list(indicators)].melt(
            id_vars=id_columns,
            value_vars=list(indicators),
            var_name="__indicator",
            value_name="__response",
        )
        long["__measure"] = long["__indicator"].map(dict(indicators))
        if isinstance(df[wave].dtype, pd.CategoricalDtype):
            long[wave] = long[wave].astype(df[wave].dtype)
        return cls.from_long(
            long,
            person=person,
            wave=wave,
            indicator="__indicator",
            response="__response",
            group=group,
            treated=treated,
            measure=dict(indicators),
            covariates=covariates,
            beneficial=beneficial,
            response_map=response_map,
            wave_order=wave_order,
        )

    @classmethod
    def _assemble(
        cls,
        cells: pd.DataFrame,
        person_table: pd.DataFrame,
        *,
        waves: list,
        indicators: list,
        indicator_measures: dict,
        benefit: dict,
        treated: object,
        comparison: object,
        covariates: list[str],
        response_column: str,
        indicator_column: str,
    ) -> IndicatorPanel:
        observed = cells.dropna(subset=["response"])
        never = [k for k in indicators if k not in set(observed["indicator"])]
        if never:
            raise PanelValidationError(
                f"{len(never)} indicator(s) are never observed (every answer missing), e.g. "
                f"{plain_value(never[0])!r}. Remove them from the data (or from indicators=) or check "
                f"the '{response_column}' column."
            )
        person_group = person_table.set_index("person")["group"]
        responders = person_group[person_group.index.isin(observed["person"])]
        for label in (treated, comparison):
            if not (responders == label).any():
                raise PanelValidationError(
                    f"group {plain_value(label)!r} has no person with an observed answer; an "
                    "evaluation needs responses from both groups. Check the group labels and "
                    "the response column."
                )
        # Stored sorted by person, wave order, indicator order: a stable layout for every
        # table and array derived from the panel.
        wave_rank = {w: i for i, w in enumerate(waves)}
        indicator_rank = {k: i for i, k in enumerate(indicators)}
        person_rank = {p: i for i, p in enumerate(person_table["person"])}
        cells = cells.assign(
            _p=cells["person"].map(person_rank),
            _w=cells["wave"].map(wave_rank),
            _k=cells["indicator"].map(indicator_rank),
        ).sort_values(["_p", "_w", "_k"], kind="stable")
        cells = cells.drop(columns=["_p", "_w", "_k"]).reset_index(drop=True)
        notes = []
        n_missing = int(cells["response"].isna().sum())
        if n_missing:
            notes.append(f"{n_missing} rows with a missing answer are kept as missing cells.")
        return cls(
            cells,
            person_table,
            waves=waves,
            indicators=indicators,
            indicator_measures=indicator_measures,
            benefit=benefit,
            treated=treated,
            comparison=comparison,
            covariate_names=covariates,
            notes=notes,
        )

    # ------------------------------------------------------------------ description
    @property
    def persons(self) -> tuple:
        """Person ids, in the order of first appearance."""
        return tuple(self._persons["person"])

    @property
    def waves(self) -> tuple:
        """Wave labels in chronological order."""
        return self._waves

    @property
    def indicators(self) -> tuple:
        return self._indicators

    @property
    def measures(self) -> tuple:
        """Measure labels in order of first appearance among the indicators."""
        return self._measures

    @property
    def treated(self) -> object:
        """Label of the intervention group."""
        return self._treated

    @property
    def comparison(self) -> object:
        """Label of the comparison group."""
        return self._comparison

    @property
    def groups(self) -> tuple:
        """``(treated, comparison)``."""
        return (self._treated, self._comparison)

    @property
    def covariate_names(self) -> tuple:
        return self._covariate_names

    @property
    def indicator_measures(self) -> pd.Series:
        """Measure of each indicator (index: indicator)."""
        return pd.Series(
            [self._indicator_measures[k] for k in self._indicators],
            index=pd.Index(self._indicators, name="indicator"),
            name="measure",
        )

    @property
    def benefit_sign(self) -> pd.Series:
        """+1 where more "yes" is beneficial, -1 where less is (index: indicator)."""
        return pd.Series(
            [_BENEFIT_CODES[self._benefit[k]] for k in self._indicators],
            index=pd.Index(self._indicators, name="indicator"),
            name="benefit_sign",
            dtype="int8",
        )

    @property
    def n_persons(self) -> int:
        return len(self._persons)

    @property
    def n_observed(self) -> int:
        """Number of observed (non-missing) person x wave x indicator answers."""
        return int(self._cells["response"].notna().sum())

    @property
    def n_missing(self) -> int:
        """Cells of the full person x wave x indicator grid without an answer."""
        return self.n_persons * len(self._waves) * len(self._indicators) - self.n_observed

    @property
    def notes(self) -> tuple[str, ...]:
        """What validation reported (e.g. missing answers kept)."""
        return self._notes

    def __repr__(self) -> str:
        counts = self._persons["group"].value_counts()
        return (
            f"IndicatorPanel(persons={self.n_persons} "
            f"[{plain_value(self._treated)}: {int(counts.get(self._treated, 0))}, "
            f"{plain_value(self._comparison)}: {int(counts.get(self._comparison, 0))}], "
            f"waves={len(self._waves)}, indicators={len(self._indicators)}, "
            f"measures={len(self._measures)}, covariates={len(self._covariate_names)}, "
            f"observed cells={self.n_observed}, missing cells={self.n_missing})"
        )

    # ------------------------------------------------------------------ tables
    def to_long(self, *, include_missing: bool = True) -> pd.DataFrame:
        """One row per person x wave x indicator present in the input.

        Columns ``person, wave, indicator, measure, group, response`` (float 0/1, NaN when
        missing) and the covariates. A fresh copy: changing it does not change the panel.
        """
        cells = self._cells if include_missing else self._cells.dropna(subset=["response"])
        long = cells.merge(self._persons, on="person", how="left", validate="many_to_one")
        long.insert(3, "measure", long["indicator"].map(self._indicator_measures))
        ordered = ["person", "wave", "indicator", "measure", "group", "response"]
        return long[ordered + list(self._covariate_names)].reset_index(drop=True)

    def to_wide(self) -> pd.DataFrame:
        """One row per person x wave present in the data, one column per indicator (0/1/NaN)."""
        wide = self._cells.pivot(index=["person", "wave"], columns="indicator", values="response")
        wide = wide.reindex(columns=list(self._indicators)).reset_index()
        wide.columns.name = None
        wave_rank = {w: i for i, w in enumerate(self._waves)}
        person_rank = {p: i for i, p in enumerate(self._persons["person"])}
        wide = wide.iloc[np.lexsort((wide["wave"].map(wave_rank), wide["person"].map(person_rank)))]
        wide = wide.merge(self._persons, on="person", how="left", validate="many_to_one")
        ordered = ["person", "wave", "group", *self._covariate_names, *self._indicators]
        return wide[ordered].reset_index(drop=True)

    def baseline(self) -> pd.DataFrame:
        """One row per person: ``person``, ``group``, ``treated`` (1/0) and the covariates."""
        table = self._persons.copy()
        table.insert(2, "treated", (table["group"] == self._treated).astype(int))
        return table

    def responded(self) -> pd.DataFrame:
        """Person x wave table of booleans: True where the person answered at least one indicator."""
        observed = self._cells.dropna(subset=["response"])
        hit = pd.crosstab(observed["person"], observed["wave"]) > 0
        return (
            hit.reindex(
                index=list(self._persons["person"]), columns=list(self._waves), fill_value=False
            )
            .astype(bool)
            .rename_axis(index="person", columns="wave")
        )

    def attrition_table(self) -> pd.DataFrame:
        """Persons responding per group and wave, with the share of baseline responders retained.

        A person *responds* at a wave when they answered at least one indicator at it. Columns:
        ``group, wave, n_persons`` (persons in the group), ``n_responding``,
        ``pct_of_group`` (100 * n_responding / n_persons) and ``pct_of_baseline``
        (100 * n_responding / responders at the first wave). Unrounded.
        """
        responded = self.responded()
        groups = self._persons.set_index("person")["group"].reindex(responded.index)
        rows = []
        for label in self.groups:
            block = responded[groups == label]
            at_baseline = int(block.iloc[:, 0].sum())
            for wave in self._waves:
                n = int(block[wave].sum())
                rows.append(
                    {
                        "group": label,
                        "wave": wave,
                        "n_persons": len(block),
                        "n_responding": n,
                        "pct_of_group": 100.0 * n / len(block),
                        "pct_of_baseline": 100.0 * n / at_baseline if at_baseline else np.nan,
                    }
                )
        return pd.DataFrame(rows)

    def prevalence_table(self) -> pd.DataFrame:
        """Observed % "yes" per indicator x group x wave, with the denominator.

        Columns ``indicator, measure, group, wave, n`` (observed answers), ``n_yes`` and
        ``pct_yes`` (100 * n_yes / n; NaN when n = 0). Unrounded; one row for every
        combination, including those with no answers.
        """
        long = self.to_long(include_missing=False)
        counts = (
            long.groupby(["indicator", "group", "wave"], sort=False)["response"]
            .agg(n="count", n_yes="sum")
            .reset_index()
        )
        grid = pd.MultiIndex.from_product(
            [self._indicators, self.groups, self._waves], names=["indicator", "group", "wave"]
        ).to_frame(index=False)
        table = grid.merge(counts, on=["indicator", "group", "wave"], how="left")
        table["n"] = table["n"].fillna(0).astype(int)
        table["n_yes"] = table["n_yes"].fillna(0).astype(int)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["pct_yes"] = np.where(table["n"] > 0, 100.0 * table["n_yes"] / table["n"], np.nan)
        table.insert(1, "measure", table["indicator"].map(self._indicator_measures))
        return table

    # ------------------------------------------------------------------ arrays and subsets
    def to_arrays(self, *, baseline_wave: object = None) -> PanelArrays:
        """Integer-coded arrays of the observed cells: the input of the likelihood code.

        Parameters
        ----------
        baseline_wave : wave label, optional
            The last pre-programme wave; later waves are "post". Default: the first wave.

        Returns
        -------
        PanelArrays
        """
        baseline_index = self._wave_index(baseline_wave)
        observed = self._cells.dropna(subset=["response"])
        person_codes = {p: i for i, p in enumerate(self._persons["person"])}
        wave_codes = {w: i for i, w in enumerate(self._waves)}
        indicator_codes = {k: i for i, k in enumerate(self._indicators)}
        measure_codes = {m: i for i, m in enumerate(self._measures)}
        indicator_measure = np.array(
            [measure_codes[self._indicator_measures[k]] for k in self._indicators], dtype=np.int32
        )
        person = observed["person"].map(person_codes).to_numpy(np.int32)
        wave = observed["wave"].map(wave_codes).to_numpy(np.int32)
        indicator = observed["indicator"].map(indicator_codes).to_numpy(np.int32)
        person_group = (self._persons["group"] == self._treated).to_numpy(np.int8)
        responded = np.zeros((self.n_persons, len(self._waves)), dtype=bool)
        responded[person, wave] = True
        return PanelArrays(
            person=person,
            wave=wave,
            indicator=indicator,
            measure=indicator_measure[indicator],
            group=person_group[person],
            post=(wave > baseline_index).astype(np.int8),
            response=observed["response"].to_numpy(np.int8),
            person_group=person_group,
            indicator_measure=indicator_measure,
            benefit_sign=self.benefit_sign.to_numpy(np.int8),
            responded=responded,
            baseline_wave=baseline_index,
            persons=self.persons,
            waves=self._waves,
            indicators=self._indicators,
            measures=self._measures,
        )

    def subset(
        self,
        *,
        indicators: Sequence | None = None,
        persons: Sequence | None = None,
        waves: Sequence | None = None,
    ) -> IndicatorPanel:
        """A new, re-validated panel restricted to some indicators, persons and/or waves."""
        keep = pd.Series(True, index=self._cells.index)
        for column, chosen, known in (
            ("indicator", indicators, self._indicators),
            ("person", persons, self.persons),
            ("wave", waves, self._waves),
        ):
            if chosen is None:
                continue
            unknown = [v for v in chosen if v not in set(known)]
            if unknown:
                raise PanelValidationError(
                    f"subset: {len(unknown)} {column}(s) not in the panel, e.g. "
                    f"{plain_value(unknown[0])!r}."
                )
            keep &= self._cells[column].isin(chosen)
        cells = self._cells[keep].reset_index(drop=True)
        person_table = self._persons[self._persons["person"].isin(cells["person"])]
        chosen_indicators = [
            k for k in self._indicators if indicators is None or k in set(indicators)
        ]
        return IndicatorPanel._assemble(
            cells,
            person_table.reset_index(drop=True),
            waves=[w for w in self._waves if waves is None or w in set(waves)],
            indicators=chosen_indicators,
            indicator_measures={k: self._indicator_measures[k] for k in chosen_indicators},
            benefit={k: self._benefit[k] for k in chosen_indicators},
            treated=self._treated,
            comparison=self._comparison,
            covariates=list(self._covariate_names),
            response_column="response",
            indicator_column="indicator",
        )

    def _wave_index(self, wave: object) -> int:
        if wave is None:
            return 0
        if wave not in self._waves:
            raise PanelValidationError(
                f"baseline_wave={wave!r} is not a wave of this panel; waves are "
                f"{[plain_value(w) for w in self._waves]}."
            )
        return self._waves.index(wave)


def _check_beneficial(beneficial: Mapping | None, indicators: list) -> dict:
    beneficial = dict(beneficial or {})
    unknown = [k for k in beneficial if k not in set(indicators)]
    if unknown:
        raise PanelValidationError(
            f"beneficial names {len(unknown)} indicator(s) not in the data, e.g. "
            f"{plain_value(unknown[0])!r}. Use the indicator names of the panel."
        )
    bad = {k: v for k, v in beneficial.items() if v not in _BENEFIT_CODES}
    if bad:
        key, value = next(iter(bad.items()))
        raise PanelValidationError(
            f"beneficial[{plain_value(key)!r}] is {value!r}; use 'increase' (more 'yes' is good, e.g. "
            "'negotiates during disagreements') or 'decrease' (less 'yes' is good)."
        )
    return {k: beneficial.get(k, "decrease") for k in indicators}
