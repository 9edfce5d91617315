"""Assortment files: the rules one uploaded package object must pass, and the package stored."""
import copy
import re

from .common import decimal_places, price_number, to_decimal

MAX_NESTING = 10
UNITS = ("mg", "g", "kg", "tonne", "oz", "lb", "l", "cubic_centimeter", "cubic_decimeter",
         "fl oz", "gal", "piece")
TRUE_VALUES = {True, "1", "t", "T", "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES",
               "on", "On", "ON"}
FALSE_VALUES = {False, "0", "f", "F", "false", "False", "FALSE", "n", "N", "no", "No", "NO",
                "off", "Off", "OFF"}
# Django's standard_duration_re (DRF's DurationField): one sign, before the hours, and no other.
DURATION_RE = re.compile(r"^(?:(?P<days>-?\d+) (days?, )?)?(?P<sign>-?)"
                         r"((?:(?P<hours>\d+):)(?=\d+:\d+))?(?:(?P<minutes>\d+):)?"
                         r"(?P<seconds>\d+)(?:[.,](?P<microseconds>\d{1,6})\d{0,6})?$")


def gtin_is_valid(code):
    """True for a GTIN-8, UPC-12, EAN-13 or GTIN-14 with a correct check digit."""
    if not isinstance(code, str) or not (code.isascii() and code.isdigit()):
        return False
    if len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(char) for char in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


class Errors(dict):
    """field path -> list of messages, as DRF reports serializer errors."""

    def add(self, path, message):
        self.setdefault(path, []).append(message)


def text_field(data, key, errors, max_length, required=False, path=None):
    """A DRF CharField; its errors go under ``path`` (default: ``key``)."""
    path = path or key
    value = data.get(key)
    if value is None:
        if required:
            errors.add(path, "This field is required." if key not in data
                       else "This field may not be null.")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        errors.add(path, "Not a valid string.")
        return None
    text = str(value).strip()
    if not text:
        if required:
            errors.add(path, "This field may not be blank.")
        return None
    if len(text) > max_length:
        errors.add(path, f"Ensure this field has no more than {max_length} characters.")
    return text


def _boolean(data, key, errors, default):
    value = data.get(key, default)
    if value is None:
        return default
    if isinstance(value, (str, int, bool)) and value in TRUE_VALUES:
        return True
    if isinstance(value, (str, int, bool)) and value in FALSE_VALUES:
        return False
    errors.add(key, "Must be a valid boolean.")
    return default


def _count(value, path, errors):
    """DRF IntegerField(min_value=1): ``33`` and ``33.0`` are integers, ``1.5`` is not."""
    try:
        if isinstance(value, bool):
            raise ValueError
        if int(re.sub(r"\.0*\s*$", "", str(value))) < 1:
            errors.add(path, "Ensure this value is greater than or equal to 1.")
    except ValueError:
        errors.add(path, "A valid integer is required.")


def _gtin(level, path, errors):
    value = level.get("gtin")
    if value in (None, ""):
        return None
    code = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not gtin_is_valid(code):
        errors.add(path, f"{value!r} is not a valid GTIN (8, 12, 13 or 14 digits with a correct "
                         "check digit).")
        return None
    return code


def _decimal(data, key, path, errors, places, positive):
    """A DRF DecimalField with at most ``places`` decimals, above 0 (``positive``) or not below."""
    try:
        number = to_decimal(data.get(key))
    except ValueError as exc:
        errors.add(path, str(exc) if key in data else "This field is required.")
        return
    if decimal_places(number) > places:
        errors.add(path, f"Ensure that there are no more than {places} decimal places.")
    if number < 0 or (positive and number == 0):
        errors.add(path, "Ensure this value is greater than " + ("0." if positive
                                                                 else "or equal to 0."))


def _description_level(level, path, errors, found, depth=1):
    """Validates one level of ``package_description``; collects units and GTINs in ``found``."""
    if not isinstance(level, dict):
        errors.add(path, f'Expected a dictionary of items but got type "{type(level).__name__}".')
        return
    if depth > MAX_NESTING:
        errors.add(path, f"Ensure there are no more than {MAX_NESTING} nesting levels.")
        return
    gtin = _gtin(level, f"{path}.gtin", errors)
    if gtin:
        found["gtins"].append(gtin)
    if level.get("package") is not None:
        if level.get("unit_name") is not None:
            errors.add(f"{path}.unit_name", "A level has either a package or a unit_name.")
        _decimal(level, "quantity", f"{path}.quantity", errors, places=6, positive=True)
        _description_level(level["package"], f"{path}.package", errors, found, depth + 1)
        return
    if "quantity" not in level:
        errors.add(f"{path}.quantity", "This field is required.")
    else:
        _count(level["quantity"], f"{path}.quantity", errors)
    unit = level.get("unit_name")
    if unit is None:
        errors.add(f"{path}.unit_name", "This field is required at the innermost level.")
    elif unit not in UNITS:
        errors.add(f"{path}.unit_name", f'"{unit}" is not a valid choice.')
    else:
        found["units"].append(unit)


def _price_type(data, errors):
    code = data.get("price_type_code", 0)
    if code is None:
        code = 0
    if isinstance(code, bool) or str(code) not in ("0", "1"):  # DRF's ChoiceField: 1.0 is no choice
        errors.add("price_type_code", f'"{code}" is not a valid choice.')
        return 0
    code = int(code)
    unit = data.get("price_unit")
    if code == 1 and unit in (None, ""):
        errors.add("price_unit", "This field is required when price_type_code is 1.")
    elif unit not in (None, "") and unit not in UNITS:
        errors.add("price_unit", f'"{unit}" is not a valid choice.')
    return code


def _order_options(data, errors):
    if data.get("order_multiplier") is not None:
        _count(data["order_multiplier"], "order_multiplier", errors)
    options = data.get("order_packaging_options")
    if options is None:
        return
    if not isinstance(options, list):
        errors.add("order_packaging_options", "Expected a list of items.")
        return
    for index, option in enumerate(options):
        path = f"order_packaging_options.{index}"
        if not isinstance(option, dict):
            errors.add(path, "Expected a dictionary of items.")
            continue
        for key in ("key", "label"):
            text_field(option, key, errors, 100, required=True, path=f"{path}.{key}")
        if option.get("order_multiplier") is not None:
            _count(option["order_multiplier"], f"{path}.order_multiplier", errors)


def _misc_fields(data, errors):
    text_field(data, "shared_id", errors, 50)
    text_field(data, "brand", errors, 150)
    text_field(data, "package_type", errors, 50)
    if data.get("description") is not None and not isinstance(data["description"], str):
        errors.add("description", "Not a valid string.")
    _boolean(data, "weighted", errors, False)
    lead_time = data.get("lead_time")
    if lead_time is not None and not DURATION_RE.match(str(lead_time).strip()):
        errors.add("lead_time", "Duration has wrong format. Use one of these formats instead: "
                                "[DD] [HH:[MM:]]ss[.uuuuuu].")
    _order_options(data, errors)


def validate_package(data):
    """Checks one object of an assortment file.

    Returns ``(errors, found)``: ``errors`` maps a field path to messages (empty when valid);
    ``found`` lists the innermost units and every GTIN met in ``package_description``.
    """
    errors = Errors()
    found = {"units": [], "gtins": []}
    if not isinstance(data, dict):
        errors.add("non_field_errors",
                   f'Expected a dictionary of items but got type "{type(data).__name__}".')
        return errors, found
    text_field(data, "third_party_id", errors, 50, required=True)
    text_field(data, "name", errors, 300, required=True)
    _misc_fields(data, errors)
    if data.get("price") is not None:
        _decimal(data, "price", "price", errors, places=3, positive=False)
    _price_type(data, errors)
    _boolean(data, "orderable", errors, True)
    top_gtin = _gtin(data, "gtin", errors)
    if top_gtin:
        found["gtins"].insert(0, top_gtin)
    if data.get("package_description") is None:
        errors.add("package_description", "This field is required.")
    else:
        _description_level(data["package_description"], "package_description", errors, found)
    return errors, found


def clean(value):
    return str(value).strip() if value not in (None, "") else None


def stored_package(data, article=None):
    """The package as GET packages returns it, built from a valid uploaded object."""
    description = data.get("package_description") or {}
    gtin = clean(data.get("gtin")) or (clean(description.get("gtin"))
                                       if isinstance(description, dict) else None)
    name = clean(data.get("name"))
    article = article or {"shared_id": clean(data.get("shared_id")), "name": name,
                          "brand": clean(data.get("brand"))}
    return {
        "article": dict(article),
        "third_party_id": clean(data.get("third_party_id")),
        "name": name,
        "gtin": gtin,
        "price": price_number(data.get("price")),
        "price_type_code": int(data.get("price_type_code") or 0),
        "package_type": clean(data.get("package_type")),
        "package_description": copy.deepcopy(data.get("package_description")),
        "orderable": _boolean(data, "orderable", Errors(), True),
    }


def rejection_message(third_party_id, index, errors):
    label = f"Package {third_party_id!r}" if third_party_id else f"Package at index {index}"
    details = "; ".join(f"{path}: {' '.join(messages)}" for path, messages in errors.items())
    return f"{label} rejected: {details}"

