"""``reports/index.html`` (a card per brief) and ``reports/run.json`` (the run record).

The index is deterministic: it shows each brief's title, headline, key findings and build status.
Run-specific facts (durations, commit, package versions) go to ``run.json`` and to ``run.js``,
which the index loads to show durations; both are kept out of the byte-identical comparison.

Cards come from the status records (``build/status/*.json``). Given the current focus events
(``make`` passes them), the index first removes the products of events no longer among them —
brief, executed notebook, failure pages, record, and so the card — each set at once
(:func:`chinabrief.publish.retire`).
"""
from __future__ import annotations

import html
import json
import re
import subprocess
from importlib import metadata
from pathlib import Path

from . import fileio, manifest, publish
from .assets import stylesheet
from .config import Paths

PACKAGES = ["papermill", "nbconvert", "nbclient", "ipykernel", "pandas", "numpy", "scipy",
            "statsmodels", "matplotlib", "geopandas", "pyarrow", "pandera", "pydantic"]
STAGE_ORDER = ["token_reactions", "mining_share", "prepare", "ingest", "event_brief"]


def _records(paths: Paths) -> list[dict]:
    folder = paths.build / "status"
    records = [json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    order = {name: i for i, name in enumerate(STAGE_ORDER)}
    return sorted(records, key=lambda r: (order.get(r["stage"], 99), r["key"]))


def _strip(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def headline(brief_html: str) -> tuple[str, list[str]]:
    """Extract a brief's headline (its ``dek``) and its key findings, as plain text."""
    dek = re.search(r'<p class="dek">(.*?)</p>', brief_html, re.S)
    box = re.search(r'<section class="findings">(.*?)</section>', brief_html, re.S)
    findings = [_strip(li) for li in re.findall(r"<li>(.*?)</li>", box.group(1), re.S)] if box else []
    return (_strip(dek.group(1)) if dek else ""), findings


def _card(paths: Paths, record: dict) -> str:
    esc = html.escape
    key = esc(record["key"])
    links = []
    if record.get("brief") and (paths.root / record["brief"]).exists():
        text = (paths.root / record["brief"]).read_text(encoding="utf-8")
        dek, findings = headline(text)
        links.append(f'<a href="{esc(record["brief"].removeprefix("reports/"))}">Read the brief</a>')
    else:
        dek, findings = "", []
    if record.get("notebook"):
        links.append(f'<a href="{esc(record["notebook"].removeprefix("reports/"))}">executed notebook</a>')
    if record["status"] == "failed":
        status = f'<p class="status-failed">Build failed: {esc(record.get("error") or "")}</p>'
        if record.get("failed_html"):
            links.append(f'<a href="{esc(record["failed_html"].removeprefix("reports/"))}">failed notebook</a>')
    else:
        status = '<p class="status-ok table-note">Built OK</p>'
    shown_findings = [] if record["stage"] == "event_brief" else findings[:1]
    items = "".join(f"<li>{esc(f)}</li>" for f in shown_findings)
    title = record.get("title") or record["key"]
    if record.get("event_id"):
        title = f"{record['event_id'][:10]} · {title}"
    return (
        f'<article class="card" id="card-{key}"><h3>{esc(title)}</h3>'
        f'<p class="dek">{esc(dek)}</p>{"<ul>" + items + "</ul>" if items else ""}{status}'
        f'<p class="duration table-note" data-key="{key}"></p><p>{" · ".join(links)}</p></article>'
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
    versions = {}
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


def prune_events(paths: Paths, events: list[str]) -> list[str]:
    """Remove the per-event sets of events not in ``events``: brief, notebooks, record (and so card).

    Parameters
    ----------
    paths : Paths
        The project's paths.
    events : list of str
        The current ``focus_events``.

    Returns
    -------
    list of str
        The event ids whose products were removed.
    """
    prefix = f"{EVENT_STAGE}-"
    wanted = {prefix + e for e in events}
    records = {r["key"]: r for r in _records(paths) if r["stage"] == EVENT_STAGE}
    keys = set(records) | {k for k in publish.published_keys(paths) if k.startswith(prefix)}
    removed = []
    for key in sorted(keys - wanted):
        record = records.get(key, {})
        known = [record.get(k) for k in ("brief", "notebook", "failed_html", "failed_notebook")]
        also = [paths.root / f for f in known if f] + [paths.build / "status" / f"{key}.json"]
        publish.retire(paths, key, also=also)
        removed.append(key.removeprefix(prefix))
    return removed


def build(paths: Paths, events: list[str] | None = None) -> Path:
    """Write ``reports/index.html``, ``reports/run.json`` and ``reports/run.js``.

    Parameters
    ----------
    paths : Paths
        The project's paths.
    events : list of str, optional
        The current ``focus_events``: the products of other events are removed first
        (:func:`prune_events`). Without it nothing is removed.

    Returns
    -------
    Path
        ``reports/index.html``.
    """
    publish.recover(paths)  # complete or discard what a killed run left, before reading records
    if events is not None:
        for event_id in prune_events(paths, events):
            print(f"[chinabrief] index: removed the brief of {event_id} (not in focus_events)", flush=True)
    records = _records(paths)
    shown = [r for r in records if r["stage"] != "ingest" or r["status"] == "failed"]
    record = run_record(paths, records)
    fileio.write_json(paths.reports / "run.json", record)
    timings = {r["key"]: r.get("seconds") for r in records}
    fileio.write_text(paths.reports / "run.js", "window.CHINABRIEF_RUN = " + json.dumps(
        {"seconds": timings, "commit": record["git_commit"], "dirty": record["git_dirty"]}, sort_keys=True) + ";\n")
    failed = [r for r in records if r["status"] == "failed"]
    banner = (f'<p class="status-failed">{len(failed)} stage(s) failed in the last build; '
              "their previous briefs, if any, are still linked.</p>" if failed else "")
    main_cards = "\n".join(_card(paths, r) for r in shown if r["stage"] != "event_brief")
    event_cards = "\n".join(_card(paths, r) for r in shown if r["stage"] == "event_brief")
    cards = main_cards + ('\n</section>\n<h2 id="events">Event briefs</h2>\n<section class="cards">\n'
                          + event_cards if event_cards else "")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>China Crypto Brief</title>
<style>
{stylesheet()}
</style>
</head>
<body class="brief">
<main class="brief-main">
<header class="title-block">
<h1>China Crypto Brief</h1>
<p class="dek">Do 'Made in China' tokens move on US–China trade news, and where is Bitcoin mined? Answers from the data snapshot, rebuilt on every run.</p>
</header>
{banner}
<section class="cards">
{cards}
</section>
<p class="table-note">Build record: <a href="run.json">run.json</a> (commit, parameters, input checksums, package versions, stage timings).</p>
</main>
<script src="run.js"></script>
<script>
(function () {{
  var run = window.CHINABRIEF_RUN;
  if (!run) {{ return; }}
  document.querySelectorAll('.duration').forEach(function (el) {{
    var s = run.seconds[el.getAttribute('data-key')];
    if (s !== undefined && s !== null) {{ el.textContent = 'Build time: ' + s.toFixed(1) + ' s'; }}
  }});
}})();
</script>
</body>
</html>
"""
    target = paths.reports / "index.html"
    fileio.write_text(target, page)
    return target
