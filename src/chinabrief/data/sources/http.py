"""HTTP plumbing shared by the live data clients.

One :class:`requests.Session` factory (:func:`make_session`) mounts urllib3's ``Retry`` on both
schemes, so every client retries the same way: back off on 429 and 5xx, honour ``Retry-After``
(capped), give up after a bounded number of tries. :func:`get` (JSON) and :func:`fetch` (any body) turn every
final failure (an error status, a timeout, a refused connection, a body that is not JSON) into a
:class:`~chinabrief.exceptions.SourceError` whose message names the status, the URL (with any
secret query parameter masked) and the API's own error text, and never carries a credential.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ... import __version__
from ...exceptions import SourceError

log = logging.getLogger(__name__)

#: Seconds to wait for a connection, and then between bytes of the answer.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
#: Statuses worth another try: rate limited, or a server-side failure.
RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})
DEFAULT_TOTAL_RETRIES = 5
DEFAULT_BACKOFF_FACTOR = 1.0
#: Longest pause between two tries, whatever the backoff or ``Retry-After`` asks for (seconds).
DEFAULT_BACKOFF_MAX = 60.0
DEFAULT_RETRY_AFTER_MAX = 300
USER_AGENT = f"chinabrief/{__version__} (+https://pypi.org/project/requests/)"

#: Query parameter names (lower case) whose values are masked in every URL we report or record.
SECRET_PARAM_NAMES: frozenset[str] = frozenset(
    {
        "x_cg_demo_api_key",
        "x_cg_pro_api_key",
        "api_key",
        "apikey",
        "key",
        "token",
        "access_token",
        "signature",
        "secret",
    }
)
#: Header names are secret when they contain one of these words (lower case).
SECRET_HEADER_WORDS: tuple[str, ...] = ("key", "token", "secret", "authorization", "cookie")
MASK = "***"
#: Longest slice of an error body quoted in a message.
ERROR_TEXT_LIMIT = 300


class HTTPStatusError(SourceError):
    """A live source answered with an error status (after any retries).

    Attributes
    ----------
    status : int
        The final HTTP status.
    url : str
        The URL asked for, secrets masked.
    payload : object or None
        The error body parsed as JSON, or ``None`` when it was not JSON.
    """

    def __init__(self, message: str, *, status: int, url: str, payload: Any) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.payload = payload


def make_session(
    *,
    total_retries: int = DEFAULT_TOTAL_RETRIES,
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
    backoff_max: float = DEFAULT_BACKOFF_MAX,
    retry_after_max: int = DEFAULT_RETRY_AFTER_MAX,
) -> requests.Session:
    """Return a session that retries GETs on 429, 5xx and network errors.

    Parameters
    ----------
    total_retries : int, default 5
        Most retries after the first try (so ``total_retries + 1`` requests at most).
    backoff_factor : float, default 1.0
        Pause before retry *n* is ``backoff_factor * 2 ** (n - 1)`` seconds (none before the
        first retry), capped at ``backoff_max``. Tests set it to 0.
    backoff_max : float, default 60
        Longest backoff pause, in seconds.
    retry_after_max : int, default 300
        Longest pause a ``Retry-After`` header (sent with 429 or 503) may impose, in seconds.

    Returns
    -------
    requests.Session
        With the retry policy mounted on ``http://`` and ``https://`` and a ``User-Agent``.
    """
    retry = Retry(
        total=total_retries,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        retry_after_max=retry_after_max,
        raise_on_status=False,  # hand back the last answer so its error text can be reported
    )
    adapter = HTTPAdapter(max_retries=retry)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


@functools.lru_cache(maxsize=1)
def default_session() -> requests.Session:
    """Return the process-wide session built by :func:`make_session` with its defaults."""
    return make_session()


def redact_url(url: str, params: Mapping[str, Any] | None = None) -> str:
    """Return ``url`` with ``params`` appended and every secret query value masked.

    Parameters
    ----------
    url : str
        Absolute URL, possibly with a query already.
    params : mapping, optional
        Extra query parameters, as they would be sent.

    Returns
    -------
    str
        The URL to show or record: parameters named in :data:`SECRET_PARAM_NAMES` read ``***``.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(str(k), str(v)) for k, v in (params or {}).items() if v is not None]
    shown = [(k, MASK if k.lower() in SECRET_PARAM_NAMES else v) for k, v in query]
    netloc = parts.netloc.rsplit("@", 1)[-1]  # drop any user:password@
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(shown, safe=",*"), ""))


def _secret_values(headers: Mapping[str, str] | None, params: Mapping[str, Any] | None) -> list[str]:
    secrets = [
        str(value)
        for name, value in (headers or {}).items()
        if any(word in name.lower() for word in SECRET_HEADER_WORDS)
    ]
    secrets += [str(v) for k, v in (params or {}).items() if str(k).lower() in SECRET_PARAM_NAMES]
    return [s for s in secrets if s]


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def api_error_text(response: requests.Response) -> str:
    """Extract the API's own explanation from an error answer.

    Understands Binance (``{"code": -1121, "msg": ...}``), CoinGecko
    (``{"error": {"status": {"error_code": ..., "error_message": ...}}}``, ``{"status": {...}}``
    or ``{"error": "..."}``) and falls back to the start of the body.

    Parameters
    ----------
    response : requests.Response
        The failed answer.

    Returns
    -------
    str
        One line, at most :data:`ERROR_TEXT_LIMIT` characters; empty when the body is empty.
    """
    payload = _json_or_none(response)
    text = ""
    if isinstance(payload, dict):
        status = payload.get("status")
        error = payload.get("error")
        if isinstance(error, dict) and isinstance(error.get("status"), dict):
            status = error["status"]
        if isinstance(status, dict) and ("error_message" in status or "error_code" in status):
            code = status.get("error_code")
            text = f"error_code {code}: {status.get('error_message', '')}".strip()
        elif "msg" in payload:
            text = f"code {payload.get('code')}: {payload['msg']}"
        elif isinstance(error, str):
            text = error
        elif "message" in payload:
            text = str(payload["message"])
    if not text:
        text = response.text
    text = " ".join(text.split())
    return text if len(text) <= ERROR_TEXT_LIMIT else text[: ERROR_TEXT_LIMIT - 1] + "…"


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retries_made(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return len(getattr(retries, "history", ()) or ())


def fetch(
    url: str,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    session: requests.Session | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> requests.Response:
    """GET ``url`` and return the successful (2xx) response.

    Parameters
    ----------
    url : str
        Absolute URL.
    params : mapping, optional
        Query parameters.
    headers : mapping, optional
        Extra request headers (e.g. an API key header; its value never appears in a message).
    session : requests.Session, optional
        Defaults to :func:`default_session`.
    timeout : float or (float, float), default :data:`DEFAULT_TIMEOUT`
        Connect and read timeouts, in seconds.

    Returns
    -------
    requests.Response

    Raises
    ------
    HTTPStatusError
        When the final answer (after retries) is not 2xx.
    SourceError
        On a timeout or a network failure.
    """
    session = session or default_session()
    shown = redact_url(url, params)
    secrets = _secret_values(headers, params)
    log.debug("GET %s", shown)
    try:
        response = session.get(url, params=params, headers=dict(headers or {}), timeout=timeout)
    except requests.Timeout as exc:
        raise SourceError(f"GET {shown} timed out (limit {timeout} s): {_scrub(type(exc).__name__, secrets)}") from None
    except requests.RequestException as exc:
        reason = _scrub(str(exc), secrets)
        raise SourceError(f"GET {shown} failed, no usable answer: {reason}") from None
    if not response.ok:
        retries = _retries_made(response)
        after = f" after {retries} retr{'y' if retries == 1 else 'ies'}" if retries else ""
        detail = _scrub(api_error_text(response), secrets)
        raise HTTPStatusError(
            f"GET {shown} answered HTTP {response.status_code} {response.reason}{after}: {detail}",
            status=response.status_code,
            url=shown,
            payload=_json_or_none(response),
        )
    return response


def get(
    url: str,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    session: requests.Session | None = None,
    timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
) -> Any:
    """GET ``url`` and return its body parsed as JSON.

    Parameters are those of :func:`fetch`.

    Returns
    -------
    object
        The decoded JSON.

    Raises
    ------
    HTTPStatusError
        When the final answer is not 2xx.
    SourceError
        On a timeout, a network failure, or a body that is not valid JSON.
    """
    response = fetch(url, params, headers, session=session, timeout=timeout)
    try:
        return json.loads(response.content)
    except ValueError as exc:
        start = _scrub(" ".join(response.text[:80].split()), _secret_values(headers, params))
        raise SourceError(
            f"GET {redact_url(url, params)} answered HTTP {response.status_code} but the body is "
            f"not valid JSON ({exc.__class__.__name__}: {exc}); it starts {start!r}"
        ) from None
