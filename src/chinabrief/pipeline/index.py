"""``reports/index.html`` (a card per brief) and ``reports/run.json`` (the run record).

The index is deterministic: it shows each brief's title, headline, first key finding and build
status, read from the status records the runner writes beside each brief (``build/status/``,
filled from the executed notebook's title and its ``headline`` and ``findings`` cells), and laid out
by the Jinja template ``templates/index.html.j2`` (autoescaped). It never reads the HTML briefs.
Run-specific facts (durations, commit, package versions) go to ``run.json`` and to ``run.js``,
which the index loads to show durations; both are kept out of the byte-identical comparison.

Cards come from the status records (``build/status/*.json``). Given the current focus events
(``make`` passes them), the index first removes the products of events no longer among them —
brief, executed notebook, failure pages, record, and so the card — each set at once
(:func:`chinabrief.publish.retire`).
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata, resources
from pathlib import Path

from .. import fileio, publish
from ..config import Paths
from ..data import manifest
from ..render.assets import stylesheet
from . import products

PACKAGES = [
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "geopandas",
    "pyarrow",
    "pandera",
    "pydantic",
]
STAGE_ORDER = ["token_reactions", "mining_share", "prepare", "ingest", "event_brief", "article_check"]
TEMPLATE = "index.html.j2"
TITLE = "China Crypto Brief"
DEK = (
    "Do 'Made in China' tokens move on US–China trade news, and where is Bitcoin mined? "
    "Answers from the data snapshot, rebuilt on every run."
)
#: Findings shown on a brief's card (its headline is shown too).
FINDINGS_SHOWN = 1


def _records(paths: Paths) -> list[dict]:
    folder = paths.build / "status"
    records = [json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    return sorted(records, key=lambda r: (order.get(r["stage"], 99), r["key"]))


def card(paths: Paths, record: dict) -> dict:
    """What the index shows of one status record: title, headline, findings, status and links.

    Parameters
    ----------
    paths : Paths
        Project paths (a brief is linked only if its file exists).
    record : dict
        A status record of :mod:`chinabrief.pipeline.runner` (``build/status/<key>.json``).

    Returns
    -------
    dict
        ``key``, ``title``, ``headline``, ``findings`` (at most :data:`FINDINGS_SHOWN`; none for an
        event brief), ``failed``, ``error``, ``failed_href`` and ``links`` (``href``, ``text``),
        hrefs relative to ``reports/``. Plain text: the template escapes it.

    Examples
    --------
    >>> from chinabrief.config import Paths
    >>> c = card(Paths(Path("/nonexistent")), {"key": "x", "stage": "prepare", "status": "ok", "title": "T",
    ...                                         "headline": "H", "findings": ["a", "b"]})
    >>> c["title"], c["headline"], c["findings"], c["links"]
    ('T', 'H', ['a'], [])
    """

    def href(path: str) -> str:
        return path.removeprefix("reports/")

    links = []
    brief = record.get("brief")
    if brief and (paths.root / brief).is_file():
        links.append({"href": href(brief), "text": "Read the brief"})
    if record.get("notebook"):
        links.append({"href": href(record["notebook"]), "text": "executed notebook"})
    failed = record.get("status") == "failed"
    failed_href = href(record["failed_html"]) if failed and record.get("failed_html") else None
    if failed_href:
        links.append({"href": failed_href, "text": "failed notebook"})
    title = record.get("title") or record["key"]
    if record.get("event_id"):
        title = f"{record['event_id'][:10]} · {title}"
    event = record.get("stage") in (EVENT_STAGE, ARTICLE_STAGE)
    return {
        "key": record["key"],
        "title": title,
        "headline": record.get("headline") or "",
        "findings": [] if event else list(record.get("findings") or [])[:FINDINGS_SHOWN],
        "failed": failed,
        "error": record.get("error") or "",
        "failed_href": failed_href,
        "links": links,
    }


def render(cards: list[dict], event_cards: list[dict], article_cards: list[dict] | None = None) -> str:
    """The index page (``templates/index.html.j2``, autoescaped) from the cards of :func:`card`."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("chinabrief").joinpath("render/templates"))),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    article_cards = list(article_cards or [])
    failed = [c for c in cards + event_cards + article_cards if c["failed"]]
    return env.get_template(TEMPLATE).render(
        title=TITLE,
        dek=DEK,
        css=stylesheet(),
        cards=cards,
        event_cards=event_cards,
        article_cards=article_cards,
        failed=failed,
    )


def _git(paths: Paths, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=paths.root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def run_record(paths: Paths, records: list[dict]) -> dict:
    """The run record: commit, dirty flag, parameters, input checksums, versions, stage timings."""
    params_files = sorted((paths.build / "params").glob("*.json")) if (paths.build / "params").is_dir() else []
    inputs = {}
    if paths.manifest.exists():
        inputs = {e.path: e.sha256 for e in manifest.read(paths.raw)}
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "git_commit": _git(paths, "rev-parse", "HEAD") or None,
        "git_dirty": bool(_git(paths, "status", "--porcelain", "--untracked-files=no")),
        "parameters": {f.stem: json.loads(f.read_text()) for f in params_files},
        "inputs": inputs,
        "packages": versions,
        "stages": [{k: r.get(k) for k in ("key", "stage", "status", "seconds", "error")} for r in records],
    }


EVENT_STAGE = "event_brief"
ARTICLE_STAGE = "article_check"


def prune_events(paths: Paths, events: list[str], stage: str = EVENT_STAGE) -> list[str]:
    """Remove the per-event sets of events not in ``events``: brief, notebooks, record (and so card).

    Parameters
    ----------
    paths : Paths
        The project's paths.
    events : list of str
        The current ``focus_events`` (or, with ``stage`` the article stage, the current articles).
    stage : str
        The per-item stage whose sets are pruned.

    Returns
    -------
    list of str
        The event ids whose products were removed.
    """
    prefix = f"{stage}-"
    wanted = {prefix + e for e in events}
    records = {r["key"]: r for r in _records(paths) if r["stage"] == stage}
    keys = set(records) | {k for k in publish.published_keys(paths) if k.startswith(prefix)}
    removed = []
    for key in sorted(keys - wanted):
        record = records.get(key, {})
        known = [record.get(k) for k in ("brief", "notebook", "failed_html", "failed_notebook")]
        also = [paths.root / f for f in known if f] + [
            paths.build / "status" / f"{key}.json",
            products.manifest_path(paths, key),
        ]
        publish.retire(paths, key, also=also)
        removed.append(key.removeprefix(prefix))
    return removed


def build(paths: Paths, events: list[str] | None = None, articles: list[str] | None = None) -> Path:
    """Write ``reports/index.html``, ``reports/run.json`` and ``reports/run.js``.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    events : list of str, optional
        The current ``focus_events``: the products of other events are removed first
        (:func:`prune_events`). Without it nothing is removed.
    articles : list of str, optional
        The current articles (``data/articles/*.yaml``): the products of other articles are removed.

    Returns
    -------
    Path
        ``reports/index.html``.
    """
    publish.recover(paths)  # complete or discard what a killed run left, before reading records
    if events is not None:
        for event_id in prune_events(paths, events):
            print(f"[chinabrief] index: removed the brief of {event_id} (not in focus_events)", flush=True)
    if articles is not None:
        for article_id in prune_events(paths, articles, ARTICLE_STAGE):
            print(
                f"[chinabrief] index: removed the brief of {article_id} (no file data/articles/{article_id}.yaml)",
                flush=True,
            )
    records = _records(paths)
    shown = [r for r in records if r["stage"] != "ingest" or r["status"] == "failed"]
    record = run_record(paths, records)
    fileio.write_json(paths.reports / "run.json", record)
    timings = {r["key"]: r.get("seconds") for r in records}
    fileio.write_text(
        paths.reports / "run.js",
        "window.CHINABRIEF_RUN = "
        + json.dumps({"seconds": timings, "commit": record["git_commit"], "dirty": record["git_dirty"]}, sort_keys=True)
        + ";\n",
    )
    cards = [card(paths, r) for r in shown if r["stage"] not in (EVENT_STAGE, ARTICLE_STAGE)]
    event_cards = [card(paths, r) for r in shown if r["stage"] == EVENT_STAGE]
    article_cards = [card(paths, r) for r in shown if r["stage"] == ARTICLE_STAGE]
    page = render(cards, event_cards, article_cards)
    target = paths.reports / "index.html"
    fileio.write_text(target, page)
    return target
