"""The validated data model of the library: repeated binary indicators of two groups over waves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mirabal_stats.data.arrays import PanelArrays
from mirabal_stats.data.persons import check_id_types, plain_value, require_columns
from mirabal_stats.data.responses import code_responses, response_codes
from mirabal_stats.data.validation import (
    check_cells,
    check_complete,
    check_group,
    check_indicator_measures,
    check_measure_mapping,
    check_no_duplicates,
    check_person_constant,
    check_reserved_names,
    check_roles,
    order_waves,
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
        data: pd.DataFrame,
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
        data : pandas.DataFrame
            The answers. Rows with a missing answer are kept as missing cells; absent rows are
            missing cells too.
        person, wave, indicator, response, group : str
            Column names, each a different column. ``response`` holds 0/1, booleans or yes/no
            strings (any case, stray spaces ignored); NaN, None and blank strings are missing
            answers. Person ids must be of one type (``7`` and ``"7"`` are refused: one person
            or two?).
        treated : object
            The label in ``group`` of the intervention group; the other label is the comparison.
            A label written as text matches a number written the same way (``treated="1"`` for
            a 0/1 column); a nullable ``"boolean"`` group column works with ``treated=True``.
        measure : str or mapping, optional
            A column naming each indicator's measure, or a mapping ``{indicator: measure}``.
            Without it every indicator belongs to one measure, ``"all indicators"``. A missing
            measure (NaN in the column, ``None`` in the mapping) is refused.
        covariates : sequence of str, optional
            Person-level baseline covariates (constant within person, ignoring missing values:
            a covariate blank on some rows of a person and known on others takes the known
            value; persons with no known value keep it missing, counted in :attr:`notes`).
        beneficial : mapping, optional
            ``{indicator: "increase" | "decrease"}``: the direction in which a change in the
            share answering "yes" is beneficial. Indicators not listed default to
            ``"decrease"`` (harm indicators such as "slapped, pushed or threw something at
            you"); list positive ones such as "negotiates during disagreements" as
            ``"increase"``.
        response_map : mapping, optional
            Extra answer codes, e.g. ``{"don't know": None, "sometimes": 1}``: each code is
            the number 0 or 1, or None (missing).
        wave_order : sequence, optional
            Chronological order of the waves when they are not numbers, dates or an ordered
            categorical; each wave listed once.

        Returns
        -------
        IndicatorPanel

        Raises
        ------
        PanelValidationError
            With the column, an example row or person and the fix, e.g. for a missing column,
            one column given two roles, a list in a cell, ids written both as numbers and as
            text, a person in both groups, a duplicated cell, an answer that is not yes/no, or
            an indicator named like a column of the panel's own tables (``person``, ``wave``,
            ``group``, ``measure``, ``indicator``, ``response``, ``treated``).
        """
        source = "IndicatorPanel.from_long"
        covariates = _covariate_list(covariates, source)
        if measure is not None and not isinstance(measure, (str, Mapping)):
            raise PanelValidationError(
                f"{source}: measure must be the name of a measure column or a mapping "
                f"{{indicator: measure}}, got {type(measure).__name__}."
            )
        measure_column = measure if isinstance(measure, str) else None
        roles = [
            ("person", person),
            ("wave", wave),
            ("indicator", indicator),
            ("response", response),
            ("group", group),
            ("measure", measure_column),
            *(("a covariate", c) for c in covariates),
        ]
        require_columns(
            data,
            {
                "person": person,
                "wave": wave,
                "indicator": indicator,
                "response": response,
                "group": group,
                "measure": measure_column,
                **{f"covariate {c!r}": c for c in covariates},
            },
            source=source,
            error=PanelValidationError,
        )
        check_roles(roles, source=source)
        if data.empty:
            raise PanelValidationError(f"{source}: the data have no rows.")
        check_cells(data, [r for r in roles if r[1] is not None], person=person, source=source)
        check_complete(data, {"person": person, "indicator": indicator}, source=source)
        check_id_types(data[person], column=person, what="person", error=PanelValidationError)
        check_id_types(
            data[indicator], column=indicator, what="indicator", error=PanelValidationError
        )
        codes = response_codes(response_map)

        waves = order_waves(data[wave], column=wave, wave_order=wave_order, persons=data[person])
        treated, comparison = check_group(data[group], data[person], column=group, treated=treated)
        check_no_duplicates(data, keys=[person, wave, indicator])

        indicators = list(pd.unique(data[indicator]))
        if isinstance(measure, str):
            pairs = data[[indicator, measure]].drop_duplicates()
            check_indicator_measures(pairs, indicator=indicator, measure=measure)
            indicator_measures = dict(zip(pairs[indicator], pairs[measure]))
        elif measure is None:
            indicator_measures = {k: _DEFAULT_MEASURE for k in indicators}
        else:
            indicator_measures = check_measure_mapping(measure, indicators, option="measure")
        check_reserved_names(indicators, covariates, source=source)

        benefit = _check_beneficial(beneficial, indicators)
        check_person_constant(data, person=person, columns=covariates)

        coded = code_responses(
            data[response], column=response, codes=codes, context=data[[person, wave, indicator]]
        )
        cells = pd.DataFrame(
            {
                "person": data[person].to_numpy(),
                "wave": data[wave].to_numpy(),
                "indicator": data[indicator].to_numpy(),
                "response": coded.values.to_numpy(),
            }
        )
        return cls._assemble(
            cells,
            _person_table(data, person=person, group=group, covariates=covariates),
            waves=waves,
            indicators=indicators,
            indicator_measures=indicator_measures,
            benefit=benefit,
            treated=treated,
            comparison=comparison,
            covariates=covariates,
            response_column=response,
            missing_answers=(coded.n_blank, coded.n_coded_missing),
        )

    @classmethod
    def from_wide(
        cls,
        data: pd.DataFrame,
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
        data : pandas.DataFrame
            One row per person-wave; one column per indicator.
        person, wave, group : str
            Column names.
        treated : object
            The label in ``group`` of the intervention group (as in :meth:`from_long`).
        indicators : mapping
            ``{indicator column: measure}``; the column names become the indicator names. None
            of them may be the person, wave, group or a covariate column, nor be named like a
            column of the panel's own tables (``person``, ``wave``, ``group``, ``measure``,
            ``indicator``, ``response``, ``treated``).
        covariates, beneficial, response_map, wave_order
            As in :meth:`from_long`.

        Returns
        -------
        IndicatorPanel
        """
        source = "IndicatorPanel.from_wide"
        if not isinstance(indicators, Mapping) or not indicators:
            raise PanelValidationError(
                "indicators must be a non-empty mapping {indicator column: measure}, e.g. "
                "indicators={'slapped': 'safety', 'negotiates': 'communication'}."
            )
        covariates = _covariate_list(covariates, source)
        names = list(indicators)
        roles = [
            ("person", person),
            ("wave", wave),
            ("group", group),
            *(("a covariate", c) for c in covariates),
            *(("an indicator", k) for k in names),
        ]
        require_columns(
            data,
            {
                "person": person,
                "wave": wave,
                "group": group,
                **{f"indicator {k!r}": k for k in names},
                **{f"covariate {c!r}": c for c in covariates},
            },
            source=source,
            error=PanelValidationError,
        )
        check_roles(roles, source=source)
        if data.empty:
            raise PanelValidationError(f"{source}: the data have no rows.")
        check_cells(data, roles, person=person, source=source)
        check_complete(data, {"person": person}, source=source)
        check_id_types(data[person], column=person, what="person", error=PanelValidationError)
        check_no_duplicates(data, keys=[person, wave])
        codes = response_codes(response_map)

        waves = order_waves(data[wave], column=wave, wave_order=wave_order, persons=data[person])
        treated, comparison = check_group(data[group], data[person], column=group, treated=treated)
        # The indicator labels as the columns of the data hold them (their dtype included).
        labels = data.columns.take(data.columns.get_indexer(names))
        indicator_list = list(pd.unique(labels.to_numpy()))
        measures = check_measure_mapping(indicators, names, option="indicators")
        indicator_measures = {k: measures[k] for k in indicator_list}
        check_reserved_names(indicator_list, covariates, source=source)

        benefit = _check_beneficial(beneficial, indicator_list)
        check_person_constant(data, person=person, columns=covariates)

        # Stack the indicator columns (indicator-major, as DataFrame.melt would) without
        # naming any helper column, so no indicator name can collide with one.
        context = data[[person, wave]]
        coded = [code_responses(data[k], column=k, codes=codes, context=context) for k in names]
        n = len(data)
        cells = pd.DataFrame(
            {
                "person": np.tile(data[person].to_numpy(), len(names)),
                "wave": np.tile(data[wave].to_numpy(), len(names)),
                "indicator": np.repeat(labels.to_numpy(), n),
                "response": np.concatenate([c.values.to_numpy() for c in coded]),
            }
        )
        return cls._assemble(
            cells,
            _person_table(data, person=person, group=group, covariates=covariates),
            waves=waves,
            indicators=indicator_list,
            indicator_measures=indicator_measures,
            benefit=benefit,
            treated=treated,
            comparison=comparison,
            covariates=covariates,
            response_column="indicator columns",
            missing_answers=(
                sum(c.n_blank for c in coded),
                sum(c.n_coded_missing for c in coded),
            ),
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
        missing_answers: tuple[int, int] | None = None,
    ) -> IndicatorPanel:
        observed = cells.dropna(subset=["response"])
        seen = set(pd.unique(observed["indicator"]))
        never = [k for k in indicators if k not in seen]
        if never:
            raise PanelValidationError(
                f"{len(never)} indicator(s) are never observed (every answer missing), e.g. "
                f"{plain_value(never[0])!r}. Remove them from the data (or from indicators=) or "
                f"check the '{response_column}' column."
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
        order = np.lexsort(
            (
                cells["indicator"].map(indicator_rank).to_numpy(),
                cells["wave"].map(wave_rank).to_numpy(),
                cells["person"].map(person_rank).to_numpy(),
            )
        )
        cells = cells.take(order).reset_index(drop=True)
        notes = _missing_notes(
            n_rows=len(cells),
            n_observed=len(observed),
            shape=(len(person_table), len(waves), len(indicators)),
            missing_answers=missing_answers,
        )
        silent = ~person_group.index.isin(responders.index)
        if silent.any():
            notes.append(
                f"{int(silent.sum())} of {len(person_group)} persons have no observed answer "
                f"(e.g. person {plain_value(person_group.index[silent][0])!r}); they are kept, "
                "with every cell missing."
            )
        notes += _covariate_notes(person_table, covariates)
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
        """What validation reported, in sentences a report can show.

        Every missing cell of the person x wave x indicator grid is accounted for (blank
        answers, answers coded missing by ``response_map``, person-waves with no row), then
        persons with no observed answer and covariates unknown for some persons.
        """
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
        person, wave, indicator = self._cell_codes()
        # Cells are stored sorted by person, wave, indicator: each person-wave is one run.
        row = person * len(self._waves) + wave
        starts = np.r_[True, row[1:] != row[:-1]]
        values = np.full((int(starts.sum()), len(self._indicators)), np.nan)
        values[np.cumsum(starts) - 1, indicator] = self._cells["response"].to_numpy(dtype=float)
        wide = self._cells.loc[starts, ["person", "wave"]].reset_index(drop=True)
        for j, name in enumerate(self._indicators):
            wide[name] = values[:, j]
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
        person, wave, _ = self._cell_codes()
        observed = self._cells["response"].notna().to_numpy()
        hit = np.zeros((self.n_persons, len(self._waves)), dtype=bool)
        hit[person[observed], wave[observed]] = True
        return pd.DataFrame(
            hit,
            index=pd.Index(list(self._persons["person"]), name="person"),
            columns=pd.Index(list(self._waves), name="wave"),
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
            if isinstance(chosen, (str, bytes)) or not isinstance(chosen, Iterable):
                raise PanelValidationError(
                    f"subset: {column}s must be a list of {column} labels, e.g. "
                    f"{column}s=[{plain_value(known[0])!r}], got {chosen!r}."
                )
            chosen = list(chosen)
            known_set = set(known)
            unknown = [v for v in chosen if not _is_label(v) or v not in known_set]
            if unknown:
                raise PanelValidationError(
                    f"subset: {len(unknown)} {column}(s) not in the panel, e.g. "
                    f"{plain_value(unknown[0])!r}; the panel's {column}s are "
                    f"{[plain_value(v) for v in known[:6]]}{' ...' if len(known) > 6 else ''}."
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
        )

    def _cell_codes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Person, wave and indicator codes of every stored cell (labels are never sorted)."""
        codes = []
        for column, labels in (
            ("person", self._persons["person"]),
            ("wave", self._waves),
            ("indicator", self._indicators),
        ):
            rank = {label: i for i, label in enumerate(labels)}
            codes.append(self._cells[column].map(rank).to_numpy(dtype=np.int64))
        return codes[0], codes[1], codes[2]

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
    if beneficial is not None and not isinstance(beneficial, Mapping):
        raise PanelValidationError(
            "beneficial must be a mapping {indicator: 'increase' or 'decrease'}, e.g. "
            f"beneficial={{'negotiates': 'increase'}}; got {type(beneficial).__name__}."
        )
    beneficial = dict(beneficial or {})
    unknown = [k for k in beneficial if k not in set(indicators)]
    if unknown:
        raise PanelValidationError(
            f"beneficial names {len(unknown)} indicator(s) not in the data, e.g. "
            f"{plain_value(unknown[0])!r}. Use the indicator names of the panel."
        )
    bad = {k: v for k, v in beneficial.items() if not (isinstance(v, str) and v in _BENEFIT_CODES)}
    if bad:
        key, value = next(iter(bad.items()))
        raise PanelValidationError(
            f"beneficial[{plain_value(key)!r}] is {value!r}; use 'increase' (more 'yes' is good, e.g. "
            "'negotiates during disagreements') or 'decrease' (less 'yes' is good)."
        )
    return {k: beneficial.get(k, "decrease") for k in indicators}


def _is_label(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _covariate_list(covariates: object, source: str) -> list:
    if covariates is None:
        return []
    if isinstance(covariates, (str, bytes)) or not isinstance(covariates, Iterable):
        raise PanelValidationError(
            f"{source}: covariates must be a list of column names, e.g. covariates=['age'], "
            f"got {covariates!r}."
        )
    return list(covariates)


def _person_table(data: pd.DataFrame, *, person: str, group: str, covariates: list) -> pd.DataFrame:
    """One row per person (first appearance): ``person``, ``group`` and the covariates.

    A covariate is constant within person ignoring missing values (checked before), so a person
    whose first row leaves it blank takes the value known from a later row.
    """
    table = (
        data[[person, group, *covariates]]
        .drop_duplicates(subset=[person])
        .rename(columns={person: "person", group: "group"})
        .reset_index(drop=True)
    )
    for column in covariates:
        blank = table[column].isna().to_numpy()
        if not blank.any():
            continue
        known = data[[person, column]].dropna(subset=[column]).drop_duplicates(subset=[person])
        value = table["person"].map(known.set_index(person)[column])
        fill = blank & value.notna().to_numpy()
        if fill.any():
            table.loc[fill, column] = value[fill]
    return table


def _missing_notes(
    *,
    n_rows: int,
    n_observed: int,
    shape: tuple[int, int, int],
    missing_answers: tuple[int, int] | None,
) -> list[str]:
    """Account for every cell of the person x wave x indicator grid: observed or why missing."""
    n_persons, n_waves, n_indicators = shape
    grid = n_persons * n_waves * n_indicators
    n_missing = grid - n_observed
    if not n_missing:
        return []
    kept = n_rows - n_observed
    if missing_answers is None:
        parts = [f"{kept} rows with a missing answer"]
    else:
        n_blank, n_coded = missing_answers
        parts = [f"{n_blank} blank or missing answers (NaN, None or empty text)"]
        parts.append(f"{n_coded} answers coded missing by response_map")
    parts.append(f"{grid - n_rows} person-wave-indicator combinations with no row in the data")
    parts = [p for p in parts if not p.startswith("0 ")]
    return [
        f"{n_missing} of the {grid} cells ({n_persons} persons x {n_waves} waves x "
        f"{n_indicators} indicators) have no answer and are kept as missing cells: "
        + ", ".join(parts)
        + f"; {n_observed} answers are observed."
    ]


def _covariate_notes(person_table: pd.DataFrame, covariates: list) -> list[str]:
    notes = []
    for column in covariates:
        blank = person_table[column].isna()
        if blank.any():
            example = plain_value(person_table.loc[blank, "person"].iloc[0])
            notes.append(
                f"covariate {column!r} is missing for {int(blank.sum())} of "
                f"{len(person_table)} persons (e.g. person {example!r})."
            )
    return notes
