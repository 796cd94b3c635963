"""The pipeline's stages, declared once.

Each stage is one notebook. This table is the only list of them: the runner executes from it,
``pipeline.params`` gives each stage its parameters from it, and ``python -m chinabrief params``
writes the make rules into ``build/params/params.mk`` from it (with :mod:`chinabrief.pipeline.depends`), which the
Makefile includes: each stage's make target, its prerequisites (the notebook, the package modules
it imports, its parameter file, its inputs, the stages before it) and its recipe. Nothing here is
copied into the Makefile by hand.

A stage's make target is its product manifest, ``build/products/<key>.json``
(:mod:`chinabrief.pipeline.products`): the files its last successful run published, with their
checksums.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stage:
    """One notebook of the pipeline.

    Attributes
    ----------
    name : str
        The stage's name (``python -m chinabrief run NAME``).
    notebook : str
        Its notebook, in ``notebooks/``.
    brief : str or None
        The brief it publishes, below ``reports/`` (``{event_id}`` for a per-event stage,
        ``{article_id}`` for a per-article one: the ``item_param`` in braces).
    title : str
        Shown in logs and, until the notebook gives its own, in the index.
    parameters : tuple of str
        The parameters its notebook receives: its ``parameters`` cell names exactly these.
    inputs : tuple of str
        Repository files (glob patterns) it reads besides the earlier stages' products.
    after : tuple of str
        The stages whose products it reads.
    item_param : str
        For a stage run once per item (event, article): the parameter naming the item.
    """

    name: str
    notebook: str
    brief: str | None
    title: str
    parameters: tuple[str, ...]
    inputs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    item_param: str = "event_id"

    def key(self, event_id: str | None = None) -> str:
        """Identifier of one run (the stage, or stage and event for per-event briefs)."""
        return f"{self.name}-{event_id}" if event_id else self.name

    def executed_name(self, event_id: str | None = None) -> str:
        """The executed notebook's file name in ``reports/notebooks/``."""
        stem = Path(self.notebook).stem
        return f"{stem}-{event_id}.ipynb" if event_id else f"{stem}.ipynb"

    def brief_path(self, event_id: str | None = None) -> str | None:
        """The brief below ``reports/`` (None for a stage without one)."""
        if self.brief is None:
            return None
        return self.brief.format(**{self.item_param: event_id}) if event_id else self.brief

    @property
    def per_event(self) -> bool:
        """Whether it runs once per item: per focus event (``event_id``) or per article (``article_id``)."""
        return bool(self.brief and "{" + self.item_param + "}" in self.brief)

    @property
    def per_article(self) -> bool:
        """Whether it runs once per claims file of ``data/articles/``."""
        return self.per_event and self.item_param == "article_id"


#: The claim tolerances (the article briefs and the token brief's claims receive them all).
CLAIM_TOLERANCES = ("claim_rounding_pp", "claim_aggregator_gap_pp", "claim_share_rounding_pp", "claim_misdate_days")

#: The price plausibility parameters (stage 02 receives them all).
PRICE_RULES = (
    "check_positive_close",
    "check_ohlc_order",
    "bad_print_factor",
    "source_disagreement_pct",
    "source_disagreement_from",
    "price_check_allow",
)

#: The China-premium parameters (stage 03 receives them all).
PREMIUM_PARAMS = (
    "premium_benchmark",
    "premium_placebo_draws",
    "premium_seed",
    "premium_block_min_shift",
    "premium_min_tokens",
    "robustness_benchmarks",
    "robustness_models",
    "robustness_windows",
    "robustness_cutoff_hours",
    "robustness_estimation_days",
    "robustness_exclusions",
)

STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in [
        Stage(
            "ingest",
            "01_ingest.ipynb",
            None,
            "Data import",
            ("snapshot", "source", "tokens", "include_extended"),
            inputs=("data/universe.csv",),
        ),
        Stage(
            "prepare",
            "02_prepare.ipynb",
            "data-quality.html",
            "Data quality and provenance",
            (
                "tokens",
                "include_extended",
                "source_priority",
                "cutoff_hour_utc",
                *PRICE_RULES,
                "estimation_window",
                "min_estimation_obs",
            ),
            inputs=("data/universe.csv", "data/events/*.csv"),
            after=("ingest",),
        ),
        Stage(
            "token_reactions",
            "03_token_reactions.ipynb",
            "token-reactions.html",
            "Token reactions to US–China trade news",
            (
                "tokens",
                "include_extended",
                "benchmark",
                "estimation_window",
                "min_estimation_obs",
                "event_windows",
                "models",
                "exclude_event_days",
                "focus_events",
                "cutoff_hour_utc",
                "highlight_events",
                "claims_article",
                *CLAIM_TOLERANCES,
                *PREMIUM_PARAMS,
            ),
            inputs=("data/reference/*.csv", "data/articles/{claims_article}.yaml"),
            after=("prepare",),
        ),
        Stage(
            "mining_share",
            "04_mining_share.ipynb",
            "mining-share.html",
            "Where Bitcoin is mined",
            ("mining_month", "claims_article", "claim_share_rounding_pp"),
            inputs=("data/reference/*.csv", "data/external/*.geojson", "data/articles/{claims_article}.yaml"),
            after=("prepare",),
        ),
        Stage(
            "event_brief",
            "05_event_brief.ipynb",
            "events/{event_id}.html",
            "Event brief",
            (
                "event_id",
                "tokens",
                "include_extended",
                "benchmark",
                "estimation_window",
                "min_estimation_obs",
                "event_windows",
                "exclude_event_days",
                "cutoff_hour_utc",
            ),
            after=("prepare",),
        ),
        # one run per claims file: its inputs are that file ({article_id}) and the reference figures
        Stage(
            "article_check",
            "06_article_check.ipynb",
            "articles/{article_id}.html",
            "Article check",
            ("article_id", *CLAIM_TOLERANCES),
            inputs=("data/reference/*.csv", "data/articles/{article_id}.yaml"),
            after=("prepare",),
            item_param="article_id",
        ),
    ]
}
