"""The table of stage 01's notebook: the files imported into ``data/raw``, by dataset."""
from __future__ import annotations

from pandas.io.formats.style import Styler

from .. import manifest
from ..ingest import summary
from .tables import table


def imported(entries: list[manifest.Entry]) -> Styler:
    """Files imported into ``data/raw`` per dataset kind, with what each is and its size."""
    return table(summary(entries), name="imported", caption="Files imported into data/raw, by dataset",
                 formats={"megabytes": "{:,.2f}"})
