"""A Google Ads Query Language (GAQL) subset: parse, check against a small field catalogue, run.

Grammar (developers.google.com/google-ads/api/docs/query/grammar, …/structure):
``SELECT field, … FROM resource [WHERE cond AND cond …] [ORDER BY field [ASC|DESC], …]
[LIMIT n] [PARAMETERS name = value]``. Conditions: ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``,
``IN (…)``, ``NOT IN (…)``, ``LIKE``, ``NOT LIKE``, ``IS NULL``, ``IS NOT NULL``,
``BETWEEN a AND b`` and ``DURING <literal>`` (…/query/date-ranges: TODAY, YESTERDAY,
LAST_7_DAYS, LAST_14_DAYS, LAST_30_DAYS, LAST_BUSINESS_WEEK, THIS_MONTH, LAST_MONTH,
THIS_WEEK_SUN_TODAY, THIS_WEEK_MON_TODAY, LAST_WEEK_SUN_SAT, LAST_WEEK_MON_SUN; dates as
``YYYY-MM-DD`` or ``YYYYMMDD``). Keywords are case-insensitive. Errors use QueryErrorEnum values
(google-ads-python v25 ``errors/types/query_error.py``).

Resources: ``campaign`` (with ``campaign_budget.*`` and ``customer.*`` attributed),
``customer`` and ``customer_client``. ``campaign.start_date``/``end_date`` exist up to v22,
``campaign.start_date_time``/``end_date_time`` from v23 (diff-tool v23 versus v22, campaign).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sandbox.googleads.errors import query_error
from sandbox.googleads.state import (
    BUDGET_PERIODS,
    CAMPAIGN_STATUSES,
    CHANNEL_TYPES,
    DATE_TIME_SINCE,
    PRIMARY_STATUSES,
    SERVING_STATUSES,
)

RESOURCES = ("campaign", "customer", "customer_client")
# resources whose fields may appear with each FROM resource (the main one plus attributed ones)
COMPATIBLE = {
    "campaign": ("campaign", "campaign_budget", "customer"),
    "customer": ("customer",),
    "customer_client": ("customer_client", "customer"),
}
METRICS_ALLOWED = {"campaign": True, "customer": True, "customer_client": False}
DATE_LITERALS = (
    "TODAY",
    "YESTERDAY",
    "LAST_7_DAYS",
    "LAST_14_DAYS",
    "LAST_30_DAYS",
    "LAST_BUSINESS_WEEK",
    "THIS_MONTH",
    "LAST_MONTH",
    "THIS_WEEK_SUN_TODAY",
    "THIS_WEEK_MON_TODAY",
    "LAST_WEEK_SUN_SAT",
    "LAST_WEEK_MON_SUN",
)
CUSTOMER_STATUSES = ("ENABLED", "CANCELED", "SUSPENDED", "CLOSED")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str  # INT64, STRING, ENUM, DOUBLE, DATE, BOOLEAN, RESOURCE_NAME
    enum: tuple[str, ...] = ()
    since: int | None = None  # first API version with the field
    until: int | None = None  # last API version with the field
    repeated: bool = False

    @property
    def resource(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def is_metric(self) -> bool:
        return self.resource == "metrics"

    @property
    def is_segment(self) -> bool:
        return self.resource == "segments"

    def exists_in(self, version: int) -> bool:
        return (self.since is None or version >= self.since) and (
            self.until is None or version <= self.until
        )


_FIELDS = [
    FieldSpec("campaign.resource_name", "RESOURCE_NAME"),
    FieldSpec("campaign.id", "INT64"),
    FieldSpec("campaign.name", "STRING"),
    FieldSpec("campaign.status", "ENUM", CAMPAIGN_STATUSES),
    FieldSpec("campaign.serving_status", "ENUM", SERVING_STATUSES),
    FieldSpec("campaign.primary_status", "ENUM", PRIMARY_STATUSES),
    FieldSpec("campaign.primary_status_reasons", "ENUM", repeated=True),
    FieldSpec("campaign.advertising_channel_type", "ENUM", CHANNEL_TYPES),
    FieldSpec("campaign.campaign_budget", "RESOURCE_NAME"),
    FieldSpec("campaign.start_date", "DATE", until=DATE_TIME_SINCE - 1),
    FieldSpec("campaign.end_date", "DATE", until=DATE_TIME_SINCE - 1),
    FieldSpec("campaign.start_date_time", "STRING", since=DATE_TIME_SINCE),
    FieldSpec("campaign.end_date_time", "STRING", since=DATE_TIME_SINCE),
    FieldSpec("campaign_budget.resource_name", "RESOURCE_NAME"),
    FieldSpec("campaign_budget.id", "INT64"),
    FieldSpec("campaign_budget.amount_micros", "INT64"),
    FieldSpec("campaign_budget.total_amount_micros", "INT64"),
    FieldSpec("campaign_budget.period", "ENUM", BUDGET_PERIODS),
    FieldSpec("campaign_budget.delivery_method", "ENUM", ("STANDARD", "ACCELERATED")),
    FieldSpec("campaign_budget.status", "ENUM", ("ENABLED", "REMOVED")),
    FieldSpec("customer.resource_name", "RESOURCE_NAME"),
    FieldSpec("customer.id", "INT64"),
    FieldSpec("customer.descriptive_name", "STRING"),
    FieldSpec("customer.currency_code", "STRING"),
    FieldSpec("customer.time_zone", "STRING"),
    FieldSpec("customer.manager", "BOOLEAN"),
    FieldSpec("customer.test_account", "BOOLEAN"),
    FieldSpec("customer.status", "ENUM", CUSTOMER_STATUSES),
    FieldSpec("customer_client.resource_name", "RESOURCE_NAME"),
    FieldSpec("customer_client.client_customer", "RESOURCE_NAME"),
    FieldSpec("customer_client.id", "INT64"),
    FieldSpec("customer_client.descriptive_name", "STRING"),
    FieldSpec("customer_client.currency_code", "STRING"),
    FieldSpec("customer_client.time_zone", "STRING"),
    FieldSpec("customer_client.manager", "BOOLEAN"),
    FieldSpec("customer_client.test_account", "BOOLEAN"),
    FieldSpec("customer_client.level", "INT64"),
    FieldSpec("customer_client.status", "ENUM", CUSTOMER_STATUSES),
    FieldSpec("metrics.impressions", "INT64"),
    FieldSpec("metrics.clicks", "INT64"),
    FieldSpec("metrics.cost_micros", "INT64"),
    FieldSpec("metrics.conversions", "DOUBLE"),
    FieldSpec("segments.date", "DATE"),
]
FIELDS: dict[str, FieldSpec] = {f.name: f for f in _FIELDS}
CORE_DATE_SEGMENTS = ("segments.date",)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def json_path(field_name: str) -> str:
    """``campaign_budget.amount_micros`` → ``campaignBudget.amountMicros`` (REST JSON names)."""
    return ".".join(camel(part) for part in field_name.split("."))


# --- tokens ------------------------------------------------------------------------------------
TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
      | (?P<open_string>['"])
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # string, number, op, punct, word
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        if not query[pos:].strip():
            break
        match = TOKEN.match(query, pos)
        if match is None:  # pragma: no cover - the pattern always matches a non-space
            raise query_error("UNEXPECTED_INPUT", "Query has an unexpected extra part.")
        pos = match.end()
        kind = match.lastgroup or "bad"
        text = match.group(kind)
        if kind == "open_string":
            rest = query[match.start(kind) + 1 :]
            if text in rest:  # closed on a later line: a newline inside a string
                raise query_error(
                    "PROHIBITED_NEWLINE_IN_STRING",
                    "Query has a string containing a newline character.",
                )
            raise query_error(
                "STRING_NOT_TERMINATED", "Query contains unterminated string.", query[pos - 1 :]
            )
        if kind == "bad":
            raise query_error("BAD_SYMBOL", f"Error in query: unexpected symbol '{text}'.", text)
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append(Token(kind, text))
    return tokens


# --- parse tree --------------------------------------------------------------------------------
@dataclass
class Condition:
    field: str
    op: str  # =, !=, >, >=, <, <=, IN, NOT IN, LIKE, NOT LIKE, IS NULL, IS NOT NULL, BETWEEN, DURING
    values: list[Any] = dataclasses.field(default_factory=list)


@dataclass
class Query:
    text: str
    select: list[str]
    resource: str
    where: list[Condition] = dataclasses.field(default_factory=list)
    order_by: list[tuple[str, bool]] = dataclasses.field(
        default_factory=list
    )  # (field, descending)
    limit: int | None = None

    @property
    def metrics(self) -> list[str]:
        return [f for f in self.select if FIELDS[f].is_metric]

    @property
    def by_date(self) -> bool:
        return "segments.date" in self.select

    def field_mask(self) -> str:
        return ",".join(json_path(f) for f in self.select)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, offset: int = 0) -> Token | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise query_error(
                "UNEXPECTED_END_OF_QUERY", "Query is incomplete and cannot be parsed."
            )
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.upper == word:
            self.pos += 1
            return True
        return False

    def parse(self) -> Query:
        if not self.keyword("SELECT"):
            raise query_error("EXPECTED_SELECT", "SELECT is missing at the beginning of query.")
        select = [self.field_name()]
        while self.peek() is not None and self.peek() == Token("punct", ","):
            self.pos += 1
            select.append(self.field_name())
        if not self.keyword("FROM"):
            raise query_error("EXPECTED_FROM", "Missing FROM clause.")
        resource_token = self.next()
        resource = resource_token.text.lower()
        if resource_token.kind != "word" or "." in resource:
            raise query_error(
                "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                "Invalid resource type was specified in the FROM clause.",
                resource_token.text,
            )
        query = Query(text=self.text, select=select, resource=resource)
        if self.keyword("WHERE"):
            query.where.append(self.condition())
            while self.keyword("AND"):
                query.where.append(self.condition())
            if self.peek() is not None and self.peek() == Token("word", "OR"):
                raise query_error("UNEXPECTED_INPUT", "Query has an unexpected extra part.", "OR")
        if self.keyword("ORDER"):
            if not self.keyword("BY"):
                raise query_error("EXPECTED_BY", "Expecting ORDER BY to have BY.")
            query.order_by.append(self.ordering())
            while self.peek() == Token("punct", ","):
                self.pos += 1
                query.order_by.append(self.ordering())
        if self.keyword("LIMIT"):
            token = self.next()
            if token.kind != "number" or not token.text.isdigit():
                raise query_error(
                    "BAD_LIMIT_VALUE",
                    "Limit value is invalid (for example, not a number)",
                    token.text,
                )
            query.limit = int(token.text)
            if query.limit < 1:
                raise query_error(
                    "LIMIT_VALUE_TOO_LOW", "The value passed to the limit clause is too low."
                )
        if self.keyword("PARAMETERS"):
            while self.peek() is not None:
                self.pos += 1  # include_drafts = true, omit_unselected_resource_names = true
        leftover = self.peek()
        if leftover is not None:
            raise query_error(
                "UNEXPECTED_INPUT", "Query has an unexpected extra part.", leftover.text
            )
        return query

    def field_name(self) -> str:
        token = self.next()
        if token.kind != "word" or "." not in token.text:
            raise query_error("BAD_FIELD_NAME", "Field name is invalid.", token.text)
        return token.text.lower()

    def ordering(self) -> tuple[str, bool]:
        name = self.field_name()
        if self.keyword("DESC"):
            return name, True
        self.keyword("ASC")
        return name, False

    def value(self) -> Any:
        token = self.next()
        if token.kind == "string":
            return token.text
        if token.kind == "number":
            return token.text
        if token.kind == "word":
            if token.upper in ("TRUE", "FALSE"):
                return token.upper == "TRUE"
            return token.text  # an unquoted enum constant
        raise query_error("BAD_VALUE", "Value is invalid.", token.text)

    def value_list(self) -> list[Any]:
        if self.next() != Token("punct", "("):
            raise query_error(
                "EXPECTED_LIST",
                "The operator used in the conditions requires the value to be a list.",
            )
        values: list[Any] = []
        if self.peek() == Token("punct", ")"):
            self.pos += 1
            raise query_error(
                "PROHIBITED_EMPTY_LIST_IN_CONDITION", "A Condition was found with an empty list."
            )
        while True:
            values.append(self.value())
            token = self.next()
            if token == Token("punct", ")"):
                return values
            if token != Token("punct", ","):
                raise query_error("BAD_VALUE", "Value is invalid.", token.text)

    def condition(self) -> Condition:
        name = self.field_name()
        token = self.next()
        if token.kind == "op":
            if self.peek() == Token("punct", "("):
                raise query_error(
                    "EXPECTED_SINGLE_VALUE",
                    "A list was passed as a value to a condition whose operator expects a "
                    "single value.",
                )
            return Condition(name, token.text, [self.value()])
        word = token.upper if token.kind == "word" else ""
        if word == "IN":
            return Condition(name, "IN", self.value_list())
        if word == "NOT":
            follow = self.next().upper
            if follow == "IN":
                return Condition(name, "NOT IN", self.value_list())
            if follow == "LIKE":
                return Condition(name, "NOT LIKE", [self.value()])
            raise query_error("BAD_OPERATOR", "Invalid operator encountered.", f"NOT {follow}")
        if word == "LIKE":
            return Condition(name, "LIKE", [self.value()])
        if word == "IS":
            negate = self.keyword("NOT")
            if not self.keyword("NULL"):
                raise query_error("BAD_OPERATOR", "Invalid operator encountered.", "IS")
            return Condition(name, "IS NOT NULL" if negate else "IS NULL")
        if word == "BETWEEN":
            low = self.value()
            if not self.keyword("AND"):
                raise query_error(
                    "EXPECTED_AND", "Expected AND between values with BETWEEN operator."
                )
            return Condition(name, "BETWEEN", [low, self.value()])
        if word == "DURING":
            literal = self.next()
            if literal.kind != "word" or literal.upper not in DATE_LITERALS:
                raise query_error(
                    "INVALID_VALUE_WITH_DURING_OPERATOR",
                    "The value passed to the DURING operator is not a Date range literal",
                    literal.text,
                )
            return Condition(name, "DURING", [literal.upper])
        raise query_error("BAD_OPERATOR", "Invalid operator encountered.", token.text)


def parse_date(value: Any) -> date:
    text = str(value)
    for candidate in (text, f"{text[:4]}-{text[4:6]}-{text[6:]}" if len(text) == 8 else ""):
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            continue
    raise query_error("INVALID_DATE_FORMAT", "Invalid date format. Expected 'YYYY-MM-DD'.", text)


def during(literal: str, today: date) -> tuple[date, date]:
    """The inclusive date range a DURING literal names, relative to the customer's today."""
    yesterday = today - timedelta(days=1)
    weekday = today.weekday()  # Monday 0 … Sunday 6
    if literal == "TODAY":
        return today, today
    if literal == "YESTERDAY":
        return yesterday, yesterday
    if literal.startswith("LAST_") and literal.endswith("_DAYS"):
        days = int(literal.split("_")[1])
        return today - timedelta(days=days), yesterday
    if literal == "THIS_MONTH":
        return today.replace(day=1), today
    if literal == "LAST_MONTH":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if literal == "THIS_WEEK_MON_TODAY":
        return today - timedelta(days=weekday), today
    if literal == "THIS_WEEK_SUN_TODAY":
        return today - timedelta(days=(weekday + 1) % 7), today
    if literal == "LAST_WEEK_MON_SUN":
        start = today - timedelta(days=weekday + 7)
        return start, start + timedelta(days=6)
    if literal == "LAST_WEEK_SUN_SAT":
        start = today - timedelta(days=(weekday + 1) % 7 + 7)
        return start, start + timedelta(days=6)
    # LAST_BUSINESS_WEEK: Monday to Friday of the previous week
    start = today - timedelta(days=weekday + 7)
    return start, start + timedelta(days=4)


def parse(text: str, version: int) -> Query:
    """Parse and check a query for an API version; raises AdsFailure (queryError)."""
    if not text or not text.strip():
        raise query_error("EXPECTED_SELECT", "SELECT is missing at the beginning of query.")
    query = _Parser(text).parse()
    check(query, version)
    return query


def _known(name: str, version: int) -> FieldSpec:
    spec = FIELDS.get(name)
    if spec is None or not spec.exists_in(version):
        raise query_error("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.", name)
    return spec


def _compatible(spec: FieldSpec, resource: str, clause: str) -> None:
    if spec.is_metric:
        if not METRICS_ALLOWED[resource]:
            raise query_error(
                "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
                f"Cannot select or filter on the following metrics: '{spec.name}' (could not "  # noqa: S608
                f"support requested resources: '{resource.upper()}'), since metric is "
                "incompatible with the resource in the FROM clause or other selected segmenting "
                "resources.",
                spec.name,
            )
        return
    if spec.is_segment:
        if not METRICS_ALLOWED[resource]:
            raise query_error(
                "PROHIBITED_SEGMENT_IN_SELECT_OR_WHERE_CLAUSE",
                f"Cannot select or filter on the following segments: '{spec.name}'.",
                spec.name,
            )
        return
    if spec.resource not in COMPATIBLE[resource]:
        code = (
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"
            if clause == "SELECT"
            else "PROHIBITED_RESOURCE_TYPE_IN_WHERE_CLAUSE"
        )
        raise query_error(
            code,
            f"Cannot select or filter on the following fields: '{spec.name}', since it is "  # noqa: S608
            f"incompatible with the resource in the FROM clause: '{resource}'.",
            spec.name,
        )


def check(query: Query, version: int) -> None:
    if query.resource not in RESOURCES:
        raise query_error(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            "Invalid resource type was specified in the FROM clause.",
            query.resource,
        )
    seen: set[str] = set()
    for name in query.select:
        spec = _known(name, version)
        _compatible(spec, query.resource, "SELECT")
        if name in seen:
            raise query_error(
                "PROHIBITED_FIELD_COMBINATION_IN_SELECT_CLAUSE",
                f"Duplicate field in the SELECT clause: '{name}'.",
                name,
            )
        seen.add(name)
    for cond in query.where:
        spec = _known(cond.field, version)
        _compatible(spec, query.resource, "WHERE")
        if spec.is_segment and cond.field not in CORE_DATE_SEGMENTS and cond.field not in seen:
            raise query_error(
                "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE",
                "Fields used in WHERE or ORDER BY clauses are missing from the SELECT clause.",
                cond.field,
            )
        _check_condition(spec, cond)
    for name, _desc in query.order_by:
        spec = _known(name, version)
        if name not in seen:
            raise query_error(
                "EXPECTED_REFERENCED_FIELD_IN_SELECT_CLAUSE",
                "Fields used in WHERE or ORDER BY clauses are missing from the SELECT clause.",
                name,
            )
        if spec.repeated:
            raise query_error(
                "PROHIBITED_FIELD_IN_ORDER_BY_CLAUSE",
                "A field that is not orderable was included in the ORDER BY clause.",
                name,
            )
    if query.by_date and date_bounds(query, date(2000, 1, 1)) == (None, None):
        raise query_error(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Missing filters on date related fields: segments.date must be restricted to a "
            "finite date range in the WHERE clause when it is selected.",
        )


def _check_condition(spec: FieldSpec, cond: Condition) -> None:
    if cond.op == "DURING" and spec.type != "DATE":
        raise query_error(
            "OPERATOR_FIELD_MISMATCH",
            "An operator was provided that is inapplicable to the field being filtered.",
            cond.field,
        )
    if cond.op == "BETWEEN":
        if spec.type != "DATE":
            raise query_error(
                "OPERATOR_FIELD_MISMATCH",
                "An operator was provided that is inapplicable to the field being filtered.",
                cond.field,
            )
        for raw in cond.values:
            try:
                parse_date(raw)
            except Exception as exc:
                raise query_error(
                    "INVALID_VALUE_WITH_BETWEEN_OPERATOR",
                    "A String value passed to the BETWEEN operator does not parse as a date.",
                    str(raw),
                ) from exc
        low, high = (parse_date(v) for v in cond.values)
        if low > high:
            raise query_error(
                "DATE_RANGE_TOO_NARROW",
                "Filters on date/week/month/quarter have a start date after end date.",
            )
        cond.values = [low, high]
        return
    if spec.type == "DATE" and cond.op in ("=", "!=", ">", ">=", "<", "<="):
        cond.values = [parse_date(cond.values[0])]
    elif spec.type == "DATE" and cond.op in ("IN", "NOT IN"):
        cond.values = [parse_date(v) for v in cond.values]
    if spec.type == "ENUM" and spec.enum and cond.op in ("=", "!=", "IN", "NOT IN"):
        for raw in cond.values:
            if str(raw).upper() not in spec.enum:
                raise query_error(
                    "BAD_ENUM_CONSTANT",
                    "A condition used in the query references an invalid enum constant.",
                    str(raw),
                )
        cond.values = [str(v).upper() for v in cond.values]
    if spec.type == "INT64" and cond.op not in ("IS NULL", "IS NOT NULL"):
        for raw in cond.values:
            if not re.fullmatch(r"-?\d+", str(raw)):
                raise query_error("BAD_NUMBER", "Encountered number can not be parsed.", str(raw))
        cond.values = [int(v) for v in cond.values]


def date_bounds(query: Query, today: date) -> tuple[date | None, date | None]:
    """The finite range the segments.date conditions allow (None where unbounded)."""
    low: date | None = None
    high: date | None = None

    def narrow(lo: date | None, hi: date | None) -> None:
        nonlocal low, high
        if lo is not None:
            low = lo if low is None else max(low, lo)
        if hi is not None:
            high = hi if high is None else min(high, hi)

    for cond in query.where:
        if cond.field != "segments.date":
            continue
        if cond.op == "DURING":
            narrow(*during(str(cond.values[0]), today))
        elif cond.op == "BETWEEN":
            narrow(cond.values[0], cond.values[1])
        elif cond.op == "=":
            narrow(cond.values[0], cond.values[0])
        elif cond.op in (">", ">="):
            narrow(cond.values[0] + timedelta(days=1 if cond.op == ">" else 0), None)
        elif cond.op in ("<", "<="):
            narrow(None, cond.values[0] - timedelta(days=1 if cond.op == "<" else 0))
        elif cond.op == "IN" and cond.values:
            narrow(min(cond.values), max(cond.values))
    if low is None or high is None:
        return (None, None) if low is None and high is None else (low, high)
    return low, high


def matches(cond: Condition, value: Any, today: date) -> bool:
    """Whether a row's raw value satisfies one condition (segments.date values are dates)."""
    op = cond.op
    if op == "IS NULL":
        return value is None
    if op == "IS NOT NULL":
        return value is not None
    if op == "DURING":
        low, high = during(str(cond.values[0]), today)
        return value is not None and low <= value <= high
    if op == "BETWEEN":
        return value is not None and cond.values[0] <= value <= cond.values[1]
    if op in ("IN", "NOT IN"):
        found = any(_equal(value, v) for v in cond.values)
        return found if op == "IN" else not found
    if op in ("LIKE", "NOT LIKE"):
        pattern = "^" + re.escape(str(cond.values[0])).replace("%", ".*").replace("_", ".") + "$"
        hit = value is not None and re.match(pattern, str(value)) is not None
        return hit if op == "LIKE" else not hit
    target = cond.values[0]
    if op == "=":
        return _equal(value, target)
    if op == "!=":
        return not _equal(value, target)
    if value is None:
        return False
    left, right = _comparable(value, target)
    return bool(
        (op == ">" and left > right)
        or (op == ">=" and left >= right)
        or (op == "<" and left < right)
        or (op == "<=" and left <= right)
    )


def _equal(value: Any, target: Any) -> bool:
    if isinstance(value, bool) or isinstance(target, bool):
        return bool(value) == (
            target if isinstance(target, bool) else str(target).upper() == "TRUE"
        )
    left, right = _comparable(value, target)
    return bool(left == right)


def _comparable(value: Any, target: Any) -> tuple[Any, Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return value, type(value)(target)
        except (TypeError, ValueError):
            return str(value), str(target)
    if isinstance(value, date):
        return value, target if isinstance(target, date) else parse_date(target)
    return str(value), str(target)
