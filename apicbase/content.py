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

Units, exact numbers and conversions live in :mod:`.units` (re-exported here).
Every defect is reported at once in one :class:`~.errors.ContentError`, with
paths in the vocabulary of ``package_description``
(``package_description.package.quantity``).
"""
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .errors import ContentError
from .units import (  # noqa: F401 - the public unit names are re-exported: callers import them from here
    APICBASE_UNITS, BASE_UNITS, DEFAULT_UNIT_MAP, IMPERIAL_UNITS, UNITS, canonical_unit, convert, decimal_places,
    exact_product, format_quantity, gtin_is_valid, gtin_problem, map_entry_problem, ratio, strip_zeros,
    to_decimal, unit_info, unit_map_from_text, unknown_unit, validate_unit_map,
)

# What people write in labels for a piece; everything else must be a unit name.
_LABEL_ALIASES = {"pieces": "piece", "pc": "piece", "pcs": "piece", "st": "piece", "stuks": "piece"}


MAX_DEPTH = 5


MAX_OUTER_DECIMALS = 6


DEFAULT_PATH = "package_description"


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
        return unit_info(self.unit)[0]

    @property
    def base_unit(self):
        return BASE_UNITS[self.dimension]

    @property
    def unit_count(self):
        """Number of innermost units (24 for 4 x 6 x 33 cl); 1 without outer levels."""
        return exact_product(Decimal(1), *(level.quantity for level in self.levels))

    @property
    def total(self):
        """Everything the package holds, in :attr:`base_unit` (7920 ml for 4 x 6 x 33 cl)."""
        return strip_zeros(exact_product(self.unit_count, self.quantity, unit_info(self.unit)[1]))

    @property
    def label(self):
        parts = [format_quantity(level.quantity) for level in self.levels]
        parts.append(f"{format_quantity(self.quantity)} {self.unit}")
        return " × ".join(parts)


def _quantity_problem(number, outer):
    if not number.is_finite():
        return f"{number} is not a finite number"
    if number <= 0:
        return f"must be positive, got {format_quantity(number)}"
    if outer and decimal_places(number) > MAX_OUTER_DECIMALS:
        return f"must have at most {MAX_OUTER_DECIMALS} decimals, got {format_quantity(number)}"
    return None


def _read_quantity(value, outer):
    """``(Decimal, None)`` for a usable quantity, else ``(None, message)``."""
    if value is None:
        return None, "is required"
    number, message = to_decimal(value)
    if message is None:
        message = _quantity_problem(number, outer)
    return (None, message) if message else (strip_zeros(number), None)


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
    _check_quantity(problems, content.quantity, f"{inner_path}.quantity")
    if not isinstance(content.unit, str) or content.unit not in UNITS:
        problems.append((f"{inner_path}.unit_name", unknown_unit(content.unit)))
    _check_gtin(problems, content.gtin, f"{inner_path}.gtin")
    return problems


def _check_quantity(problems, value, path, outer=False):
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
        message = gtin_problem(gtin)
        if message:
            problems.append((path, message))


def parse_description(description, path=DEFAULT_PATH):
    """Reads Apicbase's nested ``package_description`` into a :class:`Content`.

    Lenient where Apicbase itself is (a decimal innermost quantity, ``cl``,
    ``null`` for an absent ``package`` or ``unit_name``), strict on everything
    else. Raises :class:`ContentError` with every problem found.
    """
    problems = []
    levels = []
    level, level_path, index = description, path, 0
    inner = None  # pragma: no mutate
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
        unit = None  # pragma: no mutate
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
    message = gtin_problem(code)
    if message:
        problems.append((path, message))
        return None
    return code


def _read_unit(problems, value, path):
    if not isinstance(value, str):
        problems.append((path, f"must be a string, got {type(value).__name__}"))
        return None
    unit = canonical_unit(value)
    if unit is None:
        problems.append((path, unknown_unit(value)))
    return unit


def _accepted_units(unit_map):
    # A unit an admin's map sends to is taken as accepted: the admin knows better
    # than our captured list (e.g. mapping cl -> cl once Apicbase confirms it).
    return APICBASE_UNITS | {entry[0] for unit, entry in unit_map.items()
                             if map_entry_problem(unit, entry) is None}


def _sendable_innermost(content, unit_map, inner_path):
    """``(unit, int quantity, problems)``: the innermost level as Apicbase accepts it."""
    unit, quantity = content.unit, Fraction(content.quantity)
    if unit not in APICBASE_UNITS:
        entry = unit_map.get(unit)
        if entry is None:
            return None, None, [(f"{inner_path}.unit_name",
                                 f"{unit} is not a unit Apicbase accepts and the unit map does not translate it")]
        message = map_entry_problem(unit, entry)
        if message:
            return None, None, [(f"unit_map.{unit}", message)]
        unit, quantity = entry[0], quantity * Fraction(to_decimal(entry[1])[0])
    if quantity.denominator == 1:
        return unit, int(quantity), []
    for candidate in _smaller_units(unit, _accepted_units(unit_map)):
        moved = quantity * ratio(unit, candidate)
        if moved.denominator == 1:
            return candidate, int(moved), []
    return None, None, [(f"{inner_path}.quantity",
                         f"{format_quantity(content.quantity)} {content.unit} cannot be sent as a whole number "
                         f"of any unit Apicbase accepts (Apicbase wants an integer innermost quantity)")]


def _smaller_units(unit, accepted):
    """Accepted units of the same dimension smaller than ``unit``: same system first, nearest first."""
    dimension, factor = UNITS[unit]
    imperial = unit in IMPERIAL_UNITS
    candidates = [name for name in accepted
                  if name in UNITS and UNITS[name][0] == dimension
                  and UNITS[name][1] < factor  # pragma: no mutate
                  ]
    return sorted(candidates, key=lambda name: ((name in IMPERIAL_UNITS) != imperial, -UNITS[name][1], name))


def sending_problems(content, unit_map=None, path=DEFAULT_PATH):
    """Every reason :func:`to_description` would refuse ``content``; empty when it can be sent."""
    problems = validate(content, path)
    if problems:
        return problems
    unit_map = DEFAULT_UNIT_MAP if unit_map is None else unit_map
    return _sendable_innermost(content, unit_map, _level_path(path, len(content.levels)))[2]


def _wire_quantity(number):
    number = strip_zeros(Decimal(number))
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


def content(levels, quantity, unit, gtins=None):
    """Builds and validates a :class:`Content` from plain numbers.

    ``levels`` are the outer quantities, outermost first (numbers or
    :class:`Level`); ``gtins``, when given, has one entry per level, outermost
    first and the innermost last (None where there is none).
    """
    problems = []
    levels = list(levels)
    if gtins is None:
        gtins = _no_gtins(levels)
    else:
        gtins = list(gtins)
        if len(gtins) != len(levels) + 1:
            problems.append(("gtins", f"expects {len(levels) + 1} entries (one per level, outermost first), "
                                      f"got {len(gtins)}"))
            gtins = _no_gtins(levels)
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
    result = Content(levels=tuple(built), quantity=number, unit=canonical_unit(unit) or unit, gtin=gtins[-1])
    # Conversion problems first; validate() then adds what the numbers mean, but
    # not a second message for a quantity that could not be read at all.
    unreadable = {path for path, _ in problems}
    # pragma: no mutate start
    problems.extend(problem for problem in validate(result) if problem[0] not in unreadable)
    # pragma: no mutate end
    if problems:
        raise ContentError(problems)
    return result


def _no_gtins(levels):
    """No GTIN for each of ``levels`` and for the innermost one."""
    return [None] * len(levels) + [None]


def _number_or_problem(problems, value, path):
    if value is None:
        problems.append((path, "is required"))
        return Decimal(1)  # pragma: no mutate
    number, message = to_decimal(value)
    if message:
        problems.append((path, message))
        return Decimal(1)  # pragma: no mutate
    return strip_zeros(number) if number.is_finite() else number  # pragma: no mutate


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
    unit = canonical_unit(unit_key) or _LABEL_ALIASES.get(unit_key)
    if unit is None:
        raise ContentError([("label", unknown_unit(unit_text))])
    outer = [_label_number(part) for part in re.split(_SEPARATOR, outer_text) if part]
    return content(outer, _label_number(quantity_text), unit)


def _label_number(text):
    # A comma is a decimal comma here ("1,5 l"); labels carry no thousands separators.
    return Decimal(text.replace(",", "."))
