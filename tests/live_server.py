"""A local stand-in for the live APIs, for tests: an HTTP server on 127.0.0.1 (ephemeral port)
in a background thread, answering from handlers registered per path and recording every request.

Fakes of Binance klines, CoinGecko market charts / markets and CCAF downloads answer in the real
APIs' formats. The number of requests is bounded: past ``max_requests`` the server answers 410
and marks itself ``overflowed`` (a test fixture then fails), so a looping client cannot hang a test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass
class Request:
    """One request the server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case


@dataclass
class Reply:
    """What a handler answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to provoke client timeouts)


def json_reply(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """Return a JSON reply."""
    return Reply(status, json.dumps(obj).encode(), {"Content-Type": "application/json", **(headers or {})})


def csv_reply(text: str) -> Reply:
    """Return a CSV reply, as CCAF sends its downloads."""
    return Reply(200, text.encode(), {"Content-Type": "text/csv; charset=utf-8"})


Handler = Callable[[Request], Reply]


class LocalAPI:
    """The server. Register handlers with :meth:`route`; use as a context manager."""

    def __init__(self, max_requests: int = 300) -> None:
        self.max_requests = max_requests
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self.overflowed = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def __enter__(self) -> LocalAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if len(self.requests) > self.max_requests:
                self.overflowed = True
                return json_reply({"error": "request budget of the test server exhausted"}, 410)
        handler = self.routes.get(request.path)
        if handler is None:
            return json_reply({"error": f"no route {request.path}"}, 404)
        return handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                parts = urlsplit(self.path)
                request = Request(
                    parts.path,
                    dict(parse_qsl(parts.query)),
                    {k.lower(): v for k, v in self.headers.items()},
                )
                reply = api._answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        return _Handler


def day_ms(text: str) -> int:
    """Milliseconds of 00:00 UTC of a ``YYYY-MM-DD`` day."""
    return int(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() * 1000)


def fake_kline(open_ms: int, interval_ms: int) -> list[Any]:
    """A kline in Binance's shape (strings with 8 decimals), its values derived from its time."""
    n = open_ms // HOUR_MS % 10_000
    price = 0.05 + n / 100_000
    return [
        open_ms,
        f"{price:.8f}",
        f"{price * 1.02:.8f}",
        f"{price * 0.98:.8f}",
        f"{price + 0.0001:.8f}",
        f"{1000 + n:.8f}",
        open_ms + interval_ms - 1,
        f"{(1000 + n) * price:.8f}",
        100 + n,
        f"{500 + n:.8f}",
        f"{(500 + n) * price:.8f}",
        "0",
    ]


def binance_klines(listed: dict[str, str]) -> Handler:
    """Fake ``/api/v3/klines``: klines of each symbol from its listing day on, up to a fixed 'now'.

    Honours symbol, interval (1h, 1d), startTime, endTime and limit (default 500, at most 1000),
    answering Binance's ``{"code": -1121, "msg": "Invalid symbol."}`` for an unknown symbol.
    """
    intervals = {"1h": HOUR_MS, "1d": DAY_MS}
    now_ms = day_ms("2024-12-31")

    def handle(request: Request) -> Reply:
        q = request.query
        if q.get("symbol") not in listed:
            return json_reply({"code": -1121, "msg": "Invalid symbol."}, 400)
        step = intervals[q["interval"]]
        limit = min(int(q.get("limit", 500)), 1000)
        first = max(int(q.get("startTime", 0)), day_ms(listed[q["symbol"]]))
        first = -(-first // step) * step  # next interval boundary
        last = min(int(q.get("endTime", now_ms)), now_ms)
        opens = range(first, last + 1, step)[:limit]
        return json_reply([fake_kline(t, step) for t in opens])

    return handle


def coingecko_market_chart(oldest_free_day: str = "2024-01-01", intraday_latest: bool = True) -> Handler:
    """Fake ``/coins/{id}/market_chart/range``: daily points at 00:00 UTC within from..to.

    Without an API-key header, a ``from`` before ``oldest_free_day`` gets CoinGecko's real
    HTTP 401 / error_code 10012 answer. ``intraday_latest`` adds a mid-day point after the last
    day, as CoinGecko does for "now".
    """
    oldest_ms = day_ms(oldest_free_day)

    def handle(request: Request) -> Reply:
        keyed = "x-cg-demo-api-key" in request.headers or "x-cg-pro-api-key" in request.headers
        start_ms = int(request.query["from"]) * 1000
        end_ms = int(request.query["to"]) * 1000
        if start_ms < oldest_ms and not keyed:
            return json_reply(
                {
                    "error": {
                        "status": {
                            "timestamp": "2024-04-20T22:00:05.123+00:00",
                            "error_code": 10012,
                            "error_message": "Your request exceeds the allowed time range. Public API "
                            "users are limited to querying historical data within the past 365 days. "
                            "Upgrade to a paid plan to enjoy full historical data access: "
                            "https://www.coingecko.com/en/api/pricing. ",
                        }
                    }
                },
                401,
            )
        days = range(-(-start_ms // DAY_MS) * DAY_MS, end_ms + 1, DAY_MS)
        prices = [[t, 0.1 + (t // DAY_MS % 1000) / 10_000] for t in days]
        caps = [[t, p * 1e10] for t, p in prices]
        volumes = [[t, p * 1e8] for t, p in prices]
        if intraday_latest and prices:
            t = prices[-1][0] + 13 * HOUR_MS + 12 * 60_000
            prices.append([t, 9.99])
            caps.append([t, 9.99e10])
            volumes.append([t, 9.99e8])
        return json_reply({"prices": prices, "market_caps": caps, "total_volumes": volumes})

    return handle


COUNTRIES_CSV = (
    "date,country,monthly_hashrate_%,monthly_absolute_hashrate_EH/S\n"
    "2019-09-01,Mainland China,75.53%,66.76\n"
    "2019-09-01,Other,6.1%,5.39\n"
    "2022-01-01,United States,37.84%,72.58\n"
)
PROVINCES_CSV = "Date,Province,Share of Chinese hashrate\n2019-09-01,Sichuan,49.52\n2019-09-01,Xinjiang,19.09\n"
