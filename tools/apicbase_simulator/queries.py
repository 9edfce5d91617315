"""List endpoints' query strings: django-filter style filters, DRF ordering and pagination."""
import datetime as dt
import math
import operator
import urllib.parse
from decimal import Decimal

from .common import parse_date, parse_datetime

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 200
EVENT_TYPES = ("CRITICAL", "ERROR", "WARNING", "INFO")
ORDER_STATUSES = ("IN_PROGRESS", "ORDERED", "DELIVERED")
FILTER_BOOLEANS = {"true": True, "True": True, "1": True, "false": False, "False": False,
                   "0": False}


class BadRequest(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def _last(query, name):
    values = query.getlist(name)
    return values[-1] if values else None


def f_exact(raw):
    return lambda value: value is not None and str(value) == raw


def f_icontains(raw):
    needle = raw.lower()
    return lambda value: value is not None and needle in str(value).lower()


def f_boolean(raw):
    if raw not in FILTER_BOOLEANS:
        raise ValueError("Select a valid choice: true or false.")
    wanted = FILTER_BOOLEANS[raw]
    return lambda value: bool(value) == wanted


def f_integer(raw):
    try:
        wanted = int(raw)
    except ValueError:
        raise ValueError("Enter a whole number.") from None
    return lambda value: value is not None and value == wanted


def f_choice(choices, many=False):
    """One of ``choices``; with ``many``, a comma-separated list of them (``status__in``)."""
    def build(raw):
        wanted = [item.strip() for item in raw.split(",") if item.strip()] if many else [raw]
        for item in wanted:
            if item not in choices:
                raise ValueError(f"Select a valid choice. {item} is not one of the available "
                                 "choices.")
        return lambda value: value in wanted
    return build


def _f_moment(parse, message):
    """A comparison filter whose bound ``parse`` reads (ValueError: a 400 with ``message``)."""
    def builder(compare):
        def build(raw):
            try:
                bound = parse(raw)
            except ValueError:
                raise ValueError(message) from None
            return lambda value: value is not None and compare(parse_datetime(value), bound)
        return build
    return builder


def _same_day(moment, midnight):
    # The docs name the date filters with __gt/__lt; a plain one is taken to exist too (a 400 for a
    # date-time, like its variants) and to mean the same UTC day: the guess is here alone.
    return midnight <= moment < midnight + dt.timedelta(days=1)


f_datetime = _f_moment(parse_datetime, "Enter a valid date/time.")
# A django-filter DateFilter: YYYY-MM-DD only (a date-time is "Enter a valid date.").
f_date = _f_moment(parse_date, "Enter a valid date.")


def apply_filters(items, query, specs):
    """Keeps the items every given filter accepts; ``specs`` maps a parameter to
    ``(predicate_builder, getter)``. Raises BadRequest on values the filter cannot read."""
    errors = {}
    for name, (build, getter) in specs.items():
        raw = _last(query, name)
        if raw in (None, ""):
            continue
        try:
            accept = build(raw)
        except ValueError as exc:
            errors[name] = [str(exc)]
            continue
        items = [item for item in items if accept(getter(item))]
    if errors:
        raise BadRequest(errors)
    return items


def _null_safe(getter):
    def key(item):
        value = getter(item)
        return (True, 0) if value is None else (False, value)
    return key


def apply_ordering(items, query, fields, default=None):
    """Sorts by ``ordering`` (``a,-b``); unknown fields are ignored, as DRF does."""
    terms = [term.strip() for term in (_last(query, "ordering") or "").split(",") if term.strip()]
    terms = [term for term in terms if term.lstrip("-") in fields] or ([default] if default else [])
    items = list(items)
    for term in reversed(terms):
        name = term.lstrip("-")
        items.sort(key=_null_safe(fields[name]), reverse=term.startswith("-"))
    return items


def _parse_page_size(query):
    try:
        size = int(_last(query, "page_size"))
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    if size < 1:
        return DEFAULT_PAGE_SIZE
    return min(size, MAX_PAGE_SIZE)


def _parse_page(query, page_count):
    raw = _last(query, "page") or "1"
    if raw == "last":
        return page_count
    try:
        page = int(raw)
    except ValueError:
        return None
    return page if 1 <= page <= page_count else None


def _page_link(query, url, page, next_style):
    if page is None:
        return None
    if next_style == "page":
        return page
    query = [(key, values) for key, values in query.lists() if key != "page"]
    if page != 1:
        query.append(("page", [str(page)]))
    encoded = urllib.parse.urlencode(sorted(query), doseq=True)
    return f"{url}?{encoded}" if encoded else url


def paginate(query, url, items, next_style):
    """One page of ``items`` as ``{"count", "next", "previous", "results"}``; None = invalid.
    ``query`` is the request's ``args`` (a MultiDict); ``url`` the list's, without query."""
    size = _parse_page_size(query)
    page_count = max(1, math.ceil(len(items) / size))
    page = _parse_page(query, page_count)
    if page is None:
        return None
    return {
        "count": len(items),
        "next": _page_link(query, url, page + 1 if page < page_count else None, next_style),
        "previous": _page_link(query, url, page - 1 if page > 1 else None, next_style),
        "results": items[(page - 1) * size:page * size],
    }


def _sort_key(convert):
    """A sort key builder: ``getter``'s value read by ``convert``, None (or "") staying None."""
    def key_of(getter):
        def key(item):
            value = getter(item)
            return None if value in (None, "") else convert(value)
        return key
    return key_of


_dt_key = _sort_key(parse_datetime)
_decimal_key = _sort_key(lambda value: Decimal(str(value)))


def _fields(*names):
    """``name -> its getter`` for fields read as they are."""
    return {name: operator.itemgetter(name) for name in names}


def _pkg(name):
    return lambda result: result["package"].get(name)


def _article(name):
    return lambda result: (result["package"].get("article") or {}).get(name)


PACKAGE_FILTERS = {
    "supplier_outlet_id": (f_integer, lambda result: result["supplier_outlet_id"]),
    "shared_id": (f_exact, _article("shared_id")),
    "package_gtin": (f_exact, _pkg("gtin")),
    "article_name": (f_icontains, _article("name")),
    "package_is_orderable": (f_boolean, _pkg("orderable")),
}
PACKAGE_ORDERING = {
    "third_party_id": _pkg("third_party_id"),
    "name": _pkg("name"),
    "price": _decimal_key(_pkg("price")),
    "shared_id": PACKAGE_FILTERS["shared_id"][1],
    "article_name": PACKAGE_FILTERS["article_name"][1],
}
EVENT_FILTERS = {
    "third_party_id": (f_exact, operator.itemgetter("third_party_id")),
    "customer_number": (f_exact, operator.itemgetter("customer_number")),
    "message": (f_icontains, operator.itemgetter("message")),
    "event_type": (f_choice(EVENT_TYPES), operator.itemgetter("event_type")),
    "created_at__gte": (f_datetime(operator.ge), operator.itemgetter("created_at")),
    "created_at__lte": (f_datetime(operator.le), operator.itemgetter("created_at")),
}
EVENT_ORDERING = {"created_at": _dt_key(operator.itemgetter("created_at")),
                  **_fields("event_type", "customer_number", "third_party_id")}
ORDER_FILTERS = {
    "status": (f_choice(ORDER_STATUSES), operator.itemgetter("status")),
    "status__in": (f_choice(ORDER_STATUSES, many=True), operator.itemgetter("status")),
    **{f"{name}{suffix}": (f_date(compare), operator.itemgetter(name))
       for name in ("ordered_on", "expected_delivery_date", "fetched_by_supplier_at",
                    "viewed_by_supplier_at")
       for suffix, compare in (("__gt", operator.gt), ("__lt", operator.lt), ("", _same_day))},
    "delivery_closed": (f_boolean, operator.itemgetter("delivery_closed")),
    "order_number": (f_exact, operator.itemgetter("order_number")),
    "order_number__icontains": (f_icontains, operator.itemgetter("order_number")),
    "invoice_status": (f_choice(("0", "1", "2", "3")), lambda order: str(order["invoice_status"])),
    "invoice_number": (f_exact, operator.itemgetter("invoice_number")),
    "fetched_by_supplier": (f_boolean, operator.itemgetter("fetched_by_supplier_at")),
    "viewed_by_supplier": (f_boolean, operator.itemgetter("viewed_by_supplier_at")),
}
ORDER_ORDERING = {
    "ordered_on": _dt_key(operator.itemgetter("ordered_on")),
    "expected_delivery_date": _dt_key(operator.itemgetter("expected_delivery_date")),
    "theoretical_price": _decimal_key(operator.itemgetter("theoretical_price")),
    **_fields("order_number", "status", "id", "invoice_status"),
}
FILE_ORDERING = {"created_at": _dt_key(operator.itemgetter("created_at")),
                 **_fields("id", "status")}
CUSTOMER_ORDERING = _fields("customer_number", "supplier_outlet_id")
