"""The world's country shapes for the mining maps, and the CCAF shares joined to them on ISO-3 codes.

The country shapes are Natural Earth 110m admin-0 (public domain), shipped in
``data/external/naturalearth_110m_countries.geojson`` and pinned by :data:`WORLD_SHAPES_SHA256`
(geopandas >= 1.0 no longer bundles a world map). ``data/external/README.md`` says where the file
comes from and how :func:`convert_natural_earth` made it. Drawing the maps is
:mod:`chinabrief.render.maps`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from .. import fileio
from ..exceptions import InputFormatError

#: SHA-256 of the shipped GeoJSON; :func:`load_world` refuses any other bytes.
WORLD_SHAPES_SHA256 = "82b5f8ad930fa4fcf1bcadf0fed37d6e4e0f7cd69c1eef3ea0ad578e06ed3456"

#: Equal Earth (Šavrič, Patterson & Jenny 2018), an equal-area world projection in PROJ's database.
MAP_CRS = "EPSG:8857"
#: Natural Earth marks some countries -99; these are their codes (Kosovo: the user-assigned XKX
#: the EU and World Bank use). Northern Cyprus and Somaliland have no ISO code and stay empty.
ISO3_FIXES = {"France": "FRA", "Norway": "NOR", "Kosovo": "XKX"}
SHAPE_COLUMNS = ["name", "iso_a3", "continent", "geometry"]
COORDINATE_DECIMALS = 3


def convert_natural_earth(source: Path, target: Path) -> str:
    """Convert Natural Earth's low-resolution shapefile into the project's compact GeoJSON.

    Keeps ``name``, ``iso_a3`` (with :data:`ISO3_FIXES` applied), ``continent`` and the
    geometry; rounds coordinates to :data:`COORDINATE_DECIMALS` decimals (about 100 m).

    Parameters
    ----------
    source : Path
        ``naturalearth_lowres.shp`` (e.g. the fixture inside the pyogrio wheel).
    target : Path
        GeoJSON to write (atomically).

    Returns
    -------
    str
        SHA-256 of the written file (to pin in :data:`WORLD_SHAPES_SHA256`).
    """
    world = gpd.read_file(source)[SHAPE_COLUMNS].to_crs("EPSG:4326")
    fixed = world["name"].map(ISO3_FIXES)
    world["iso_a3"] = fixed.where(fixed.notna() & world["iso_a3"].eq("-99"), world["iso_a3"])
    world["iso_a3"] = world["iso_a3"].replace("-99", None)
    world["geometry"] = shapely.set_precision(world.geometry.values, 10.0**-COORDINATE_DECIMALS)
    world = world.sort_values("name").reset_index(drop=True)
    with fileio.atomic_path(target) as tmp:
        world.to_file(
            tmp,
            driver="GeoJSON",
            engine="pyogrio",
            layer=Path(target).stem,
            layer_options={"COORDINATE_PRECISION": str(COORDINATE_DECIMALS), "RFC7946": "YES"},
        )
    return fileio.sha256_file(target)


def verify_world_shapes(path: Path, expected: str = WORLD_SHAPES_SHA256) -> None:
    """Check the world shapes file against its pinned SHA-256.

    Raises
    ------
    InputFormatError
        When the file is missing.
    ChecksumError
        When its bytes differ from the pinned checksum.
    """
    if not Path(path).is_file():
        raise InputFormatError(f"{path.name}: world shapes file is missing (see data/external/README.md)")
    fileio.require_sha256(
        path,
        expected,
        "the pinned checksum",
        "restore the file or rebuild it as data/external/README.md describes "
        "and update chinabrief.data.world_shapes.WORLD_SHAPES_SHA256",
    )


def load_world(path: Path, expected_sha256: str = WORLD_SHAPES_SHA256) -> gpd.GeoDataFrame:
    """Load the verified world shapes without Antarctica, in the map projection (:data:`MAP_CRS`).

    Parameters
    ----------
    path : Path
        The shipped GeoJSON (``Paths.world_shapes``).
    expected_sha256 : str, optional
        Pinned checksum; the module constant by default.

    Returns
    -------
    geopandas.GeoDataFrame
        name, iso_a3, continent, geometry.
    """
    verify_world_shapes(Path(path), expected_sha256)
    world = gpd.read_file(path, engine="pyogrio")
    world = world[world["continent"].ne("Antarctica")]
    return world[SHAPE_COLUMNS].to_crs(MAP_CRS).reset_index(drop=True)


def month_shares(countries: pd.DataFrame, month: str) -> pd.DataFrame:
    """One month's shares by ISO-3 code (countries with a code; 'Other' left out).

    Raises
    ------
    InputFormatError
        When the month is not in the data.
    """
    when = pd.Timestamp(f"{month}-01")
    rows = countries[countries["date"].eq(when)]
    if rows.empty:
        raise InputFormatError(f"month {month} is not in the mining-map data")
    return rows[rows["iso3"].notna()][["iso3", "country", "share_pct", "vpn_caveat"]]


def join_shares(world: gpd.GeoDataFrame, countries: pd.DataFrame, month: str) -> gpd.GeoDataFrame:
    """Attach one month's share (%) to each shape by ISO-3 code; NaN where CCAF lists nothing."""
    shares = month_shares(countries, month).set_index("iso3")
    out = world.copy()
    out["share_pct"] = out["iso_a3"].map(shares["share_pct"])
    return out


def unmapped_countries(world: gpd.GeoDataFrame, countries: pd.DataFrame, month: str) -> list[str]:
    """Countries with a share in ``month`` that have no shape (too small for the 110m map)."""
    shares = month_shares(countries, month)
    return sorted(shares.loc[~shares["iso3"].isin(set(world["iso_a3"].dropna())), "country"])
