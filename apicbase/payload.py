"""Parses Apicbase purchase orders (webhook body or API item) into typed objects.

Money and quantities are ``Decimal`` (JSON numbers are read as ``Decimal`` too,
never ``float``), within bounds no real order comes near (:data:`MAX_QUANTITY`,
:data:`MAX_AMOUNT`, :data:`MAX_DECIMALS`): a number beyond them is a problem of the
payload, found before anything converts it, stores it or computes with it. Datetimes
with an offset are aware and in UTC; a date or a time without an offset stays naive,
as said: it is the restaurant's local time, which only the caller knows
(:func:`naive_utc` places it). Every defect of a payload is reported at once in one
:class:`~.errors.PayloadError`.

Strict where Apicbase documents a shape, lenient where its docs are loose: the
purchase-order list is undocumented, so ``"2"`` and ``2``, ``"true"`` and ``true``
read alike there.
"""
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import PayloadError

ORDER_STATUSES = ("IN_PROGRESS", "ORDERED", "DELIVERED")
KEY_MAX_LENGTH = 255  # ids and numbers we index and look up; Apicbase's own are far shorter
WEBHOOK_STATUSES = ("ORDERED",)
INVOICE_STATUSES = {0: "not_received", 1: "received", 2: "payable", 3: "paid"}

# -- the numbers an order may carry ----------------------------------------------------------
# A JSON number longer than this, or with an exponent beyond NUMBER_MAX_EXPONENT, is not converted
# at all: int() of 1e99999999 takes tens of seconds, and 1e400 is no float. Every number the
# decoder does convert is below 10**129 and converts to an int or a float at once.
NUMBER_MAX_LENGTH = 64
NUMBER_MAX_EXPONENT = 64
# No restaurant orders a million packages of one article, and no price or total reaches a million
# millions, in any currency. Within these, a quantity times a price (1e18) is still a float Odoo
# rounds and a numeric PostgreSQL stores.
MAX_QUANTITY = 1_000_000
MAX_AMOUNT = Decimal(10) ** 12
# Apicbase keeps three decimals of a price; a few more are read (trailing zeros do not count).
MAX_DECIMALS = 6


@dataclass(frozen=True)
class OrderLine:
    article_number: str
    stock_item_name: str
    quantity: int
    price_per_package: Decimal | None
    total_price: Decimal | None


@dataclass(frozen=True)
class PurchaseOrder:
    id: str
    order_number: str
    status: str
    ordered_on: dt.datetime
    customer_number: str
    lines: tuple
    expected_delivery_date: dt.datetime | None = None
    remarks: str | None = None
    owner: str | None = None
    theoretical_price: Decimal | None = None
    # Fields of the follow-up only: absent from the webhook, read from the API.
    delivery_closed: bool | None = None
    invoice_status: int | None = None
    invoice_number: str | None = None
    viewed_by_supplier_at: dt.datetime | None = None
    fetched_by_supplier_at: dt.datetime | None = None

    @property
    def article_numbers(self):
        return tuple(dict.fromkeys(line.article_number for line in self.lines))

    @property
    def has_local_times(self):
        """Whether a date or time came without an offset: only then is the local time zone needed."""
        return any(value is not None and value.tzinfo is None
                   for value in (self.ordered_on, self.expected_delivery_date))


@dataclass(frozen=True, repr=False)
class OutOfRange:
    """A JSON number the decoder did not convert (see NUMBER_MAX_LENGTH): its text, for the problem."""
    text: str

    def __str__(self):
        """The number as a problem quotes it: short, whatever its length (a body holds up to 1 MiB)."""
        if len(self.text) <= 24:
            return self.text
        return f"{self.text[:16]}... ({len(self.text)} characters)"

    __repr__ = __str__


def _decimal_places(number):
    """The decimals of a finite Decimal that carry a digit: 2.400 has 1, 1E-99999 has 99999."""
    _sign, digits, exponent = number.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")  # pragma: no mutate
    if exponent >= 0 or not significant:
        return 0
    return -exponent - (len(digits) - len(significant))


class _Reader:
    """Reads typed values out of nested dicts, collecting one problem per defect."""

    def __init__(self):
        self.problems = []

    def problem(self, path, message):
        self.problems.append((path, message))

    def mapping(self, value, path):
        if not isinstance(value, dict):
            self.problem(path, "must be an object")
            return {}
        return value

    # A problem's path is the key itself unless said (a key of a nested object).

    def text(self, data, key, path=None, max_length=None):
        """A text that must be there: stripped, at most ``max_length`` characters; a number is read as its text."""
        return self._text(data, key, path or key, max_length, "is required")

    def optional_text(self, data, key, path=None, max_length=None):
        """A text that may be absent, null or blank: None then (see :meth:`text`)."""
        return self._text(data, key, path or key, max_length, None)

    def _text(self, data, key, path, max_length, when_absent):
        """The text of :meth:`text` and :meth:`optional_text`; ``when_absent``: the problem then, if any."""
        value = data.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if when_absent:
                self.problem(path, when_absent)
            return None
        if isinstance(value, OutOfRange):
            self.problem(path, f"{value} is out of range for a number")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.problem(path, "must be a string")
            return None
        value = str(value)  # an id may come as a number
        # What PostgreSQL cannot store is refused here, rather than failing to store the order:
        # NUL, a lone surrogate ("\ud800" is valid JSON), a key too long for an index.
        if "\x00" in value:
            self.problem(path, "must not contain NUL characters")
            return None
        try:
            value.encode()  # UTF-8, as PostgreSQL stores it
        except UnicodeEncodeError:
            self.problem(path, "must be valid Unicode text")
            return None
        if max_length and len(value) > max_length:
            self.problem(path, f"must be at most {max_length} characters, got {len(value)}")
            return None
        return value

    def decimal(self, data, key, path):
        """An optional decimal (a price, a total): None when absent or empty."""
        value = data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, OutOfRange):
            self.problem(path, f"{value} is out of range for a number")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.problem(path, f"must be a decimal number, got {type(value).__name__}")
            return None
        if isinstance(value, str) and len(value) > NUMBER_MAX_LENGTH:
            self.problem(path, f"{OutOfRange(value.strip())} is out of range for a number")
            return None
        try:
            number = Decimal(value)  # surrounding spaces are ignored
        except InvalidOperation:
            self.problem(path, f"{value!r} is not a decimal number")
            return None
        if not number.is_finite():
            self.problem(path, f"{value!r} is not a finite number")
            return None
        if number < 0:
            self.problem(path, f"must not be negative, got {value}")
            return None
        if number > MAX_AMOUNT:
            self.problem(path, f"must be at most {MAX_AMOUNT:f}, got {number}")
            return None
        if _decimal_places(number) > MAX_DECIMALS:
            self.problem(path, f"must have at most {MAX_DECIMALS} decimals, got {number}")
            return None
        return number

    def positive_int(self, data, key, path):
        """A quantity: a whole number from 1 to MAX_QUANTITY, checked before int() converts it."""
        value = data.get(key)
        if value is None:
            self.problem(path, "is required")
            return None
        if isinstance(value, OutOfRange):
            self.problem(path, f"{value} is out of range for a number")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            self.problem(path, f"must be an integer, got {type(value).__name__}")
            return None
        if isinstance(value, Decimal) and not value.is_finite():
            self.problem(path, f"must be a whole number, got {value}")
            return None
        if value > MAX_QUANTITY:
            self.problem(path, f"must be at most {MAX_QUANTITY}, got {value}")
            return None
        if isinstance(value, Decimal) and value != value.to_integral_value():
            self.problem(path, f"must be a whole number, got {value}")
            return None
        if value <= 0:
            self.problem(path, f"must be positive, got {value}")
            return None
        return int(value)

    def datetime(self, data, key, path=None):
        """A date-time that must be there (see :func:`parse_datetime`)."""
        return self._datetime(data, key, path or key, "is required")

    def optional_datetime(self, data, key, path=None):
        """A date-time that may be absent, null or empty: None then (see :meth:`datetime`)."""
        return self._datetime(data, key, path or key, None)

    def _datetime(self, data, key, path, when_absent):
        """The date-time of :meth:`datetime` and :meth:`optional_datetime`; ``when_absent`` as in :meth:`_text`."""
        value = data.get(key)
        if value is None or value == "":
            if when_absent:
                self.problem(path, when_absent)
            return None
        if not isinstance(value, str):
            self.problem(path, "must be an ISO 8601 date-time string")
            return None
        return self.iso_datetime(value, path)

    def iso_datetime(self, value, path):
        parsed = parse_datetime(value)
        if parsed is None:
            self.problem(path, f"{value!r} is not an ISO 8601 date-time")
        return parsed


# ISO 8601 as Django REST Framework and people write it. Parsed by hand because
# ``datetime.fromisoformat`` refuses a ``Z`` and most fraction lengths before Python 3.11,
# and Odoo 18 runs on 3.10 too.
_ISO_DATETIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[Tt ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:[.,](?P<fraction>[0-9]{1,9}))?)?"
    r"\s*(?P<offset>[Zz]|[+-][0-9]{2}(?::?[0-5][0-9])?)?)?")
# An order placed, delivered or invoiced outside these years is a typo, and at the edges of
# Python's calendar an offset or a time zone would overflow.
_YEARS = range(1900, 2200)


def _offset(text):
    if text in ("Z", "z"):
        return dt.timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def parse_datetime(value):
    """An ISO 8601 date or date-time text, or None when it is not one.

    With an offset (``Z`` included) the result is aware and in UTC; without one it is
    naive (a local time, see :func:`naive_utc`). A date alone is that day at 00:00.
    """
    match = _ISO_DATETIME.fullmatch(str(value).strip())
    if not match or int(match["year"]) not in _YEARS:
        return None
    parts = match.groupdict()
    microseconds = int((parts["fraction"] or "")[:6].ljust(6, "0"))  # digits past the sixth are dropped
    try:
        parsed = dt.datetime(int(parts["year"]), int(parts["month"]), int(parts["day"]),
                             int(parts["hour"] or 0), int(parts["minute"] or 0), int(parts["second"] or 0),
                             microseconds, tzinfo=_offset(parts["offset"]) if parts["offset"] else None)
    except ValueError:  # month 13, an offset of 25 hours...
        return None
    return parsed.astimezone(dt.timezone.utc) if parsed.tzinfo else parsed


def identifier(value):
    """An id Apicbase documents as integer in one place and string in another, as text.

    ``1`` and ``"1"`` are the same outlet; ``0`` is an id, not an absence. None, an empty text or
    anything that is not a number or a text gives None.
    """
    if isinstance(value, bool) or value is None:
        return None
    # int() of a Decimal costs as many digits as it has: 1E+99999999 is no id (nor is it converted).
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < KEY_MAX_LENGTH \
            and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, (int, str)):
        return str(value).strip() or None
    return None


def naive_utc(value, local_tz=dt.timezone.utc):
    """A datetime as the naive UTC value Odoo stores; None stays None.

    A naive value is a local time of ``local_tz`` (a ``tzinfo``, e.g. the company's
    ``zoneinfo.ZoneInfo``): Apicbase's restaurants say "the 27th", not "the 27th in UTC".
    """
    if not value:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz or dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _read_line(reader, data, index):
    path = f"packages[{index}]"
    data = reader.mapping(data, path)
    stock_item = reader.mapping(data.get("stock_item") or {}, f"{path}.stock_item")
    name = reader.optional_text(stock_item, "name", f"{path}.stock_item.name") or ""
    package = reader.mapping(data.get("supplier_package"), f"{path}.supplier_package")
    return OrderLine(
        article_number=reader.text(package, "supplier_article_number",
                                   f"{path}.supplier_package.supplier_article_number", max_length=KEY_MAX_LENGTH),
        stock_item_name=name,
        quantity=reader.positive_int(data, "quantity_ordered", f"{path}.quantity_ordered"),
        price_per_package=reader.decimal(package, "theoretical_price_per_package",
                                         f"{path}.supplier_package.theoretical_price_per_package"),
        total_price=reader.decimal(data, "total_theoretical_price", f"{path}.total_theoretical_price"),
    )


def _read_lines(reader, packages):
    """The order's lines, one a package; none, the problem said, when ``packages`` is no list."""
    if not isinstance(packages, list):
        reader.problem("packages", "is required and must be a list")
        packages = []
    elif not packages:
        reader.problem("packages", "must contain at least one package")
    return tuple(_read_line(reader, item, index) for index, item in enumerate(packages))


def _read_owner(reader, data):
    owner = data.get("owned_by")
    if owner is None:
        return None
    if not isinstance(owner, dict):
        reader.problem("owned_by", "must be an object or null")
        return None
    return reader.optional_text(owner, "username", "owned_by.username")


def _read_invoice_status(reader, data):
    value = data.get("invoice_status")
    if value is None or value == "":
        return None
    # The list's schema is undocumented: a choice field may come as 2 or as "2".
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,2}", value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value not in INVOICE_STATUSES:
        reader.problem("invoice_status", f"must be one of 0, 1, 2, 3, got {value!r}")
        return None
    return value


TRUE_TEXTS = frozenset({"true", "1", "yes"})
FALSE_TEXTS = frozenset({"false", "0", "no"})


def _read_boolean(reader, data, key):
    """true/false, as JSON or as the texts and 0/1 that query-string minded APIs write."""
    value = data.get(key)
    if value is None or value == "" or isinstance(value, bool):
        return None if value == "" else value
    text = str(value).strip().lower() if isinstance(value, (str, int)) else None
    if text in TRUE_TEXTS:
        return True
    if text in FALSE_TEXTS:
        return False
    reader.problem(key, f"must be true or false, got {value!r}")
    return None


def _read_status(reader, data, statuses):
    status = reader.text(data, "status")
    if status is not None and status not in statuses:
        reader.problem("status", f"unknown status {status!r}, expected one of {', '.join(statuses)}")
    return status


def _read_follow_up(reader, data):
    """The fields the purchase-orders list adds to the webhook's: delivery, invoice, stamps."""
    return {
        "delivery_closed": _read_boolean(reader, data, "delivery_closed"),
        "invoice_status": _read_invoice_status(reader, data),
        # Typed by the restaurant: free text, compared loosely (invoices.comparable).
        "invoice_number": reader.optional_text(data, "invoice_number", max_length=KEY_MAX_LENGTH),
        "viewed_by_supplier_at": reader.optional_datetime(data, "viewed_by_supplier_at"),
        "fetched_by_supplier_at": reader.optional_datetime(data, "fetched_by_supplier_at"),
    }


def parse_order(data, statuses=WEBHOOK_STATUSES):
    """Builds a :class:`PurchaseOrder` from a decoded JSON object.

    ``statuses`` are the order statuses accepted: the webhook only ever sends
    ``ORDERED``; the follow-up reads every status.
    """
    reader = _Reader()
    if not isinstance(data, dict):
        raise PayloadError([("$", "the purchase order must be a JSON object")])
    status = _read_status(reader, data, statuses)
    lines = _read_lines(reader, data.get("packages"))
    order = PurchaseOrder(
        id=reader.text(data, "id", max_length=KEY_MAX_LENGTH),
        order_number=reader.text(data, "order_number", max_length=KEY_MAX_LENGTH),
        status=status,
        ordered_on=reader.datetime(data, "ordered_on"),
        # A signed order without a customer number is still an order: kept, then mapped by a person.
        customer_number=reader.optional_text(data, "supplier_customer_number", max_length=KEY_MAX_LENGTH),
        lines=lines,
        expected_delivery_date=reader.optional_datetime(data, "expected_delivery_date"),
        remarks=reader.optional_text(data, "order_remarks"),
        owner=_read_owner(reader, data),
        theoretical_price=reader.decimal(data, "theoretical_price", "theoretical_price"),
        **_read_follow_up(reader, data),
    )
    if reader.problems:
        raise PayloadError(reader.problems)
    return order


def _json_int(text):
    return int(text) if len(text) <= NUMBER_MAX_LENGTH else OutOfRange(text)


def _json_float(text):
    """A JSON number with a fraction or an exponent, as a Decimal when it is within the bounds."""
    if len(text) > NUMBER_MAX_LENGTH:
        return OutOfRange(text)
    _mantissa, _e, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > NUMBER_MAX_EXPONENT:  # at most 64 digits: converted at once
        return OutOfRange(text)
    return Decimal(text)


def _json_constant(text):
    # NaN, Infinity and -Infinity: Python's json reads them, JSON itself has no such number.
    return OutOfRange(text)


def decode_json(raw):
    """Decodes a request body; JSON numbers become ``Decimal`` (or ``int``), each at a cost bounded
    by NUMBER_MAX_LENGTH, and those beyond the bounds :class:`OutOfRange`, which the readers report
    at their own path. Raises PayloadError."""
    try:
        text = raw.decode() if isinstance(raw, (bytes, bytearray)) else raw  # UTF-8, as JSON is sent
        return json.loads(text, parse_float=_json_float, parse_int=_json_int, parse_constant=_json_constant)
    except UnicodeDecodeError:
        raise PayloadError([("$", "the body is not UTF-8 text")]) from None
    except ValueError as exc:
        raise PayloadError([("$", f"the body is not valid JSON ({exc})")]) from None
    except RecursionError:
        raise PayloadError([("$", "the body is nested too deeply to be a purchase order")]) from None


def parse_order_json(raw, statuses=WEBHOOK_STATUSES):
    """Parses a raw webhook body (bytes or str) into a :class:`PurchaseOrder`."""
    return parse_order(decode_json(raw), statuses=statuses)


@dataclass(frozen=True)
class OrderStatus:
    """The follow-up state of a purchase order, as the purchase-orders list reports it."""
    id: str
    status: str
    delivery_closed: bool | None = None
    invoice_status: int | None = None
    invoice_number: str | None = None
    viewed_by_supplier_at: dt.datetime | None = None
    fetched_by_supplier_at: dt.datetime | None = None


def parse_order_status(data):
    """Reads only what the follow-up needs from a purchase-orders list item.

    The list's schema is not documented: this asks for the id and a known status and reads the
    rest when present, so an item that could not be turned into a sale order still updates one.
    """
    reader = _Reader()
    if not isinstance(data, dict):
        raise PayloadError([("$", "the purchase order must be a JSON object")])
    result = OrderStatus(id=reader.text(data, "id", max_length=KEY_MAX_LENGTH),
                         status=_read_status(reader, data, ORDER_STATUSES),
                         **_read_follow_up(reader, data))
    if reader.problems:
        raise PayloadError(reader.problems)
    return result
