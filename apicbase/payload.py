"""Parses Apicbase purchase orders (webhook body or API item) into typed objects.

Money and quantities are ``Decimal`` (JSON numbers are read as ``Decimal`` too,
never ``float``); datetimes are timezone-aware and in UTC. Every defect of a
payload is reported at once in one :class:`~.errors.PayloadError`.
"""
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import PayloadError

ORDER_STATUSES = ("IN_PROGRESS", "ORDERED", "DELIVERED")
WEBHOOK_STATUSES = ("ORDERED",)
INVOICE_STATUSES = {0: "not_received", 1: "received", 2: "payable", 3: "paid"}


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
    # Reconciliation-only fields: absent from the webhook, read from the API.
    delivery_closed: bool | None = None
    invoice_status: int | None = None
    viewed_by_supplier_at: dt.datetime | None = None
    fetched_by_supplier_at: dt.datetime | None = None

    @property
    def article_numbers(self):
        return tuple(dict.fromkeys(line.article_number for line in self.lines))


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

    def text(self, data, key, path, required=True):
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problem(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.problem(path, "must be a string")
            return None
        if isinstance(value, str) and "\x00" in value:
            # PostgreSQL text cannot hold NUL: refuse it here rather than fail to store the order.
            self.problem(path, "must not contain NUL characters")
            return None
        return value.strip() if isinstance(value, str) else str(value)

    def decimal(self, data, key, path, required=False):
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problem(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            self.problem(path, f"must be a decimal number, got {type(value).__name__}")
            return None
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            self.problem(path, f"{value!r} is not a decimal number")
            return None
        if not number.is_finite():
            self.problem(path, f"{value!r} is not a finite number")
            return None
        if number < 0:
            self.problem(path, f"must not be negative, got {value}")
            return None
        return number

    def positive_int(self, data, key, path):
        value = data.get(key)
        if value is None:
            self.problem(path, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            self.problem(path, f"must be an integer, got {type(value).__name__}")
            return None
        if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral_value()):
            self.problem(path, f"must be a whole number, got {value}")
            return None
        if value <= 0:
            self.problem(path, f"must be positive, got {value}")
            return None
        return int(value)

    def datetime(self, data, key, path, required=True):
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.problem(path, "is required")
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


def parse_datetime(value):
    """An ISO 8601 text as an aware UTC datetime, or None when it is not one."""
    try:
        parsed = dt.datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # Apicbase documents ISO 8601 without promising an offset; it runs in UTC.
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def naive_utc(value):
    """An aware datetime as the naive UTC value Odoo stores; None stays None."""
    if not value:
        return None
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _read_line(reader, data, index):
    path = f"packages[{index}]"
    data = reader.mapping(data, path)
    stock_item = data.get("stock_item") or {}
    name = ""
    if isinstance(stock_item, dict):
        name = reader.text(stock_item, "name", f"{path}.stock_item.name", required=False) or ""
    else:
        reader.problem(f"{path}.stock_item", "must be an object")
    package = reader.mapping(data.get("supplier_package"), f"{path}.supplier_package")
    return OrderLine(
        article_number=reader.text(package, "supplier_article_number",
                                   f"{path}.supplier_package.supplier_article_number"),
        stock_item_name=name,
        quantity=reader.positive_int(data, "quantity_ordered", f"{path}.quantity_ordered"),
        price_per_package=reader.decimal(package, "theoretical_price_per_package",
                                         f"{path}.supplier_package.theoretical_price_per_package"),
        total_price=reader.decimal(data, "total_theoretical_price", f"{path}.total_theoretical_price"),
    )


def _read_owner(reader, data):
    owner = data.get("owned_by")
    if owner is None:
        return None
    if not isinstance(owner, dict):
        reader.problem("owned_by", "must be an object or null")
        return None
    return reader.text(owner, "username", "owned_by.username", required=False)


def _read_invoice_status(reader, data):
    value = data.get("invoice_status")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in INVOICE_STATUSES:
        reader.problem("invoice_status", f"must be one of 0, 1, 2, 3, got {value!r}")
        return None
    return value


def _read_status(reader, data, statuses):
    status = reader.text(data, "status", "status")
    if status is not None and status not in statuses:
        reader.problem("status", f"unknown status {status!r}, expected one of {', '.join(statuses)}")
    return status


def _read_follow_up(reader, data):
    """The fields the purchase-orders list adds to the webhook's: delivery, invoice, stamps."""
    delivery_closed = data.get("delivery_closed")
    if delivery_closed is not None and not isinstance(delivery_closed, bool):
        reader.problem("delivery_closed", "must be true or false")
        delivery_closed = None
    return {
        "delivery_closed": delivery_closed,
        "invoice_status": _read_invoice_status(reader, data),
        "viewed_by_supplier_at": reader.datetime(data, "viewed_by_supplier_at", "viewed_by_supplier_at",
                                                 required=False),
        "fetched_by_supplier_at": reader.datetime(data, "fetched_by_supplier_at", "fetched_by_supplier_at",
                                                  required=False),
    }


def parse_order(data, statuses=WEBHOOK_STATUSES):
    """Builds a :class:`PurchaseOrder` from a decoded JSON object.

    ``statuses`` are the order statuses accepted: the webhook only ever sends
    ``ORDERED``; reconciliation reads every status.
    """
    reader = _Reader()
    if not isinstance(data, dict):
        raise PayloadError([("$", "the purchase order must be a JSON object")])
    status = _read_status(reader, data, statuses)
    packages = data.get("packages")
    lines = ()
    if not isinstance(packages, list):
        reader.problem("packages", "is required and must be a list")
    elif not packages:
        reader.problem("packages", "must contain at least one package")
    else:
        lines = tuple(_read_line(reader, item, index) for index, item in enumerate(packages))
    order = PurchaseOrder(
        id=reader.text(data, "id", "id"),
        order_number=reader.text(data, "order_number", "order_number"),
        status=status,
        ordered_on=reader.datetime(data, "ordered_on", "ordered_on"),
        customer_number=reader.text(data, "supplier_customer_number", "supplier_customer_number"),
        lines=lines,
        expected_delivery_date=reader.datetime(data, "expected_delivery_date", "expected_delivery_date",
                                               required=False),
        remarks=reader.text(data, "order_remarks", "order_remarks", required=False),
        owner=_read_owner(reader, data),
        theoretical_price=reader.decimal(data, "theoretical_price", "theoretical_price"),
        **_read_follow_up(reader, data),
    )
    if reader.problems:
        raise PayloadError(reader.problems)
    return order


def decode_json(raw):
    """Decodes a request body; JSON numbers become ``Decimal``. Raises PayloadError."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
        return json.loads(text, parse_float=Decimal)
    except UnicodeDecodeError:
        raise PayloadError([("$", "the body is not UTF-8 text")]) from None
    except ValueError as exc:
        raise PayloadError([("$", f"the body is not valid JSON ({exc})")]) from None


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
    viewed_by_supplier_at: dt.datetime | None = None
    fetched_by_supplier_at: dt.datetime | None = None


def parse_order_status(data):
    """Reads only what reconciliation needs from a purchase-orders list item.

    The list's schema is not documented: this asks for the id and a known status and reads the
    rest when present, so an item that could not be turned into a sale order still updates one.
    """
    reader = _Reader()
    if not isinstance(data, dict):
        raise PayloadError([("$", "the purchase order must be a JSON object")])
    result = OrderStatus(id=reader.text(data, "id", "id"), status=_read_status(reader, data, ORDER_STATUSES),
                         **_read_follow_up(reader, data))
    if reader.problems:
        raise PayloadError(reader.problems)
    return result
