"""Meta's money: budgets in the currency's smallest unit, spend in major units.

developers.facebook.com/docs/marketing-api/currencies: every currency has an *offset*, the number
of minor units in one major unit; `daily_budget`, `lifetime_budget`, `spend_cap`, bids and
`budget_remaining` are integers (sent as strings) in those minor units. The offset is 100 for
most currencies and 1 for those Meta treats as having no minor unit. Meta's table is not ISO
4217: HUF, ISK and TWD have two decimals in ISO but offset 1 at Meta, so the table below, not ISO,
decides. Insights `spend` is already in major units (a decimal string).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# Meta's offset-1 currencies (developers.facebook.com/docs/marketing-api/currencies); every other
# currency on that page has offset 100.
OFFSET_ONE = frozenset(
    {"CLP", "COP", "CRC", "HUF", "IDR", "ISK", "JPY", "KRW", "PYG", "TWD", "VND"}
)
DEFAULT_OFFSET = 100


def offset(currency: str) -> int:
    """Minor units per major unit for an ad account currency (100 unless Meta lists 1)."""
    return 1 if currency.strip().upper() in OFFSET_ONE else DEFAULT_OFFSET


def minor_to_major(value: object, currency: str) -> Decimal | None:
    """A budget in minor units ("2000", 2000) → Decimal major units (Decimal("20.00")), exact.

    None for absent, empty, non-numeric or zero values (Meta reports "0" for "no budget here").
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        minor = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not minor.is_finite() or minor <= 0 or minor != minor.to_integral_value():
        return None
    units = offset(currency)
    major = minor / units
    return major.quantize(Decimal(1) / units)


def decimal_string(value: object) -> Decimal:
    """An Insights number string ("21.40", "1200") → Decimal; absent or unreadable → 0."""
    if value is None or isinstance(value, bool):
        return Decimal(0)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return Decimal(0)
    return number if number.is_finite() else Decimal(0)
