"""Claims files: one YAML file per article in ``data/articles/<article-id>.yaml``, typed and validated.

The file names the article (id, title, outlet, publication date, link) and lists its claims, each
of one ``kind``: ``price_change`` and ``relative_change`` (tokens' price changes over a period),
``mining_share`` and ``mining_rank`` (where Bitcoin is mined). :func:`load_article` reads one file
into an :class:`Article` (pydantic); :func:`load_articles` reads them all. A file that breaks a
rule raises :class:`ClaimsFileError` naming the file, its line, the claim id and the field: an
unknown kind, a token not in ``data/universe.csv``, ``range_pct`` and ``value_pct`` both given, a
duplicate id, or (:func:`check_dates`) a date outside the data. ``python -m chinabrief params``
runs these checks before any kernel starts.

Claims the data cannot judge are not errors: :mod:`chinabrief.analysis.claim_checks` gives them the
verdict ``not checkable`` with the reason. Nothing here names an article, a claim or a date.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..exceptions import InputFormatError

#: Where the claims files are, relative to the project root.
ARTICLES_FOLDER = Path("data") / "articles"
KINDS = ("price_change", "relative_change", "mining_share", "mining_rank")
PRICE_KINDS = ("price_change", "relative_change")
MINING_KINDS = ("mining_share", "mining_rank")
PERIODS = ("1h", "24h", "7d", "day")
SLUG = r"^[a-z0-9][a-z0-9._-]*$"
MONTH_OR_DATE = r"^\d{4}-\d{2}(-\d{2})?$"


class ClaimsFileError(InputFormatError):
    """A claims file breaks a rule; the message names the file, line, claim id and field."""


class Attribution(BaseModel):
    """What the article says the source of a figure is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    publisher: str
    report: str | None = None
    published: str | None = Field(None, pattern=MONTH_OR_DATE, description="YYYY-MM or YYYY-MM-DD")

    @field_validator("published", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return v.isoformat() if isinstance(v, dt.date) else v


class ArticleMeta(BaseModel):
    """The article: id (the brief's file name), title, outlet, publication date, link."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG)
    title: str
    outlet: str
    published: dt.date | dt.datetime
    url: str = Field(pattern=r"^https?://\S+$")


class Claim(BaseModel):
    """One claim of an article (fields by kind; see the module docstring and README)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=SLUG)
    kind: Literal["price_change", "relative_change", "mining_share", "mining_rank"]
    quote: str | None = None
    claim: str | None = None
    # price claims
    tokens: list[str] = Field(default_factory=list)
    benchmark: str | None = None
    range_pct: tuple[float, float] | None = None
    value_pct: float | None = None
    period: Literal["1h", "24h", "7d", "day"] | None = None
    as_of: dt.date | dt.datetime | None = None
    source_named: str | None = None
    # mining claims
    country: str | None = None
    attributed_to: Attribution | None = None
    top_n: int | None = Field(None, ge=1)
    in_top: bool | None = None
    rank: int | None = Field(None, ge=1)

    @field_validator("tokens")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [str(t).strip().upper() for t in v]

    @field_validator("benchmark")
    @classmethod
    def _upper_one(cls, v: str | None) -> str | None:
        return v.strip().upper() if v else v

    @field_validator("range_pct")
    @classmethod
    def _ordered(cls, v):
        if v is not None and v[0] > v[1]:
            raise ValueError(f"range_pct {list(v)} starts above where it ends")
        return v

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Claim:
        def need(*names: str) -> None:
            for name in names:
                value = getattr(self, name)
                if value is None or value == []:
                    raise _FieldProblem(name, f"a {self.kind} claim needs {name}")

        if self.range_pct is not None and self.value_pct is not None:
            raise _FieldProblem("range_pct", "give range_pct or value_pct, not both")
        if self.kind in PRICE_KINDS:
            need("tokens", "period", "as_of")
            if self.range_pct is None and self.value_pct is None:
                raise _FieldProblem("value_pct", f"a {self.kind} claim needs range_pct or value_pct")
            if self.kind == "relative_change":
                need("benchmark")
        elif self.kind == "mining_share":
            need("country", "value_pct")
        else:
            need("country")
            if self.rank is None and (self.top_n is None or self.in_top is None):
                raise _FieldProblem("top_n", "a mining_rank claim needs rank, or top_n and in_top")
        return self

    @property
    def low(self) -> float:
        """The claimed value's lower end (percent)."""
        return float(self.range_pct[0] if self.range_pct is not None else self.value_pct or 0.0)

    @property
    def high(self) -> float:
        """The claimed value's upper end (percent)."""
        return float(self.range_pct[1] if self.range_pct is not None else self.value_pct or 0.0)

    @property
    def text(self) -> str:
        """What the brief shows as the claim: the quote, else the ``claim`` field, else the id."""
        return self.quote or self.claim or self.id

    @property
    def as_of_time(self) -> dt.datetime | None:
        """``as_of`` as a naive UTC timestamp when a time was given, else None (a date)."""
        if isinstance(self.as_of, dt.datetime):
            t = self.as_of
            return t.astimezone(dt.UTC).replace(tzinfo=None) if t.tzinfo else t
        return None

    @property
    def as_of_day(self) -> dt.date | None:
        """The UTC day of ``as_of``."""
        if self.as_of is None:
            return None
        t = self.as_of_time
        return t.date() if t is not None else self.as_of


class Article(BaseModel):
    """A claims file: the article and its claims (ids unique)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    article: ArticleMeta
    claims: list[Claim]
    #: The file it was read from, relative to the project root (set by :func:`load_article`).
    source_file: str = ""
    #: Claim id → field → line of the file (set by :func:`load_article`, for messages).
    lines: dict[str, dict[str, int]] = Field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.article.id

    def price_claims(self) -> list[Claim]:
        return [c for c in self.claims if c.kind in PRICE_KINDS]

    def mining_claims(self) -> list[Claim]:
        return [c for c in self.claims if c.kind in MINING_KINDS]


class _FieldProblem(ValueError):
    """Raised inside a claim's validator: which field breaks which rule."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --------------------------------------------------------------------------- reading


def _lines(text: str) -> dict:
    """Line numbers (1-based) of the claims list's items and their keys: {index: (line, {key: line})}."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if key.value == "claims" and isinstance(value, yaml.SequenceNode):
            for i, item in enumerate(value.value):
                keys = (
                    {k.value: k.start_mark.line + 1 for k, _ in item.value}
                    if isinstance(item, yaml.MappingNode)
                    else {}
                )
                out[i] = (item.start_mark.line + 1, keys)
        elif key.value == "article":
            keys = (
                {k.value: k.start_mark.line + 1 for k, _ in value.value} if isinstance(value, yaml.MappingNode) else {}
            )
            out["article"] = (key.start_mark.line + 1, keys)
    return out


def read_universe(universe: Path) -> list[str]:
    """The symbols of ``data/universe.csv`` (csv module only: this runs on every ``make``)."""
    with universe.open(newline="", encoding="utf-8") as handle:
        return [str(row.get("symbol") or "") for row in csv.DictReader(handle)]


def _where(name: str, line: int | None, claim_id: str | None, field: str | None) -> str:
    parts = [f"{name}" + (f", line {line}" if line else "")]
    if claim_id is not None:
        parts.append(f"claim {claim_id!r}")
    if field:
        parts.append(f"field {field!r}")
    return ": ".join(parts)


def load_article(path: Path, universe: list[str] | None = None, shown_as: str | None = None) -> Article:
    """Read and validate one claims file.

    Parameters
    ----------
    path : Path
        ``data/articles/<article-id>.yaml``.
    universe : list of str, optional
        Known token symbols; every token and benchmark of a price claim must be one of them.
    shown_as : str, optional
        How the file is named in messages (default: its path as given).

    Returns
    -------
    Article

    Raises
    ------
    ClaimsFileError
        Naming the file, the line, the claim id and the field, and the rule broken.
    """
    name = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ClaimsFileError(f"{name}: cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ClaimsFileError(
            f"{_where(name, mark.line + 1 if mark else None, None, None)}: not valid YAML "
            f"({getattr(exc, 'problem', None) or exc})"
        ) from None
    lines = _lines(text)
    if not isinstance(raw, dict) or "article" not in raw or "claims" not in raw:
        raise ClaimsFileError(f"{name}: a claims file is a mapping with 'article' and 'claims'")
    unknown = sorted(set(raw) - {"article", "claims"})
    if unknown:
        raise ClaimsFileError(f"{name}: unknown top-level field(s) {unknown} (only 'article' and 'claims')")
    article_line, article_keys = lines.get("article", (None, {}))
    try:
        meta = ArticleMeta.model_validate(raw["article"])
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else None
        raise ClaimsFileError(
            f"{_where(name, article_keys.get(field, article_line), None, f'article.{field}')}: {err['msg']}"
        ) from None
    if path.suffix in (".yaml", ".yml") and path.stem != meta.id:
        raise ClaimsFileError(
            f"{_where(name, article_keys.get('id', article_line), None, 'article.id')}: "
            f"the id {meta.id!r} must equal the file name ({path.stem!r})"
        )
    if not isinstance(raw["claims"], list) or not raw["claims"]:
        raise ClaimsFileError(f"{name}: 'claims' must be a non-empty list")
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    claim_lines: dict[str, dict[str, int]] = {}
    for i, item in enumerate(raw["claims"]):
        line, keys = lines.get(i, (None, {}))
        claim_id = str(item.get("id")) if isinstance(item, dict) and item.get("id") is not None else f"#{i + 1}"
        if not isinstance(item, dict):
            raise ClaimsFileError(f"{_where(name, line, claim_id, None)}: a claim is a mapping of fields")
        if isinstance(item.get("kind"), str) and item["kind"] not in KINDS:
            raise ClaimsFileError(
                f"{_where(name, keys.get('kind', line), claim_id, 'kind')}: unknown kind "
                f"{item['kind']!r}; kinds: {', '.join(KINDS)}"
            )
        try:
            claim = Claim.model_validate(item)
        except ValidationError as exc:
            err = exc.errors()[0]
            cause = err.get("ctx", {}).get("error")
            if isinstance(cause, _FieldProblem):
                field, msg = cause.field, str(cause)
            else:
                field = str(err["loc"][0]) if err["loc"] else None
                msg = err["msg"]
                if err["type"] == "extra_forbidden":
                    msg = "unknown field"
            raise ClaimsFileError(f"{_where(name, keys.get(field, line), claim_id, field)}: {msg}") from None
        if claim.id in seen:
            raise ClaimsFileError(
                f"{_where(name, keys.get('id', line), claim.id, 'id')}: duplicate id "
                f"(first used at line {seen[claim.id]})"
            )
        seen[claim.id] = line or 0
        if universe is not None and claim.kind in PRICE_KINDS:
            for field, symbols in (
                ("tokens", claim.tokens),
                ("benchmark", [claim.benchmark] if claim.benchmark else []),
            ):
                missing = [s for s in symbols if s not in universe]
                if missing:
                    raise ClaimsFileError(
                        f"{_where(name, keys.get(field, line), claim.id, field)}: "
                        f"not in the token universe data/universe.csv: {missing}"
                    )
        claims.append(claim)
        claim_lines[claim.id] = {"": line or 0, **keys}
    return Article(article=meta, claims=claims, source_file=name, lines=claim_lines)


def article_files(folder: Path) -> list[Path]:
    """The claims files of ``folder`` (``*.yaml``), sorted by name."""
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def load_articles(folder: Path, universe: list[str] | None = None, root: Path | None = None) -> list[Article]:
    """Every claims file of ``folder``, validated (see :func:`load_article`); ids unique."""
    out = []
    for path in article_files(folder):
        shown = path.relative_to(root).as_posix() if root is not None and path.is_relative_to(root) else str(path)
        out.append(load_article(path, universe, shown_as=shown))
    return out


def find_article(folder: Path, article_id: str, universe: list[str] | None = None, root: Path | None = None) -> Article:
    """The article ``article_id`` of ``folder``.

    Raises
    ------
    ClaimsFileError
        When no such file exists (naming the ids there are) or it breaks a rule.
    """
    if not re.fullmatch(SLUG, article_id):
        raise ClaimsFileError(f"article id {article_id!r} is not a plain id (lower-case letters, digits, . _ -)")
    path = folder / f"{article_id}.yaml"
    if not path.is_file():
        known = [p.stem for p in article_files(folder)]
        raise ClaimsFileError(
            f"no claims file for article {article_id!r} in {folder.name}/ (articles: {', '.join(known) or 'none'})"
        )
    shown = path.relative_to(root).as_posix() if root is not None else str(path)
    return load_article(path, universe, shown_as=shown)


# --------------------------------------------------------------------------- dates against the data


def check_dates(article: Article, first_day: dt.date | None, last_day: dt.date | None) -> None:
    """Fail if a price claim's ``as_of`` lies outside the price data (``first_day``..``last_day``).

    A day inside the data but without a price for one token is not an error: that claim is
    ``not checkable``.

    Raises
    ------
    ClaimsFileError
        Naming the file, the claim id, the field and the data's span.
    """
    if first_day is None or last_day is None:
        return
    for claim in article.price_claims():
        day = claim.as_of_day
        if day is not None and not first_day <= day <= last_day:
            line = article.lines.get(claim.id, {}).get("as_of")
            raise ClaimsFileError(
                f"{_where(article.source_file, line, claim.id, 'as_of')}: {day} is outside the "
                f"price data ({first_day} to {last_day})"
            )


def price_span(prices_daily_parquet: Path) -> tuple[dt.date | None, dt.date | None]:
    """First and last day of ``prices_daily.parquet`` from its column statistics (no full read)."""
    if not prices_daily_parquet.is_file():
        return None, None
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(prices_daily_parquet).metadata
    col = meta.schema.names.index("date")
    lows, highs = [], []
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(col).statistics
        if stats is None or not stats.has_min_max:
            return None, None
        lows.append(stats.min)
        highs.append(stats.max)

    def day(v):
        return v.date() if isinstance(v, dt.datetime) else v

    return (day(min(lows)), day(max(highs))) if lows else (None, None)
