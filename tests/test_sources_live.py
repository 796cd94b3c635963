"""Live data clients, against a local stand-in server (no internet)."""

from __future__ import annotations

import csv
import json
import logging
import socket
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from chinabrief.data import manifest
from chinabrief.data.sources import binance, ccaf, coingecko, http, live
from chinabrief.data.sources.snapshot import kind_of
from chinabrief.exceptions import SourceError
from live_server import (
    COUNTRIES_CSV,
    PROVINCES_CSV,
    LocalAPI,
    Reply,
    binance_klines,
    coingecko_market_chart,
    csv_reply,
    day_ms,
    json_reply,
)

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "data"
SECRET = "CG-s3cr3t-Key-0123456789abcdef"
KLINES = "/api/v3/klines"
CG = "/coingecko/api/v3"  # distinct from Binance's /api/v3 on the one local server
CCAF = "/cbeci/api/v1.2.0"

DAILY_HEADER = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_asset_volume",
    "trades",
    "taker_buy_base",
    "taker_buy_quote",
    "ignore",
]


@pytest.fixture(autouse=True)
def no_coingecko_key(monkeypatch):
    """Tests start without keys, whatever the developer's shell holds."""
    monkeypatch.delenv(coingecko.DEMO_KEY_ENV, raising=False)
    monkeypatch.delenv(coingecko.PRO_KEY_ENV, raising=False)


@pytest.fixture
def api():
    with LocalAPI(max_requests=300) as server:
        yield server
    assert not server.overflowed, "the client sent more requests than the test allows"


@pytest.fixture
def session():
    return http.make_session(total_retries=2, backoff_factor=0)


def serve_all(api: LocalAPI, **chart_options) -> None:
    api.route(KLINES, binance_klines({"TRXUSDT": "2018-06-11", "BTCUSDT": "2017-08-17"}))
    for coin in ("tron", "okb", "bitcoin"):
        api.route(f"{CG}/coins/{coin}/market_chart/range", coingecko_market_chart(**chart_options))
    api.route(f"{CCAF}/download/mining_countries", lambda r: csv_reply(COUNTRIES_CSV))
    api.route(f"{CCAF}/download/mining_provinces", lambda r: csv_reply(PROVINCES_CSV))


def small_universe() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["TRX", "OKB", "BTC", "ONT"],
            "coingecko_id": ["tron", "okb", "bitcoin", "ontology"],
            "binance_symbol": ["TRXUSDT", None, "BTCUSDT", None],
            "group": ["core", "core", "benchmark", "extended"],
        }
    )


def run_fetch_all(api: LocalAPI, raw_dir: Path, session, start=date(2024, 1, 1), end=date(2024, 3, 10)):
    return live.fetch_all(
        raw_dir,
        small_universe(),
        start,
        end,
        binance_url=api.url,
        coingecko_url=api.url + CG,
        ccaf_url=api.url + CCAF,
        session=session,
    )


# --- http ------------------------------------------------------------------------------------


def test_429_with_retry_after_is_retried_then_succeeds(api, session):
    answers = iter(
        [json_reply({"code": -1003, "msg": "Too many requests"}, 429, {"Retry-After": "0"}), json_reply({"ok": True})]
    )
    api.route("/x", lambda r: next(answers))
    assert http.get(api.url + "/x", {"a": 1}, session=session) == {"ok": True}
    assert len(api.requests_to("/x")) == 2


def test_retry_after_header_sets_the_pause(api, session):
    answers = iter([json_reply({}, 429, {"Retry-After": "1"}), json_reply([1])])
    api.route("/x", lambda r: next(answers))
    began = time.monotonic()
    assert http.get(api.url + "/x", session=session) == [1]
    assert time.monotonic() - began >= 0.9


def test_persistent_500_raises_with_status_url_and_api_text(api, session):
    api.route(KLINES, lambda r: json_reply({"code": -1000, "msg": "An unknown error occurred"}, 500))
    with pytest.raises(SourceError) as caught:
        http.get(api.url + KLINES, {"symbol": "TRXUSDT"}, session=session)
    message = str(caught.value)
    assert "HTTP 500" in message
    assert f"{api.url}{KLINES}?symbol=TRXUSDT" in message
    assert "An unknown error occurred" in message
    assert "after 2 retries" in message
    assert len(api.requests_to(KLINES)) == 3  # first try + total_retries


def test_client_error_is_not_retried(api, session):
    api.route(KLINES, binance_klines({"TRXUSDT": "2018-06-11"}))
    with pytest.raises(http.HTTPStatusError, match=r"HTTP 400.*Invalid symbol") as caught:
        binance.fetch_klines("NOPEUSDT", "1d", date(2020, 1, 1), date(2020, 1, 2), base_url=api.url, session=session)
    assert caught.value.status == 400
    assert len(api.requests) == 1


def test_malformed_json_raises(api, session):
    api.route("/x", lambda r: Reply(200, b'[[1, "0.1"', {"Content-Type": "application/json"}))
    with pytest.raises(SourceError, match="not valid JSON"):
        http.get(api.url + "/x", session=session)


def test_timeout_raises(api):
    api.route("/slow", lambda r: Reply(200, b"[]", delay=1.0))
    no_retry = http.make_session(total_retries=0, backoff_factor=0)
    with pytest.raises(SourceError, match="timed out"):
        http.get(api.url + "/slow", session=no_retry, timeout=0.2)


def test_refused_connection_raises():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    no_retry = http.make_session(total_retries=0, backoff_factor=0)
    with pytest.raises(SourceError, match=f"127.0.0.1:{port}/x"):
        http.get(f"http://127.0.0.1:{port}/x", session=no_retry, timeout=2)


def test_redact_url_masks_secret_parameters():
    shown = http.redact_url("https://h/p?x_cg_demo_api_key=abc&vs_currency=usd", {"api_key": "def", "n": 1})
    assert "abc" not in shown and "def" not in shown
    assert "vs_currency=usd" in shown and "n=1" in shown


# --- Binance ---------------------------------------------------------------------------------


def test_binance_daily_paginates_past_1000_rows(api, session):
    api.route(KLINES, binance_klines({"TRXUSDT": "2018-06-11"}))
    klines = binance.fetch_klines(
        "TRXUSDT", "1d", date(2018, 1, 1), date(2021, 6, 30), base_url=api.url, session=session
    )
    calls = api.requests_to(KLINES)
    assert len(calls) == 2
    assert calls[0].query["limit"] == "1000"
    assert int(calls[1].query["startTime"]) == klines[999][0] + 1  # just past the last open_time
    opens = [row[0] for row in klines]
    assert opens[0] == day_ms("2018-06-11") and opens[-1] == day_ms("2021-06-30")
    assert len(opens) == len(set(opens)) == (date(2021, 6, 30) - date(2018, 6, 11)).days + 1


def test_binance_small_limit_makes_many_pages(api, session):
    api.route(KLINES, binance_klines({"BTCUSDT": "2017-08-17"}))
    klines = binance.fetch_klines(
        "BTCUSDT", "1h", date(2021, 1, 1), date(2021, 1, 3), base_url=api.url, session=session, limit=10
    )
    assert len(klines) == 72
    assert len(api.requests_to(KLINES)) == 8  # 7 full pages, then 2 rows


def test_binance_files_match_the_snapshot_layout(api, session, tmp_path):
    api.route(KLINES, binance_klines({"TRXUSDT": "2018-06-11"}))
    daily = binance.fetch_klines(
        "TRXUSDT", "1d", date(2018, 6, 11), date(2018, 6, 12), base_url=api.url, session=session
    )
    hourly = binance.fetch_klines(
        "TRXUSDT", "1h", date(2021, 1, 1), date(2021, 1, 1), base_url=api.url, session=session
    )
    daily_file = tmp_path / binance.write_daily(tmp_path, "TRXUSDT", daily)
    hourly_file = tmp_path / binance.write_hourly_close(tmp_path, "TRXUSDT", hourly)
    assert daily_file == tmp_path / "prices/binance_spot_1d/TRXUSDT.csv"
    assert hourly_file == tmp_path / "prices/binance_spot_1h_close/TRXUSDT_1h_close.csv"
    lines = daily_file.read_text().splitlines()
    assert lines[0] == ",".join(DAILY_HEADER)
    row = dict(zip(DAILY_HEADER, lines[1].split(",")))
    assert row["open_time"] == "2018-06-11 00:00:00+00:00"
    assert row["close_time"] == str(day_ms("2018-06-12") - 1)
    assert row["ignore"] == "0"
    assert row["open"] == repr(float(daily[0][1]))  # "0.0534", not Binance's "0.05340000"
    assert len(lines) == 3
    hourly_lines = hourly_file.read_text().splitlines()
    assert hourly_lines[0] == "open_time,close"
    assert hourly_lines[1].startswith("2021-01-01 00:00:00,")
    assert hourly_lines[-1].startswith("2021-01-01 23:00:00,")
    assert len(hourly_lines) == 25


@pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="data snapshot not beside the repository")
def test_written_headers_equal_the_snapshot_headers(api, session, tmp_path):
    serve_all(api)
    run_fetch_all(api, tmp_path, session)
    pairs = {
        "prices/binance_spot_1d/TRXUSDT.csv": 12,  # the snapshot adds 3 empty open_time columns
        "prices/binance_spot_1h_close/TRXUSDT_1h_close.csv": None,
        "prices/coingecko_export/trx-usd-max.csv": None,
        "mining/ccaf_mining_countries.csv": None,
        "mining/ccaf_mining_provinces_cn.csv": None,
    }
    for rel_path, width in pairs.items():
        with open(SNAPSHOT / rel_path, newline="") as handle:
            expected = next(csv.reader(handle))[:width]
        with open(tmp_path / rel_path, newline="") as handle:
            assert next(csv.reader(handle)) == expected, rel_path


# --- CoinGecko -------------------------------------------------------------------------------


def test_coingecko_free_tier_limit_explains_365_days(api, session):
    serve_all(api)
    with pytest.raises(SourceError) as caught:
        coingecko.fetch_market_chart("tron", date(2020, 1, 1), date(2020, 2, 1), base_url=api.url + CG, session=session)
    message = str(caught.value)
    assert "365 days" in message
    assert "10012" in message
    assert coingecko.DEMO_KEY_ENV in message and coingecko.PRO_KEY_ENV in message


def test_coingecko_demo_key_goes_in_its_header(api, session, monkeypatch):
    monkeypatch.setenv(coingecko.DEMO_KEY_ENV, SECRET)
    serve_all(api)
    chart = coingecko.fetch_market_chart(
        "tron", date(2020, 1, 1), date(2020, 1, 3), base_url=api.url + CG, session=session
    )
    (call,) = api.requests
    assert call.headers["x-cg-demo-api-key"] == SECRET
    assert "x-cg-pro-api-key" not in call.headers
    assert SECRET not in json.dumps(call.query)
    assert len(chart["prices"]) == 4  # 3 days + the intraday "latest" point


def test_coingecko_pro_key_goes_in_its_header_and_picks_the_pro_root(api, session, monkeypatch):
    monkeypatch.setenv(coingecko.DEMO_KEY_ENV, "demo-key-unused")
    monkeypatch.setenv(coingecko.PRO_KEY_ENV, SECRET)
    assert coingecko.default_base_url() == coingecko.PRO_BASE_URL
    serve_all(api)
    coingecko.fetch_market_chart("tron", date(2020, 1, 1), date(2020, 1, 3), base_url=api.url + CG, session=session)
    (call,) = api.requests
    assert call.headers["x-cg-pro-api-key"] == SECRET
    assert "x-cg-demo-api-key" not in call.headers


def test_coingecko_without_key_uses_the_public_root():
    assert coingecko.default_base_url() == coingecko.DEFAULT_BASE_URL
    assert coingecko.api_key_header() == {}


def test_coingecko_export_layout_one_row_per_day(api, session):
    serve_all(api)
    chart = coingecko.fetch_market_chart(
        "tron", date(2024, 2, 1), date(2024, 2, 5), base_url=api.url + CG, session=session
    )
    frame = coingecko.export_frame(chart, date(2024, 2, 1), date(2024, 2, 5))
    assert list(frame.columns) == ["snapped_at", "price", "market_cap", "total_volume"]
    assert frame["snapped_at"].tolist() == [f"2024-02-0{d} 00:00:00 UTC" for d in range(1, 6)]
    assert 9.99 not in frame["price"].tolist()  # the intraday point is not a daily snapshot
    assert frame["market_cap"].iloc[0] == pytest.approx(frame["price"].iloc[0] * 1e10)


def test_coingecko_export_keeps_first_hourly_point_of_each_day():
    t0 = day_ms("2024-02-01")
    hours = [t0 + h * 3_600_000 + 120_000 for h in range(30)]  # hh:02, over 2 days
    chart = {key: [[t, float(i)] for i, t in enumerate(hours)] for key in ("prices", "market_caps", "total_volumes")}
    frame = coingecko.export_frame(chart, date(2024, 2, 1), date(2024, 2, 2))
    assert frame["snapped_at"].tolist() == ["2024-02-01 00:00:00 UTC", "2024-02-02 00:00:00 UTC"]
    assert frame["price"].tolist() == [0.0, 24.0]


def test_coingecko_export_drops_a_day_known_only_from_an_intraday_point():
    t0 = day_ms("2024-02-01")
    points = [t0, t0 + 86_400_000 + 13 * 3_600_000]  # 2024-02-01 00:00 and 2024-02-02 13:00 ("now")
    chart = {key: [[t, 1.0 + i] for i, t in enumerate(points)] for key in ("prices", "market_caps", "total_volumes")}
    frame = coingecko.export_frame(chart, date(2024, 2, 1), date(2024, 2, 2))
    assert frame["snapped_at"].tolist() == ["2024-02-01 00:00:00 UTC"]


def test_coingecko_category_members_paginate(api, session):
    coins = [
        {"id": f"coin-{i}", "symbol": f"c{i}", "name": f"Coin {i}", "market_cap": 1000 - i, "current_price": 1.0}
        for i in range(5)
    ]

    def markets(request):
        assert request.query["category"] == "made-in-china"
        assert request.query["vs_currency"] == "usd"
        per_page, page = int(request.query["per_page"]), int(request.query["page"])
        return json_reply(coins[(page - 1) * per_page : page * per_page])

    api.route(f"{CG}/coins/markets", markets)
    members = coingecko.fetch_category_members(base_url=api.url + CG, session=session, per_page=2)
    assert [m["id"] for m in members] == [f"coin-{i}" for i in range(5)]
    assert members[0] == {"id": "coin-0", "symbol": "c0", "name": "Coin 0", "market_cap": 1000}
    assert len(api.requests) == 3


# --- CCAF ------------------------------------------------------------------------------------


def test_ccaf_missing_column_raises_naming_url_and_column(api, session):
    broken = COUNTRIES_CSV.replace("monthly_absolute_hashrate_EH/S", "hashrate")
    api.route(f"{CCAF}/download/mining_countries", lambda r: csv_reply(broken))
    with pytest.raises(SourceError) as caught:
        ccaf.fetch_csv(ccaf.COUNTRIES, base_url=api.url + CCAF, session=session)
    message = str(caught.value)
    assert f"{api.url}{CCAF}/download/mining_countries" in message
    assert "monthly_absolute_hashrate_EH/S" in message


def test_ccaf_body_is_stored_as_served(api, session, tmp_path):
    api.route(f"{CCAF}/download/mining_provinces", lambda r: csv_reply(PROVINCES_CSV))
    body = ccaf.fetch_csv(ccaf.PROVINCES, base_url=api.url + CCAF, session=session)
    rel_path = ccaf.write_csv(tmp_path, ccaf.PROVINCES, body)
    assert rel_path == "mining/ccaf_mining_provinces_cn.csv"
    assert (tmp_path / rel_path).read_text() == PROVINCES_CSV


# --- fetch_all -------------------------------------------------------------------------------


def test_fetch_all_writes_snapshot_paths_and_a_live_manifest(api, session, tmp_path):
    serve_all(api)
    entries = run_fetch_all(api, tmp_path, session)
    expected = {
        "prices/binance_spot_1d/TRXUSDT.csv",
        "prices/binance_spot_1d/BTCUSDT.csv",
        "prices/binance_spot_1h_close/TRXUSDT_1h_close.csv",
        "prices/binance_spot_1h_close/BTCUSDT_1h_close.csv",
        "prices/coingecko_export/trx-usd-max.csv",
        "prices/coingecko_export/okb-usd-max.csv",  # core without a Binance symbol
        "mining/ccaf_mining_countries.csv",
        "mining/ccaf_mining_provinces_cn.csv",
    }
    assert {e.path for e in entries} == expected  # no BTC export (benchmark), nothing for ONT
    data = json.loads((tmp_path / manifest.MANIFEST_NAME).read_text())
    assert data["source"] == "live"
    assert manifest.read(tmp_path) == entries
    for entry in entries:
        assert entry.kind == kind_of(entry.path)
        assert entry.origin.startswith(api.url)
        assert entry.sha256 == manifest.entry_for(tmp_path, entry.path, entry.kind, entry.origin).sha256
    # the hourly range (70 days = 1680 hours) needed two Binance pages per symbol
    hourly_calls = [r for r in api.requests_to(KLINES) if r.query["interval"] == "1h"]
    assert len(hourly_calls) == 4
    hourly = pd.read_csv(tmp_path / "prices/binance_spot_1h_close/TRXUSDT_1h_close.csv")
    assert len(hourly) == 70 * 24 and hourly["open_time"].is_unique
    export = pd.read_csv(tmp_path / "prices/coingecko_export/trx-usd-max.csv")
    assert export["snapped_at"].iloc[[0, -1]].tolist() == ["2024-01-01 00:00:00 UTC", "2024-03-10 00:00:00 UTC"]
    assert not any(p.name.endswith(".tmp") for p in tmp_path.rglob("*"))


def test_fetch_all_writes_nothing_when_a_source_fails(api, session, tmp_path):
    serve_all(api)
    api.route(
        f"{CCAF}/download/mining_provinces",
        lambda r: csv_reply("Date,Region,Share of Chinese hashrate\n2019-09-01,Sichuan,49.52\n"),
    )
    with pytest.raises(SourceError, match="'Province'"):
        run_fetch_all(api, tmp_path, session)
    assert list(tmp_path.rglob("*")) == []


def test_api_key_is_sent_but_never_written_logged_or_raised(api, session, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(coingecko.DEMO_KEY_ENV, SECRET)
    caplog.set_level(logging.DEBUG)
    serve_all(api)
    run_fetch_all(api, tmp_path, session, start=date(2020, 1, 1), end=date(2020, 1, 20))
    cg_calls = [r for r in api.requests if r.path.startswith(CG)]
    assert cg_calls and all(r.headers.get("x-cg-demo-api-key") == SECRET for r in cg_calls)
    non_cg = [r for r in api.requests if not r.path.startswith(CG)]
    assert all(SECRET not in json.dumps(r.headers) for r in non_cg)  # only CoinGecko gets it
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert tmp_path / manifest.MANIFEST_NAME in written and len(written) == 9
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path

    # an error answer that echoes the key must not carry it into the exception
    def echo_key(request):
        key = request.headers.get("x-cg-demo-api-key", "")
        return json_reply({"status": {"error_code": 10002, "error_message": f"bad key {key}"}}, 401)

    api.route(f"{CG}/coins/tron/market_chart/range", echo_key)
    with pytest.raises(SourceError) as caught:
        run_fetch_all(api, tmp_path, session, start=date(2020, 1, 1), end=date(2020, 1, 20))
    assert "bad key ***" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert SECRET not in caplog.text
