"""Units and the exact numbers of package contents: the unit vocabulary (ours and the one Apicbase
documents), exact conversion between units, GTIN check digits, and the admin's map of units
Apicbase may refuse (33 cl is sent as 330 ``cubic_centimeter``).

Quantities are ``Decimal`` throughout and conversions are exact (checked with ``Fraction``): a
content is never silently rounded.
"""
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext
from fractions import Fraction

from .errors import ContentError

# unit -> (dimension, factor to the dimension's base unit). Factors are exact
# legal definitions (international pound and gallon), not rounded values.
UNITS = {
    "mg": ("mass", Decimal("0.001")),
    "g": ("mass", Decimal("1")),
    "kg": ("mass", Decimal("1000")),
    "tonne": ("mass", Decimal("1000000")),
    "oz": ("mass", Decimal("28.349523125")),
    "lb": ("mass", Decimal("453.59237")),
    "ml": ("volume", Decimal("1")),
    "cl": ("volume", Decimal("10")),
    "dl": ("volume", Decimal("100")),
    "l": ("volume", Decimal("1000")),
    "cubic_centimeter": ("volume", Decimal("1")),
    "cubic_decimeter": ("volume", Decimal("1000")),
    "fl oz": ("volume", Decimal("29.5735295625")),
    "gal": ("volume", Decimal("3785.411784")),
    "piece": ("piece", Decimal("1")),
}


BASE_UNITS = {"mass": "g", "volume": "ml", "piece": "piece"}


# Units of the captured list Apicbase documents for unit_name in assortment files.
APICBASE_UNITS = frozenset({
    "mg", "g", "kg", "tonne", "oz", "lb",
    "l", "cubic_centimeter", "cubic_decimeter", "fl oz", "gal",
    "piece",
})


# unit Apicbase may refuse -> (unit sent instead, multiplier applied to the quantity).
DEFAULT_UNIT_MAP = {
    "ml": ("cubic_centimeter", Decimal("1")),
    "cl": ("cubic_centimeter", Decimal("10")),
    "dl": ("cubic_centimeter", Decimal("100")),
}


# Imperial units are tried after metric ones when a quantity must become whole:
# 0.25 kg should become 250 g, not a coincidental number of ounces.
IMPERIAL_UNITS = frozenset({"oz", "lb", "fl oz", "gal"})


GTIN_LENGTHS = (8, 12, 13, 14)


# Products of finite decimals are finite decimals: with this context they are exact.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def exact_product(*values):
    """The product of Decimals, exact however many digits it takes."""
    with localcontext(_EXACT):
        result = Decimal(1)
        for value in values:
            result *= value
        return result


def strip_zeros(number):
    """Removes trailing zeros without rounding or switching to exponent notation."""
    if not number.is_finite():
        return number
    sign, digits, exponent = number.as_tuple()
    if not any(digits):
        return Decimal(0)
    digits = list(digits)
    while exponent < 0 and digits[-1] == 0:  # pragma: no mutate
        digits.pop()
        exponent += 1
    if exponent > 0:  # pragma: no mutate
        digits.extend([0] * exponent)
        exponent = 0
    return Decimal((sign, tuple(digits), exponent))


def format_quantity(number):
    """``Decimal("1.50")`` -> ``"1.5"``, ``Decimal("33.0")`` -> ``"33"``; never ``1E+2``."""
    if isinstance(number, Decimal) and number.is_finite():
        return format(strip_zeros(number), "f")  # pragma: no mutate
    return str(number)


def decimal_places(number):
    """The decimals of a Decimal that carry a digit: ``Decimal("2.50")`` has 1."""
    return max(0, -strip_zeros(number).as_tuple().exponent)  # pragma: no mutate


def to_decimal(value):
    """Reads a number the way JSON or a caller may give it: ``(Decimal, None)`` or ``(None, message)``."""
    if isinstance(value, bool):
        return None, "must be a number, got bool"
    if isinstance(value, float):
        # str() gives the shortest repr (1.5, 0.1), not the binary expansion.
        value = str(value)
    if isinstance(value, int):
        return Decimal(value), None
    if isinstance(value, Decimal):
        return value, None
    if isinstance(value, str):
        if not value.strip():
            return None, "is required"
        try:
            return Decimal(value.strip()), None
        except InvalidOperation:
            return None, f"{value!r} is not a number"
    return None, f"must be a number, got {type(value).__name__}"


def unknown_unit(name):
    """The problem of a unit name we do not know, naming those we do."""
    return f"unknown unit {name!r}, expected one of: {', '.join(UNITS)}"


def unit_info(unit):
    """``unit``'s (dimension, factor to the dimension's base unit); ContentError when it is no unit of ours."""
    try:
        return UNITS[unit]
    except (KeyError, TypeError):
        raise ContentError([("unit", unknown_unit(unit))]) from None


def canonical_unit(name):
    """``" KG "`` -> ``"kg"``; None when the name is not a unit we know."""
    if not isinstance(name, str):
        return None
    key = " ".join(name.split()).lower()
    return key if key in UNITS else None


def gtin_problem(code):
    """Why ``code`` is not a GTIN (digits, length, check digit); None when it is one."""
    if not isinstance(code, str):
        return f"must be a string of digits, got {type(code).__name__}"
    if not code.isascii() or not code.isdigit():
        return f"{code!r} must contain digits only"
    if len(code) not in GTIN_LENGTHS:
        return f"{code!r} has {len(code)} digits, a GTIN has 8, 12, 13 or 14"
    expected = _check_digit(code[:-1])
    if int(code[-1]) != expected:
        return f"{code!r} has check digit {code[-1]}, expected {expected}"
    return None


def _check_digit(body):
    # GS1 mod 10: weights 3, 1, 3, ... from the digit next to the check digit.
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_is_valid(code):
    """True for a GTIN-8, UPC-12 (GTIN-12), EAN-13 (GTIN-13) or GTIN-14 with a correct check digit."""
    return gtin_problem(code) is None


def convert(quantity, from_unit, to_unit):
    """Converts a quantity between two units of the same dimension (33 cl -> 0.33 l)."""
    problems = []
    number, message = to_decimal(quantity)
    if message is None and not number.is_finite():
        message = f"{number} is not a finite number"
    if message:
        problems.append(("quantity", message))
    for path, unit in (("from_unit", from_unit), ("to_unit", to_unit)):
        if not isinstance(unit, str) or unit not in UNITS:
            problems.append((path, unknown_unit(unit)))
    if not problems and UNITS[from_unit][0] != UNITS[to_unit][0]:
        problems.append(("to_unit", f"cannot convert {from_unit} ({UNITS[from_unit][0]}) "
                                    f"to {to_unit} ({UNITS[to_unit][0]})"))
    if problems:
        raise ContentError(problems)
    return strip_zeros(_fraction_to_decimal(Fraction(number) * ratio(from_unit, to_unit)))


def ratio(from_unit, to_unit):
    """How many ``to_unit`` make one ``from_unit``, exactly."""
    return Fraction(UNITS[from_unit][1]) / Fraction(UNITS[to_unit][1])


def _fraction_to_decimal(value):
    # Exact when the fraction has a finite decimal expansion (its denominator has
    # no prime factor but 2 and 5); otherwise rounded to 28 significant digits,
    # which only a metric <-> imperial conversion needs.
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    rounded = Context(prec=28)  # pragma: no mutate
    with localcontext(_EXACT if rest == 1 else rounded):
        return Decimal(value.numerator) / Decimal(value.denominator)


def validate_unit_map(unit_map):
    """Problems of a unit map (for the settings form): every entry must keep the total exact."""
    problems = []
    if not isinstance(unit_map, dict):
        return [("unit_map", "must be a mapping of unit -> (unit, factor)")]
    for unit, entry in unit_map.items():
        message = map_entry_problem(unit, entry)
        if message:
            problems.append((f"unit_map.{unit}", message))
    return problems


def map_entry_problem(unit, entry):
    """Why ``unit -> entry`` (a pair: unit sent instead, factor) cannot be in a unit map; None when it can."""
    if unit not in UNITS:
        return unknown_unit(unit)
    if not isinstance(entry, (tuple, list)) or len(entry) != 2:
        return "must be a pair (unit, factor)"
    target, factor = entry
    if not isinstance(target, str) or target not in UNITS:
        return unknown_unit(target)
    if UNITS[target][0] != UNITS[unit][0]:
        return f"cannot send {unit} ({UNITS[unit][0]}) as {target} ({UNITS[target][0]})"
    number, message = to_decimal(factor)
    if message or not number.is_finite():
        return f"factor {message or number}"
    # The factor is redundant with UNITS on purpose: a typo in an admin's map
    # would otherwise change every total it touches without anybody noticing.
    expected = ratio(unit, target)
    if Fraction(number) != expected:
        return (f"factor {format_quantity(number)} is wrong: 1 {unit} is "
                f"{format_quantity(_fraction_to_decimal(expected))} {target}")
    return None


def unit_map_from_text(text):
    """Reads an admin's unit map written as ``cl=cubic_centimeter, ml=cubic_centimeter``.

    Each entry names a unit and the unit Apicbase is sent instead; the factor follows from the
    unit table, so totals stay exact. An empty text means the defaults. Raises ContentError.
    """
    if not (text or "").strip():
        return dict(DEFAULT_UNIT_MAP)
    unit_map, problems = {}, []
    for position, entry in enumerate(part.strip() for part in text.replace(";", ",").split(",")):
        if not entry:
            continue
        unit, sep, target = (piece.strip().lower() for piece in entry.partition("="))
        if not sep or not unit or not target:
            problems.append((f"unit_map[{position}]", f"{entry!r} is not written as unit=apicbase_unit"))
        elif unit not in UNITS or target not in UNITS:
            problems.append((f"unit_map.{unit}", unknown_unit(unit if unit not in UNITS else target)))
        elif UNITS[unit][0] != UNITS[target][0]:
            problems.append((f"unit_map.{unit}", f"{unit} ({UNITS[unit][0]}) cannot be sent as "
                                                 f"{target} ({UNITS[target][0]})"))
        else:
            unit_map[unit] = (target, UNITS[unit][1] / UNITS[target][1])
    problems += validate_unit_map(unit_map) if not problems else []
    if problems:
        raise ContentError(problems)
    return unit_map
