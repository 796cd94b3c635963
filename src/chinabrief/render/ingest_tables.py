"""The tables of stage 01's notebook: the files imported into ``data/raw``."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ..data import manifest
from ..data.ingest import summary
from .tables import table


def imported(entries: list[manifest.Entry]) -> Styler:
    """Files imported into ``data/raw`` per dataset kind, with what each is and its size."""
    return table(
        summary(entries),
        name="imported",
        caption="Files imported into data/raw, by dataset",
        formats={"megabytes": "{:,.2f}"},
    )


def every_file(entries: list[manifest.Entry]) -> Styler:
    """Every imported file: its dataset, size and the start of its SHA-256."""
    frame = pd.DataFrame([e.__dict__ for e in entries], columns=["path", "kind", "bytes", "sha256"])
    frame["sha256"] = frame["sha256"].str[:16] + "…"
    return table(frame, name="files", caption="Every file in data/raw (SHA-256, first 16 hex digits)")
