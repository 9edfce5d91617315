"""Package contents: Apicbase's nested ``package_description`` and its flat form.

Apicbase describes what a package holds as nested levels, outermost first, the
innermost one carrying the unit: ``4 x 6 x 33 cl`` is
``{"quantity": 4, "package": {"quantity": 6, "package": {"quantity": 33,
"unit_name": "cl"}}}``. We keep the same thing flat (:class:`Content`): the
outer counting quantities, then the innermost quantity and unit.

Two traps shape this module (see the shared API notes, "Assortment files"):

* the unit list Apicbase documents for the files we send has no ``ml``, ``cl``
  or ``dl``, although Apicbase itself answers with ``cl``; units it may refuse
  are sent through an adjustable map (33 cl -> 330 ``cubic_centimeter``);
* the innermost quantity we send must be an integer, so 1.5 l goes out as
  1500 ``cubic_centimeter``.

Quantities are ``Decimal`` throughout and conversions are exact (checked with
``Fraction``): a content is never silently rounded. Every defect is reported at
once in one :class:`~.errors.ContentError`, with paths in the vocabulary of
``package_description`` (``package_description.package.quantity``).
"""
import re
from dataclasses import dataclass
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
_IMPERIAL = frozenset({"oz", "lb", "fl oz", "gal"})

# What people write in labels for a piece; everything else must be a unit name.
_LABEL_ALIASES = {"pieces": "piece", "pc": "piece", "pcs": "piece", "st": "piece", "stuks": "piece"}

MAX_DEPTH = 5
MAX_OUTER_DECIMALS = 6
GTIN_LENGTHS = (8, 12, 13, 14)
DEFAULT_PATH = "package_description"

# Products of finite decimals are finite decimals: with this context they are exact.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


@dataclass(frozen=True)
class Level:
    """One counting level (``6`` in ``4 x 6 x 33 cl``)."""

    quantity: Decimal
    gtin: str | None = None


@dataclass(frozen=True)
class Content:
    """A package content: outer counting levels, outermost first, then the innermost unit."""

    levels: tuple[Level, ...]
    quantity: Decimal
    unit: str
    gtin: str | None = None

    @property
    def dimension(self):
        return _unit_info(self.unit)[0]

    @property
    def base_unit(self):
        return BASE_UNITS[self.dimension]

    @property
    def unit_count(self):
        """Number of innermost units (24 for 4 x 6 x 33 cl); 1 without outer levels."""
        return _exact_product(Decimal(1), *(level.quantity for level in self.levels))

    @property
    def total(self):
        """Everything the package holds, in :attr:`base_unit` (7920 ml for 4 x 6 x 33 cl)."""
        return _strip(_exact_product(self.unit_count, self.quantity, _unit_info(self.unit)[1]))

    @property
    def label(self):
        parts = [format_quantity(level.quantity) for level in self.levels]
        parts.append(f"{format_quantity(self.quantity)} {self.unit}")
        return " × ".join(parts)


# --- numbers ----------------------------------------------------------------

def _exact_product(*values):
    with localcontext(_EXACT):
        result = Decimal(1)
        for value in values:
            result *= value
        return result


def _strip(number):
    """Removes trailing zeros without rounding or switching to exponent notation."""
    if not number.is_finite():
        return number
    sign, digits, exponent = number.as_tuple()
    if not any(digits):
        return Decimal(0)
    digits = list(digits)
    while exponent < 0 and digits[-1] == 0:
        digits.pop()
        exponent += 1
    if exponent > 0:
        digits.extend([0] * exponent)
        exponent = 0
    return Decimal((sign, tuple(digits), exponent))


def format_quantity(number):
    """``Decimal("1.50")`` -> ``"1.5"``, ``Decimal("33.0")`` -> ``"33"``; never ``1E+2``."""
    if isinstance(number, Decimal) and number.is_finite():
        return format(_strip(number), "f")
    return str(number)


def _decimals(number):
    return max(0, -_strip(number).as_tuple().exponent)


def _to_decimal(value):
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


def _quantity_problem(number, outer):
    if not number.is_finite():
        return f"{number} is not a finite number"
    if number <= 0:
        return f"must be positive, got {format_quantity(number)}"
    if outer and _decimals(number) > MAX_OUTER_DECIMALS:
        return f"must have at most {MAX_OUTER_DECIMALS} decimals, got {format_quantity(number)}"
    return None


def _read_quantity(value, outer):
    """``(Decimal, None)`` for a usable quantity, else ``(None, message)``."""
    if value is None:
        return None, "is required"
    number, message = _to_decimal(value)
    if message is None:
        message = _quantity_problem(number, outer)
    return (None, message) if message else (_strip(number), None)


# --- units and GTINs --------------------------------------------------------

def _unknown_unit(name):
    return f"unknown unit {name!r}, expected one of: {', '.join(UNITS)}"


def _unit_info(unit):
    try:
        return UNITS[unit]
    except (KeyError, TypeError):
        raise ContentError([("unit", _unknown_unit(unit))]) from None


def _canonical_unit(name):
    """``" KG "`` -> ``"kg"``; None when the name is not a unit we know."""
    if not isinstance(name, str):
        return None
    key = " ".join(name.split()).lower()
    return key if key in UNITS else None


def _gtin_problem(code):
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
    return _gtin_problem(code) is None


def convert(quantity, from_unit, to_unit):
    """Converts a quantity between two units of the same dimension (33 cl -> 0.33 l)."""
    problems = []
    number, message = _to_decimal(quantity)
    if message is None and not number.is_finite():
        message = f"{number} is not a finite number"
    if message:
        problems.append(("quantity", message))
    for path, unit in (("from_unit", from_unit), ("to_unit", to_unit)):
        if not isinstance(unit, str) or unit not in UNITS:
            problems.append((path, _unknown_unit(unit)))
    if not problems and UNITS[from_unit][0] != UNITS[to_unit][0]:
        problems.append(("to_unit", f"cannot convert {from_unit} ({UNITS[from_unit][0]}) "
                                    f"to {to_unit} ({UNITS[to_unit][0]})"))
    if problems:
        raise ContentError(problems)
    return _strip(_fraction_to_decimal(Fraction(number) * _ratio(from_unit, to_unit)))


def _ratio(from_unit, to_unit):
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
    with localcontext(_EXACT if rest == 1 else Context(prec=28)):
        return Decimal(value.numerator) / Decimal(value.denominator)


# --- validation ---------------------------------------------------------------

def _level_path(path, index):
    return path + ".package" * index


def validate(content, path=DEFAULT_PATH):
    """Every problem of a :class:`Content` as ``(path, message)`` pairs; empty when it is fine.

    Paths name the ``package_description`` level the problem would be in, so a
    problem reads the same whether it came from Apicbase's answer or from us.
    """
    if not isinstance(content, Content):
        return [(path, f"must be a Content, got {type(content).__name__}")]
    problems = []
    levels = tuple(content.levels) if isinstance(content.levels, (tuple, list)) else ()
    if not isinstance(content.levels, tuple):
        problems.append((path, f"levels must be a tuple of Level, got {type(content.levels).__name__}"))
    depth = len(levels) + 1
    for index, level in enumerate(levels):
        level_path = _level_path(path, index)
        if index == MAX_DEPTH:
            problems.append((level_path, f"is nested deeper than {MAX_DEPTH} levels"))
        if not isinstance(level, Level):
            problems.append((level_path, f"must be a Level, got {type(level).__name__}"))
            continue
        _check_quantity(problems, level.quantity, f"{level_path}.quantity", outer=True)
        _check_gtin(problems, level.gtin, f"{level_path}.gtin")
    inner_path = _level_path(path, len(levels))
    if depth == MAX_DEPTH + 1:
        problems.append((inner_path, f"is nested deeper than {MAX_DEPTH} levels"))
    _check_quantity(problems, content.quantity, f"{inner_path}.quantity", outer=False)
    if not isinstance(content.unit, str) or content.unit not in UNITS:
        problems.append((f"{inner_path}.unit_name", _unknown_unit(content.unit)))
    _check_gtin(problems, content.gtin, f"{inner_path}.gtin")
    return problems


def _check_quantity(problems, value, path, outer):
    # A Content holds Decimals (ints are harmless); strings or floats mean a
    # caller skipped content()/parse_description and would make totals wrong.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        problems.append((path, f"must be a Decimal, got {type(value).__name__}"))
        return
    message = _quantity_problem(Decimal(value), outer)
    if message:
        problems.append((path, message))


def _check_gtin(problems, gtin, path):
    if gtin is not None:
        message = _gtin_problem(gtin)
        if message:
            problems.append((path, message))


# --- reading Apicbase's package_description -----------------------------------

def parse_description(description, path=DEFAULT_PATH):
    """Reads Apicbase's nested ``package_description`` into a :class:`Content`.

    Lenient where Apicbase itself is (a decimal innermost quantity, ``cl``,
    ``null`` for an absent ``package`` or ``unit_name``), strict on everything
    else. Raises :class:`ContentError` with every problem found.
    """
    problems = []
    levels = []
    level, level_path, index = description, path, 0
    inner = None
    while True:
        if index >= MAX_DEPTH:
            problems.append((level_path, f"is nested deeper than {MAX_DEPTH} levels"))
            break
        if not isinstance(level, dict):
            problems.append((level_path, "must be an object"))
            break
        # Apicbase's serializer may spell an absent key as null (or an empty string).
        package, unit_name = (None if level.get(key) in (None, "") else level.get(key)
                              for key in ("package", "unit_name"))
        if package is not None and unit_name is not None:
            problems.append((level_path, "has both package and unit_name, a level has exactly one of them"))
            # Still read this level's own fields so that their problems are reported too.
        elif package is None and unit_name is None:
            problems.append((level_path, "has neither package nor unit_name, a level has exactly one of them"))
        outer = package is not None and unit_name is None
        quantity, message = _read_quantity(level.get("quantity"), outer=outer)
        if message:
            problems.append((f"{level_path}.quantity", message))
        if outer:
            levels.append(Level(quantity, _read_gtin(problems, level.get("gtin"), f"{level_path}.gtin")))
            level, level_path, index = package, f"{level_path}.package", index + 1
            continue
        unit = None
        if unit_name is not None and package is None:
            unit = _read_unit(problems, unit_name, f"{level_path}.unit_name")
        inner = (quantity, unit, _read_gtin(problems, level.get("gtin"), f"{level_path}.gtin"))
        break
    if problems:
        raise ContentError(problems)
    quantity, unit, gtin = inner
    return Content(levels=tuple(levels), quantity=quantity, unit=unit, gtin=gtin)


def _read_gtin(problems, value, path):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    code = value.strip() if isinstance(value, str) else value
    message = _gtin_problem(code)
    if message:
        problems.append((path, message))
        return None
    return code


def _read_unit(problems, value, path):
    if not isinstance(value, str):
        problems.append((path, f"must be a string, got {type(value).__name__}"))
        return None
    unit = _canonical_unit(value)
    if unit is None:
        problems.append((path, _unknown_unit(value)))
    return unit


# --- building what we send ------------------------------------------------------

def validate_unit_map(unit_map):
    """Problems of a unit map (for the settings form): every entry must keep the total exact."""
    problems = []
    if not isinstance(unit_map, dict):
        return [("unit_map", "must be a mapping of unit -> (unit, factor)")]
    for unit, entry in unit_map.items():
        message = _map_entry_problem(unit, entry)
        if message:
            problems.append((f"unit_map.{unit}", message))
    return problems


def _map_entry_problem(unit, entry):
    if unit not in UNITS:
        return _unknown_unit(unit)
    if not isinstance(entry, (tuple, list)) or len(entry) != 2:
        return "must be a pair (unit, factor)"
    target, factor = entry
    if not isinstance(target, str) or target not in UNITS:
        return _unknown_unit(target)
    if UNITS[target][0] != UNITS[unit][0]:
        return f"cannot send {unit} ({UNITS[unit][0]}) as {target} ({UNITS[target][0]})"
    number, message = _to_decimal(factor)
    if message or not number.is_finite():
        return f"factor {message or number}"
    # The factor is redundant with UNITS on purpose: a typo in an admin's map
    # would otherwise change every total it touches without anybody noticing.
    expected = _ratio(unit, target)
    if Fraction(number) != expected:
        return (f"factor {format_quantity(number)} is wrong: 1 {unit} is "
                f"{format_quantity(_fraction_to_decimal(expected))} {target}")
    return None


def _accepted_units(unit_map):
    # A unit an admin's map sends to is taken as accepted: the admin knows better
    # than our captured list (e.g. mapping cl -> cl once Apicbase confirms it).
    return APICBASE_UNITS | {entry[0] for unit, entry in unit_map.items()
                             if _map_entry_problem(unit, entry) is None}


def _sendable_innermost(content, unit_map, inner_path):
    """``(unit, int quantity, problems)``: the innermost level as Apicbase accepts it."""
    unit, quantity = content.unit, Fraction(content.quantity)
    if unit not in APICBASE_UNITS:
        entry = unit_map.get(unit)
        if entry is None:
            return None, None, [(f"{inner_path}.unit_name",
                                 f"{unit} is not a unit Apicbase accepts and the unit map does not translate it")]
        message = _map_entry_problem(unit, entry)
        if message:
            return None, None, [(f"unit_map.{unit}", message)]
        unit, quantity = entry[0], quantity * Fraction(_to_decimal(entry[1])[0])
    if quantity.denominator == 1:
        return unit, int(quantity), []
    for candidate in _smaller_units(unit, _accepted_units(unit_map)):
        moved = quantity * _ratio(unit, candidate)
        if moved.denominator == 1:
            return candidate, int(moved), []
    return None, None, [(f"{inner_path}.quantity",
                         f"{format_quantity(content.quantity)} {content.unit} cannot be sent as a whole number "
                         f"of any unit Apicbase accepts (Apicbase wants an integer innermost quantity)")]


def _smaller_units(unit, accepted):
    """Accepted units of the same dimension smaller than ``unit``: same system first, nearest first."""
    dimension, factor = UNITS[unit]
    imperial = unit in _IMPERIAL
    candidates = [name for name in accepted
                  if name in UNITS and UNITS[name][0] == dimension and UNITS[name][1] < factor]
    return sorted(candidates, key=lambda name: ((name in _IMPERIAL) != imperial, -UNITS[name][1], name))


def sending_problems(content, unit_map=None, path=DEFAULT_PATH):
    """Every reason :func:`to_description` would refuse ``content``; empty when it can be sent."""
    problems = validate(content, path)
    if problems:
        return problems
    unit_map = DEFAULT_UNIT_MAP if unit_map is None else unit_map
    return _sendable_innermost(content, unit_map, _level_path(path, len(content.levels)))[2]


def _wire_quantity(number):
    number = _strip(Decimal(number))
    return int(number) if number == number.to_integral_value() else number


def to_description(content, unit_map=None):
    """Builds the ``package_description`` we send to Apicbase for ``content``.

    Units Apicbase may refuse go through ``unit_map`` (default
    :data:`DEFAULT_UNIT_MAP`) and a fractional innermost quantity moves to a
    smaller accepted unit (1.5 l -> 1500 cubic_centimeter). Totals are kept exactly.
    """
    problems = validate(content)
    if problems:
        raise ContentError(problems)
    unit_map = DEFAULT_UNIT_MAP if unit_map is None else unit_map
    unit, quantity, problems = _sendable_innermost(content, unit_map, _level_path(DEFAULT_PATH, len(content.levels)))
    if problems:
        raise ContentError(problems)
    description = {"quantity": quantity, "unit_name": unit}
    if content.gtin is not None:
        description["gtin"] = content.gtin
    for level in reversed(content.levels):
        description = {"quantity": _wire_quantity(level.quantity), "package": description}
        if level.gtin is not None:
            description["gtin"] = level.gtin
    return description


# --- convenience constructors -----------------------------------------------------

def content(levels, quantity, unit, gtins=None):
    """Builds and validates a :class:`Content` from plain numbers.

    ``levels`` are the outer quantities, outermost first (numbers or
    :class:`Level`); ``gtins``, when given, has one entry per level, outermost
    first and the innermost last (None where there is none).
    """
    problems = []
    levels = list(levels)
    if gtins is None:
        gtins = [None] * (len(levels) + 1)
    else:
        gtins = list(gtins)
        if len(gtins) != len(levels) + 1:
            problems.append(("gtins", f"expects {len(levels) + 1} entries (one per level, outermost first), "
                                      f"got {len(gtins)}"))
            gtins = [None] * (len(levels) + 1)
    gtins = [None if (isinstance(code, str) and not code.strip()) else
             (code.strip() if isinstance(code, str) else code) for code in gtins]
    built = []
    for index, value in enumerate(levels):
        if isinstance(value, Level):
            built.append(value if gtins[index] is None else Level(value.quantity, gtins[index]))
            continue
        number = _number_or_problem(problems, value, f"{_level_path(DEFAULT_PATH, index)}.quantity")
        built.append(Level(number, gtins[index]))
    inner_path = _level_path(DEFAULT_PATH, len(levels))
    number = _number_or_problem(problems, quantity, f"{inner_path}.quantity")
    result = Content(levels=tuple(built), quantity=number, unit=_canonical_unit(unit) or unit, gtin=gtins[-1])
    # Conversion problems first; validate() then adds what the numbers mean, but
    # not a second message for a quantity that could not be read at all.
    unreadable = {path for path, _ in problems}
    problems.extend(problem for problem in validate(result) if problem[0] not in unreadable)
    if problems:
        raise ContentError(problems)
    return result


def _number_or_problem(problems, value, path):
    if value is None:
        problems.append((path, "is required"))
        return Decimal(1)
    number, message = _to_decimal(value)
    if message:
        problems.append((path, message))
        return Decimal(1)
    return _strip(number) if number.is_finite() else number


_NUMBER = r"\d+(?:[.,]\d+)?"
_SEPARATOR = r"\s*[x×X*]\s*"
# A unit is words of letters; no unit starts with "x", so "4 x" is not "4 of unit x".
_UNIT = r"[a-wyzA-WYZ_][a-zA-Z_]*(?:\s+[a-zA-Z_]+)*"
_LABEL = re.compile(rf"\s*((?:{_NUMBER}{_SEPARATOR})*)({_NUMBER})\s*({_UNIT})\s*")


def parse_label(text):
    """Reads a label such as ``4 x 6 x 33 cl``, ``4×6×33cl``, ``1,5 l`` or ``6 piece``."""
    if not isinstance(text, str):
        raise ContentError([("label", f"must be a string, got {type(text).__name__}")])
    match = _LABEL.fullmatch(text)
    if not match:
        raise ContentError([("label", f"{text!r} is not a package content such as '4 x 6 x 33 cl' or '1 kg'")])
    outer_text, quantity_text, unit_text = match.groups()
    unit_key = " ".join(unit_text.split()).lower()
    unit = _canonical_unit(unit_key) or _LABEL_ALIASES.get(unit_key)
    if unit is None:
        raise ContentError([("label", _unknown_unit(unit_text))])
    outer = [_label_number(part) for part in re.split(_SEPARATOR, outer_text) if part]
    return content(outer, _label_number(quantity_text), unit)


def _label_number(text):
    # A comma is a decimal comma here ("1,5 l"); labels carry no thousands separators.
    return Decimal(text.replace(",", "."))


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
            problems.append((f"unit_map.{unit}", _unknown_unit(unit if unit not in UNITS else target)))
        elif UNITS[unit][0] != UNITS[target][0]:
            problems.append((f"unit_map.{unit}", f"{unit} ({UNITS[unit][0]}) cannot be sent as "
                                                 f"{target} ({UNITS[target][0]})"))
        else:
            unit_map[unit] = (target, UNITS[unit][1] / UNITS[target][1])
    problems += validate_unit_map(unit_map) if not problems else []
    if problems:
        raise ContentError(problems)
    return unit_map
