"""Bundled data: shapes, column types, checksums and the published facts they must show."""

import pandas as pd
import pytest

from mirabal_stats.datasets import (
    list_datasets,
    load_lalonde,
    load_recid,
    load_respiratory,
    load_rossi,
    load_toenail,
    verify_bundled_files,
)
from mirabal_stats.exceptions import SpecificationError


def test_bundled_files_match_checksums():
    result = verify_bundled_files()
    assert len(result) == 7 and all(result.values()), result


def test_toenail():
    df = load_toenail()
    assert df.shape == (1908, 7)
    assert df["patient"].nunique() == 294
    assert set(df["y"].unique()) == {0, 1} and set(df["trt"].unique()) == {0, 1}
    assert (df["y"] == (df["outcome"] == "moderate or severe")).all()
    assert df.groupby("patient")["visit"].count().max() == 7
    assert pd.api.types.is_float_dtype(df["time"])


def test_rossi():
    df = load_rossi()
    assert df.shape == (432, 9)
    assert int(df["arrest"].sum()) == 114
    # Kaplan-Meier at week 52 (published): 66 of 216 arrested without aid, 48 of 216 with.
    assert df.groupby("fin")["arrest"].sum().tolist() == [66, 48]
    assert all(pd.api.types.is_integer_dtype(t) for t in df.dtypes)


def test_lalonde_versions_share_columns():
    columns = ["treat", "age", "educ", "race", "married", "nodegree", "re74", "re75", "re78"]
    shapes = {"matchit": (614, 9), "nsw_experimental": (445, 9), "nsw_psid": (2675, 9)}
    for version, shape in shapes.items():
        df = load_lalonde(version=version)
        assert list(df.columns) == columns and df.shape == shape
        assert int(df["treat"].sum()) == 185
        assert set(df["race"]) <= {"black", "hispan", "white"}


def test_lalonde_experimental_benchmark():
    df = load_lalonde(version="nsw_experimental")
    means = df.groupby("treat")["re78"].mean()
    # Dehejia & Wahba (1999): treated 6349.14 vs experimental controls 4554.80 -> $1,794.
    assert means[1] == pytest.approx(6349.14, abs=0.01)
    assert means[0] == pytest.approx(4554.80, abs=0.01)


def test_lalonde_unknown_version():
    with pytest.raises(
        SpecificationError, match=r"version='cps' is not a bundled version.*'matchit'"
    ):
        load_lalonde(version="cps")
    with pytest.raises(SpecificationError, match=r"version=\['matchit'\] is not a bundled"):
        load_lalonde(version=["matchit"])
    # options are keyword-only (the contract)
    with pytest.raises(TypeError, match=r"load_lalonde\(\) takes 0 positional arguments"):
        load_lalonde("matchit")


def test_other_loaders():
    assert load_respiratory().shape == (555, 8)
    assert load_recid().shape == (1445, 18)


def test_list_datasets_has_provenance():
    table = list_datasets()
    assert {"toenail", "rossi", "lalonde"} <= set(table["name"])
    assert table[["source", "citation", "licence"]].notna().all().all()
