"""Tests of chinabrief.render.maps: the pinned world shapes, the ISO-3 join and the shared colour scale."""

from __future__ import annotations

import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pyogrio
import pytest

from chinabrief.data import world_shapes
from chinabrief.exceptions import ChecksumError, InputFormatError
from chinabrief.render import maps

ROOT = Path(__file__).resolve().parents[1]
SHAPES = ROOT / "data" / "external" / "naturalearth_110m_countries.geojson"
FIXTURE = Path(pyogrio.__file__).parent / "tests" / "fixtures" / "naturalearth_lowres" / "naturalearth_lowres.shp"


@pytest.fixture(scope="module")
def world():
    return world_shapes.load_world(SHAPES)


def countries_frame() -> pd.DataFrame:
    rows = []
    for month, china, usa in (("2021-08", 0.0, 60.0), ("2022-01", 21.11, 37.84)):
        other = 100.0 - china - usa
        rows += [
            {
                "date": pd.Timestamp(f"{month}-01"),
                "country": "Mainland China",
                "iso3": "CHN",
                "share_pct": china,
                "vpn_caveat": False,
            },
            {
                "date": pd.Timestamp(f"{month}-01"),
                "country": "United States",
                "iso3": "USA",
                "share_pct": usa,
                "vpn_caveat": False,
            },
            {
                "date": pd.Timestamp(f"{month}-01"),
                "country": "Other",
                "iso3": None,
                "share_pct": other,
                "vpn_caveat": False,
            },
        ]
    return pd.DataFrame(rows)


def test_shipped_shapes_match_the_pinned_checksum():
    world_shapes.verify_world_shapes(SHAPES)


def test_altered_shapes_are_refused(tmp_path):
    copy = tmp_path / SHAPES.name
    shutil.copy(SHAPES, copy)
    with open(copy, "ab") as handle:
        handle.write(b"\n")
    with pytest.raises(ChecksumError, match="does not match the pinned"):
        world_shapes.load_world(copy)


def test_missing_shapes_are_a_clear_error(tmp_path):
    with pytest.raises(InputFormatError, match="missing"):
        world_shapes.verify_world_shapes(tmp_path / "nothing.geojson")


def test_world_is_projected_without_antarctica_and_codes_fixed(world):
    assert world.crs.to_epsg() == 8857
    assert "Antarctica" not in set(world["continent"])
    codes = set(world["iso_a3"].dropna())
    assert {"FRA", "NOR", "XKX", "CHN", "USA", "KAZ", "RUS", "CAN", "DEU", "IRL", "MYS", "IRN", "PRY"} <= codes
    assert "-99" not in codes
    assert not world["iso_a3"].dropna().duplicated().any()


#: Library versions the shipped file was converted with (data/external/README.md).
CONVERTED_WITH = ("0.13.0", "3.12.4")


@pytest.mark.skipif(not FIXTURE.is_file(), reason="pyogrio's Natural Earth test fixture is not installed")
@pytest.mark.skipif(
    (pyogrio.__version__, pyogrio.__gdal_version_string__) != CONVERTED_WITH,
    reason=f"pyogrio/GDAL differ from {CONVERTED_WITH}: a byte-identical rebuild is not expected",
)
def test_conversion_reproduces_the_shipped_file(tmp_path):
    assert world_shapes.convert_natural_earth(FIXTURE, tmp_path / SHAPES.name) == world_shapes.WORLD_SHAPES_SHA256


def test_join_on_iso3_leaves_unlisted_countries_empty(world):
    joined = world_shapes.join_shares(world, countries_frame(), "2022-01").set_index("iso_a3")
    assert joined.loc["CHN", "share_pct"] == pytest.approx(21.11)
    assert joined.loc["USA", "share_pct"] == pytest.approx(37.84)
    assert np.isnan(joined.loc["BRA", "share_pct"])
    assert world_shapes.unmapped_countries(world, countries_frame(), "2022-01") == []


def test_month_outside_data_is_an_error(world):
    with pytest.raises(InputFormatError, match="2030-01"):
        world_shapes.join_shares(world, countries_frame(), "2030-01")


def test_share_classes_and_labels():
    classes = maps.share_classes(pd.Series([0.0, 0.99, 1.0, 21.11, 75.53, np.nan]))
    assert classes.tolist() == [0, 0, 1, 5, 6, -1]
    labels = maps.bin_labels()
    assert len(labels) == len(maps.SHARE_COLOURS) == len(maps.SHARE_BINS) - 1
    assert all(label.endswith("%") or "%" in label for label in labels)
    assert maps.legend_handles()[-1].get_label() == maps.NO_DATA_LABEL


def test_maps_draw_with_one_shared_legend(world):
    fig = maps.choropleth(world, countries_frame(), "2022-01", "Source: test")
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == len(maps.SHARE_COLOURS) + 1
    plt.close(fig)
    fig = maps.small_multiples(world, countries_frame(), ("2021-08", "2022-01"), "Source: test")
    assert len(fig.axes) == 2 and len(fig.legends) == 1
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["2021-08", "2022-01"]
    plt.close(fig)
