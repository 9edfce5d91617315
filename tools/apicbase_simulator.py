#!/usr/bin/env python3
"""A local HTTP server that plays Apicbase's Generic Suppliers API.

Run it (``python3 tools/apicbase_simulator.py --port 8090``) or use it from tests::

    with Simulator(rate_limit=None) as sim:
        requests.post(sim.token_url, data={...})

Standard library only, except :func:`send_order_webhook`, which uses ``requests``.
It never imports Odoo.

Faithful to what we know of Apicbase (``shared/apicbase-api.md``)
------------------------------------------------------------------
* OAuth2 client credentials at ``/oauth/token/`` (``grant_type=client_credentials``,
  ``client_id``, ``client_secret``, ``scope=supplier``); the answer
  ``{"access_token", "expires_in", "token_type": "Bearer", "scope": "supplier"}``; no refresh
  token; tokens live ``token_ttl`` seconds (one week by default).
* Every endpoint under ``/api/v2/integrations/suppliers/`` needs ``Authorization: Bearer``.
* Paths exactly as documented, anything else 404: ``/oauth/token/``, ``files/``, ``events/``,
  ``customers/``, ``customers/{customer_number}/packages`` (no trailing slash),
  ``customers/{customer_number}/packages/{third_party_id}/``, ``purchase_orders/``.
* Rate limit: ``rate_limit`` requests per rolling minute per client over all API endpoints, then
  429 with ``Retry-After`` (Django REST Framework's throttle message and header).
* Pagination ``{"count", "next", "previous", "results"}``, ``page``, ``page_size`` (10 by default,
  200 at most), ``ordering``; ``next``/``previous`` are page numbers (integer|null) as documented,
  absolute URLs with ``next_style="url"``.
* Packages as in the documented examples: ``price`` a JSON number, ``supplier_outlet_id`` an
  integer or null (customers too).
* Purchase-order date filters (``ordered_on``, ``expected_delivery_date``, the fetched/viewed
  dates, with ``__gt``/``__lt``) are typed ``date``: ``YYYY-MM-DD`` only, anything else is a 400
  ``{"<filter>": ["Enter a valid date."]}``.
* ``PATCH purchase_orders/`` takes the documented ``fetched_by_supplier`` / ``viewed_by_supplier``
  (true); the stamps ``*_by_supplier_at`` never change once set.
* The assortment file: a JSON array of packages with the documented fields, lengths, decimal
  places, ``price_type_code``/``price_unit``, the nested ``package_description`` (outer levels:
  decimal quantity with up to 6 decimals; innermost level: integer quantity and a ``unit_name``
  from the captured list, which has no ``ml``/``cl``/``dl``), GTIN-8/12/13/14 with check digits.
  It is processed asynchronously; outcomes are reported as events.
* Events, customers, packages and purchase orders with the documented fields and filters.
* The order webhook: ``X-APIC-WEBHOOK-SIGNATURE`` = hex HMAC-SHA256 keyed with the client secret.
* Seed data uses ``cl`` in a package description, as Apicbase's own examples do (the simulator
  stores seed packages as given; only uploaded files are validated).

Assumptions (the doc marks these **unknown**; each is one choice among several)
--------------------------------------------------------------------------------
* Token request: form-encoded and JSON bodies are both accepted, and so is HTTP Basic client
  authentication; ``scope=supplier`` is required, as the docs send it. Errors follow oauthlib
  (``unsupported_grant_type`` / ``invalid_client`` (401) / ``invalid_scope``).
* Error bodies follow DRF: ``{"detail": ...}`` or ``{field: [messages]}``. Missing or unknown
  token: "Authentication credentials were not provided."; expired token: "Token is expired".
* Rate-limit headers other than ``Retry-After``: none are sent (their names are unknown).
  Requests refused with 429 do not count in the window (as in DRF).
* ``next``/``previous`` with ``next_style="url"``: absolute URLs built like DRF (sorted query,
  ``page`` removed for page 1).
  ``page=last`` is accepted (DRF); a ``page_size`` that is not a positive integer means 10.
* ``POST files/``: a multipart upload whose ``file`` part carries a filename (as Django needs
  for a file field); answer 201 ``{"id" (integer), "customer_number", "status": "PENDING",
  "created_at"}``. ``GET files/`` lists ``{"id", "customer_number", "status", "created_at",
  "package_count"}`` (``package_count`` = objects in the file).
* A processed file replaces the whole assortment of its customer number (packages missing from
  it disappear). A file whose every package is rejected is ``FAILED`` and leaves the previous
  assortment in place. A repeated ``third_party_id`` in one file is rejected. ``price`` is
  optional and must not be negative; unknown fields are ignored; ``package_description_str``
  is not supported. A package's ``gtin`` is the top-level ``gtin`` or else the outermost level's.
* Without ``shared_id`` a package is its own article (``article.shared_id`` null); packages
  sharing a ``shared_id`` take the name and brand of the first one in the file.
* Uploads for a customer number that no customer uses are accepted; its packages are readable
  once the file is processed.
* Purchase orders carry the webhook payload plus ``delivery_closed``, ``invoice_status``,
  ``viewed_by_supplier_at``, ``fetched_by_supplier_at``, ``discount``, ``invoice_number``;
  an ``IN_PROGRESS`` order has ``ordered_on`` null. The PATCH names its orders in ``ids``
  (PATCH_IDS_FIELD: how the real body names them is not documented), refuses any other field
  and a flag that is not ``true``, and answers ``{"updated": n}`` where n is the number of known
  orders named (already stamped ones included).
* A date filter compares with midnight UTC of that date (Django's reading of a date against a
  date-time column with ``TIME_ZONE = "UTC"``); the names of the fetched/viewed date filters
  (``fetched_by_supplier_at__gt`` ...) are reconstructed. Event filters (``created_at__gte``/
  ``__lte``) are not typed in the docs: dates and date-times are both accepted there.
* Filters: empty values are ignored; an invalid date, boolean, integer or choice is a 400
  (django-filter's strict form); unknown query parameters are ignored. Datetimes without a
  timezone are UTC; they are read with Django's own pattern (``Z`` included), on any Python. Ordering follows PostgreSQL: nulls last ascending, first descending.
* Datetimes are written like DRF: ISO 8601, UTC, ``Z``.

Test hooks: faults (``fail_next``, ``rate_limit_next``, ``slow_next``, ``malformed_next``,
``drop_next``) form one queue; each API request consumes one request's worth of the fault at the
head of the queue (``fail_next(2); slow_next()`` = two failures, then one slow answer). The
token endpoint only consumes faults queued with ``scope="all"``.
"""
import argparse
import base64
import binascii
import collections
import copy
import datetime as dt
import email.parser
import email.policy
import hashlib
import hmac
import json
import math
import operator
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_PATH = "/oauth/token/"
API_PREFIX = "/api/v2/integrations/suppliers"
SIGNATURE_HEADER = "X-APIC-WEBHOOK-SIGNATURE"

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 200
MAX_BODY_BYTES = 50 * 1024 * 1024
MAX_NESTING = 10

UNITS = ("mg", "g", "kg", "tonne", "oz", "lb", "l", "cubic_centimeter", "cubic_decimeter",
         "fl oz", "gal", "piece")
EVENT_TYPES = ("CRITICAL", "ERROR", "WARNING", "INFO")
ORDER_STATUSES = ("IN_PROGRESS", "ORDERED", "DELIVERED")
WEBHOOK_FIELDS = ("id", "order_number", "status", "ordered_on", "owned_by", "order_remarks",
                  "packages", "expected_delivery_date", "theoretical_price",
                  "supplier_customer_number")
ORDER_EXTRA_DEFAULTS = {"delivery_closed": False, "invoice_status": 0,
                        "viewed_by_supplier_at": None, "fetched_by_supplier_at": None,
                        "discount": None, "invoice_number": None}

TRUE_VALUES = {True, 1, "1", "t", "T", "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES",
               "on", "On", "ON"}
FALSE_VALUES = {False, 0, "0", "f", "F", "false", "False", "FALSE", "n", "N", "no", "No", "NO",
                "off", "Off", "OFF"}
FILTER_BOOLEANS = {"true": True, "True": True, "1": True, "false": False, "False": False,
                   "0": False}
DURATION_RE = re.compile(r"^(?:(?P<days>-?\d+) (days?, )?)?"
                         r"(?:(?P<hours>-?\d+):)?(?:(?P<minutes>-?\d+):)?"
                         r"(?P<seconds>-?\d+)(?:[.,](?P<microseconds>\d{1,6})\d*)?$")
NOT_AUTHENTICATED = "Authentication credentials were not provided."
PATCH_IDS_FIELD = "ids"  # undocumented: the client's guess, mirrored here alone
PATCH_FLAGS = ("fetched_by_supplier", "viewed_by_supplier")
# django.utils.dateparse.datetime_re: what a DRF/django-filter date-time field accepts.
DATETIME_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<microsecond>\d{1,6})\d{0,6})?)?"
    r"\s*(?P<tzinfo>Z|[+-]\d{2}(?::?\d{2})?)?)?$")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}$")


# ---------------------------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------------------------

def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def isoformat(moment):
    """A datetime as DRF writes it: ISO 8601 in UTC with a ``Z``."""
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def parse_datetime(text):
    """Parses ISO 8601 as Django does (date-only and ``Z`` accepted); naive values are UTC.
    ValueError if bad."""
    match = DATETIME_RE.match(str(text).strip())
    if not match:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    parts = {key: value for key, value in match.groupdict().items() if value is not None}
    offset = parts.pop("tzinfo", None)
    if "microsecond" in parts:
        parts["microsecond"] = parts["microsecond"].ljust(6, "0")
    tzinfo = dt.timezone.utc
    if offset and offset != "Z":
        minutes = int(offset[1:3]) * 60 + int(offset[-2:] if len(offset) > 3 else 0)
        tzinfo = dt.timezone(dt.timedelta(minutes=-minutes if offset[0] == "-" else minutes))
    return dt.datetime(**{key: int(value) for key, value in parts.items()}, tzinfo=tzinfo)


def parse_date(text):
    """A ``YYYY-MM-DD`` text as midnight UTC of that day; ValueError for anything else."""
    if not DATE_RE.match(text):
        raise ValueError("not a date")
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.timezone.utc)


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return isoformat(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json_bytes(payload, compact=False):
    separators = (",", ":") if compact else None
    return json.dumps(payload, default=_json_default, separators=separators).encode("utf-8")


def gtin_is_valid(code):
    """True for a GTIN-8, UPC-12, EAN-13 or GTIN-14 with a correct check digit."""
    if not isinstance(code, str) or not (code.isascii() and code.isdigit()):
        return False
    if len(code) not in (8, 12, 13, 14):
        return False
    digits = [int(char) for char in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def to_decimal(value):
    """A finite Decimal from a JSON number or numeric string; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError("A valid number is required.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("A valid number is required.") from None
    if not number.is_finite():
        raise ValueError("A valid number is required.")
    return number


def decimal_places(number):
    exponent = number.as_tuple().exponent
    return -exponent if exponent < 0 else 0


def price_number(value):
    """A price as Apicbase's package examples show it: a JSON number, at most 3 decimals."""
    if value is None:
        return None
    # A float prints as its shortest round-trip text: 19.999 stays 19.999 on the wire.
    return float(to_decimal(value).quantize(Decimal("0.001")))


def _json_body(request):
    """The request body parsed as JSON; ValueError when it is not JSON."""
    try:
        return json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"JSON parse error - {exc}") from None


# ---------------------------------------------------------------------------------------------
# Assortment files: validation of one package object and the package Apicbase stores
# ---------------------------------------------------------------------------------------------

class _Errors(dict):
    """field path -> list of messages, as DRF reports serializer errors."""

    def add(self, path, message):
        self.setdefault(path, []).append(message)


def _text(data, key, errors, max_length, required=False):
    value = data.get(key)
    if value is None:
        if required:
            errors.add(key, "This field is required." if key not in data
                       else "This field may not be null.")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        errors.add(key, "Not a valid string.")
        return None
    text = str(value).strip()
    if not text:
        if required:
            errors.add(key, "This field may not be blank.")
        return None
    if len(text) > max_length:
        errors.add(key, f"Ensure this field has no more than {max_length} characters.")
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


def _integer(value):
    """DRF IntegerField: ``33`` and ``33.0`` are integers, ``1.5`` is not."""
    if isinstance(value, bool):
        raise ValueError("A valid integer is required.")
    try:
        return int(re.sub(r"\.0*\s*$", "", str(value)))
    except ValueError:
        raise ValueError("A valid integer is required.") from None


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


def _outer_quantity(level, path, errors):
    try:
        quantity = to_decimal(level.get("quantity"))
    except ValueError as exc:
        errors.add(path, str(exc) if "quantity" in level else "This field is required.")
        return
    if decimal_places(quantity) > 6:
        errors.add(path, "Ensure that there are no more than 6 decimal places.")
    if quantity <= 0:
        errors.add(path, "Ensure this value is greater than 0.")


def _inner_quantity(level, path, errors):
    if "quantity" not in level:
        errors.add(path, "This field is required.")
        return
    try:
        quantity = _integer(level["quantity"])
    except ValueError as exc:
        errors.add(path, str(exc))
        return
    if quantity < 1:
        errors.add(path, "Ensure this value is greater than or equal to 1.")


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
        _outer_quantity(level, f"{path}.quantity", errors)
        _description_level(level["package"], f"{path}.package", errors, found, depth + 1)
        return
    _inner_quantity(level, f"{path}.quantity", errors)
    unit = level.get("unit_name")
    if unit is None:
        errors.add(f"{path}.unit_name", "This field is required at the innermost level.")
    elif unit not in UNITS:
        errors.add(f"{path}.unit_name", f'"{unit}" is not a valid choice.')
    else:
        found["units"].append(unit)


def _price(data, errors):
    if data.get("price") is None:
        return None
    try:
        price = to_decimal(data["price"])
    except ValueError as exc:
        errors.add("price", str(exc))
        return None
    if decimal_places(price) > 3:
        errors.add("price", "Ensure that there are no more than 3 decimal places.")
    if price < 0:
        errors.add("price", "Ensure this value is greater than or equal to 0.")
    return price


def _price_type(data, errors):
    code = data.get("price_type_code", 0)
    if code is None:
        code = 0
    if isinstance(code, bool) or code not in (0, 1, "0", "1"):
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
    multiplier = data.get("order_multiplier")
    if multiplier is not None:
        try:
            if _integer(multiplier) < 1:
                errors.add("order_multiplier", "Ensure this value is greater than or equal to 1.")
        except ValueError as exc:
            errors.add("order_multiplier", str(exc))
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
        sub = _Errors()
        _text(option, "key", sub, 100, required=True)
        _text(option, "label", sub, 100, required=True)
        for key, messages in sub.items():
            for message in messages:
                errors.add(f"{path}.{key}", message)


def _misc_fields(data, errors):
    _text(data, "shared_id", errors, 50)
    _text(data, "brand", errors, 150)
    _text(data, "package_type", errors, 50)
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
    errors = _Errors()
    found = {"units": [], "gtins": []}
    if not isinstance(data, dict):
        errors.add("non_field_errors",
                   f'Expected a dictionary of items but got type "{type(data).__name__}".')
        return errors, found
    _text(data, "third_party_id", errors, 50, required=True)
    _text(data, "name", errors, 300, required=True)
    _misc_fields(data, errors)
    _price(data, errors)
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


def _clean(value):
    return str(value).strip() if value not in (None, "") else None


def stored_package(data, article=None):
    """The package as GET packages returns it, built from a valid uploaded object."""
    description = data.get("package_description") or {}
    gtin = _clean(data.get("gtin")) or (_clean(description.get("gtin"))
                                        if isinstance(description, dict) else None)
    name = _clean(data.get("name"))
    article = article or {"shared_id": _clean(data.get("shared_id")), "name": name,
                          "brand": _clean(data.get("brand"))}
    return {
        "article": dict(article),
        "third_party_id": _clean(data.get("third_party_id")),
        "name": name,
        "gtin": gtin,
        "price": price_number(data.get("price")),
        "price_type_code": int(data.get("price_type_code") or 0),
        "package_type": _clean(data.get("package_type")),
        "package_description": copy.deepcopy(data.get("package_description")),
        "orderable": _boolean(data, "orderable", _Errors(), True),
    }


def _rejection_message(third_party_id, index, errors):
    label = f"Package {third_party_id!r}" if third_party_id else f"Package at index {index}"
    details = "; ".join(f"{path}: {' '.join(messages)}" for path, messages in errors.items())
    return f"{label} rejected: {details}"


# ---------------------------------------------------------------------------------------------
# Query helpers: filters, ordering, pagination
# ---------------------------------------------------------------------------------------------

class BadRequest(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def _last(query, name):
    values = query.get(name)
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


def f_choice(choices):
    def build(raw):
        if raw not in choices:
            raise ValueError(f"Select a valid choice. {raw} is not one of the available choices.")
        return lambda value: value == raw
    return build


def f_choice_in(choices):
    def build(raw):
        wanted = [item.strip() for item in raw.split(",") if item.strip()]
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


def _page_link(request, page, next_style):
    if page is None:
        return None
    if next_style == "page":
        return page
    query = {key: list(values) for key, values in request.query.items()}
    query.pop("page", None)
    if page != 1:
        query["page"] = [str(page)]
    encoded = urllib.parse.urlencode(sorted(query.items()), doseq=True)
    url = f"{request.origin}{request.path}"
    return f"{url}?{encoded}" if encoded else url


def paginate(request, items, next_style):
    """One page of ``items`` as ``{"count", "next", "previous", "results"}``; None = invalid."""
    size = _parse_page_size(request.query)
    page_count = max(1, math.ceil(len(items) / size))
    page = _parse_page(request.query, page_count)
    if page is None:
        return None
    return {
        "count": len(items),
        "next": _page_link(request, page + 1 if page < page_count else None, next_style),
        "previous": _page_link(request, page - 1 if page > 1 else None, next_style),
        "results": items[(page - 1) * size:page * size],
    }


def _dt_key(getter):
    def key(item):
        value = getter(item)
        return parse_datetime(value) if value else None
    return key


def _decimal_key(getter):
    def key(item):
        value = getter(item)
        return Decimal(str(value)) if value is not None else None
    return key


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
EVENT_ORDERING = {
    "created_at": _dt_key(operator.itemgetter("created_at")),
    "event_type": operator.itemgetter("event_type"),
    "customer_number": operator.itemgetter("customer_number"),
    "third_party_id": operator.itemgetter("third_party_id"),
}
ORDER_FILTERS = {
    "status": (f_choice(ORDER_STATUSES), operator.itemgetter("status")),
    "status__in": (f_choice_in(ORDER_STATUSES), operator.itemgetter("status")),
    "ordered_on__gt": (f_date(operator.gt), operator.itemgetter("ordered_on")),
    "ordered_on__lt": (f_date(operator.lt), operator.itemgetter("ordered_on")),
    "expected_delivery_date__gt": (f_date(operator.gt), operator.itemgetter("expected_delivery_date")),
    "expected_delivery_date__lt": (f_date(operator.lt), operator.itemgetter("expected_delivery_date")),
    "fetched_by_supplier_at__gt": (f_date(operator.gt), operator.itemgetter("fetched_by_supplier_at")),
    "fetched_by_supplier_at__lt": (f_date(operator.lt), operator.itemgetter("fetched_by_supplier_at")),
    "viewed_by_supplier_at__gt": (f_date(operator.gt), operator.itemgetter("viewed_by_supplier_at")),
    "viewed_by_supplier_at__lt": (f_date(operator.lt), operator.itemgetter("viewed_by_supplier_at")),
    "delivery_closed": (f_boolean, operator.itemgetter("delivery_closed")),
    "order_number": (f_exact, operator.itemgetter("order_number")),
    "order_number__icontains": (f_icontains, operator.itemgetter("order_number")),
    "invoice_status": (f_integer, operator.itemgetter("invoice_status")),
    "fetched_by_supplier": (f_boolean, operator.itemgetter("fetched_by_supplier_at")),
    "viewed_by_supplier": (f_boolean, operator.itemgetter("viewed_by_supplier_at")),
}
ORDER_ORDERING = {
    "ordered_on": _dt_key(operator.itemgetter("ordered_on")),
    "expected_delivery_date": _dt_key(operator.itemgetter("expected_delivery_date")),
    "order_number": operator.itemgetter("order_number"),
    "status": operator.itemgetter("status"),
    "id": operator.itemgetter("id"),
    "theoretical_price": _decimal_key(operator.itemgetter("theoretical_price")),
    "invoice_status": operator.itemgetter("invoice_status"),
}
FILE_ORDERING = {
    "id": operator.itemgetter("id"),
    "created_at": _dt_key(operator.itemgetter("created_at")),
    "status": operator.itemgetter("status"),
}
CUSTOMER_ORDERING = {
    "customer_number": operator.itemgetter("customer_number"),
    "supplier_outlet_id": operator.itemgetter("supplier_outlet_id"),
}


# ---------------------------------------------------------------------------------------------
# Seed data
# ---------------------------------------------------------------------------------------------

def _seed_package(third_party_id, name, price, description, **extra):
    article = extra.pop("article", None)
    data = {"third_party_id": third_party_id, "name": name, "price": price,
            "package_description": description, **extra}
    return stored_package(data, article)


def seed_packages():
    """customer_number -> list of stored packages."""
    potatoes = {"shared_id": "POT", "name": "Potatoes", "brand": None}
    cola_description = {"quantity": 4, "gtin": "5449000000996",
                        "package": {"quantity": 6, "package": {"quantity": 33, "unit_name": "cl"}}}
    cust1 = [
        _seed_package("POT-1KG", "Potatoes 1 kg", "1.95", {"quantity": 1, "unit_name": "kg"},
                      shared_id="POT", gtin="5412345000013", article=potatoes),
        _seed_package("POT-3X1KG", "Potatoes 3 x 1 kg", "5.40",
                      {"quantity": 3, "package": {"quantity": 1, "unit_name": "kg"}},
                      shared_id="POT", package_type="bag", article=potatoes),
        _seed_package("COLA-4X6X33", "Cola 4 x 6 x 33 cl", "19.999", cola_description,
                      shared_id="COLA-33", brand="Cola Co", package_type="tray"),
        _seed_package("FLOUR-10X100G", "Flour 10 x 100 g", "7.25",
                      {"quantity": 10, "package": {"quantity": 100, "unit_name": "g"}},
                      shared_id="FLOUR", brand="Mill & Co", package_type="box",
                      gtin="5412345000020"),
        _seed_package("BEEF-KG", "Beef per kg", "24.5", {"quantity": 1, "unit_name": "kg"},
                      shared_id="BEEF", price_type_code=1, orderable=True),
        _seed_package("SALT-500G", "Sea salt 500 g", "0.89", {"quantity": 500, "unit_name": "g"},
                      shared_id="SALT", orderable=False, gtin="5412345000037"),
    ]
    cust2_prices = {"POT-1KG": "1.850", "COLA-4X6X33": "18.500", "BEEF-KG": "23.900"}
    cust2 = [dict(copy.deepcopy(package), price=cust2_prices[package["third_party_id"]])
             for package in cust1 if package["third_party_id"] in cust2_prices]
    return {"CUST-1": cust1, "CUST-2": cust2, "CUST-3": []}


def _order_line(third_party_id, name, price, quantity):
    price = Decimal(price)
    return {"stock_item": {"name": name},
            "supplier_package": {"supplier_article_number": third_party_id,
                                 "theoretical_price_per_package": str(price)},
            "quantity_ordered": quantity,
            "total_theoretical_price": str(price * quantity)}


def _order(order_id, status, ordered_on, expected, lines, **extra):
    total = sum((Decimal(line["total_theoretical_price"]) for line in lines), Decimal("0.000"))
    order = {"id": order_id, "order_number": order_id.upper(), "status": status,
             "ordered_on": ordered_on, "owned_by": {"username": "chef.anna"},
             "order_remarks": None, "packages": lines, "expected_delivery_date": expected,
             "theoretical_price": str(total), "supplier_customer_number": "CUST-1"}
    order.update(ORDER_EXTRA_DEFAULTS)
    order.update(extra)
    return order


def seed_orders():
    return [
        _order("po-1001", "IN_PROGRESS", None, "2025-06-20T06:00:00Z",
               [_order_line("POT-1KG", "Potatoes", "1.950", 4)]),
        _order("po-1002", "ORDERED", "2025-06-10T09:15:00Z", "2025-06-11T06:00:00Z",
               [_order_line("POT-3X1KG", "Potatoes", "5.400", 2),
                _order_line("COLA-4X6X33", "Cola 33 cl", "19.999", 1),
                _order_line("BEEF-KG", "Beef", "24.500", 3)],
               order_remarks="Back door, please"),
        _order("po-1003", "DELIVERED", "2025-06-01T08:00:00Z", "2025-06-02T06:00:00Z",
               [_order_line("FLOUR-10X100G", "Flour", "7.250", 2)],
               delivery_closed=True, invoice_status=2, invoice_number="INV-2025-0042",
               discount="0.000", viewed_by_supplier_at="2025-06-01T08:05:00Z",
               fetched_by_supplier_at="2025-06-01T08:01:00Z"),
    ]


def webhook_payload(order):
    """The webhook body for an order: only the documented webhook fields."""
    return {key: copy.deepcopy(order.get(key)) for key in WEBHOOK_FIELDS}


# ---------------------------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str                      # as received, without the query string
    query: dict                    # name -> list of values
    headers: dict                  # lower-case name -> value
    body: bytes
    origin: str                    # "http://host:port" from the Host header

    @property
    def route(self):
        """The path without its trailing slash (still percent-encoded)."""
        return self.path.rstrip("/") or "/"

    @property
    def trailing_slash(self):
        return self.path.endswith("/")


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)
    drop: bool = False


def json_response(status, payload, headers=None):
    return Response(status, to_json_bytes(payload), "application/json", dict(headers or {}))


def not_found():
    return json_response(404, {"detail": "Not found."})


def method_not_allowed(method, allowed):
    return json_response(405, {"detail": f'Method "{method}" not allowed.'},
                         {"Allow": ", ".join(allowed)})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ApicbaseSimulator/1.0"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def setup(self):
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self):
        self.server.connections.discard(self.connection)
        super().finish()

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return None
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            return None
        return self.rfile.read(length) if length else b""

    def _build_request(self, body):
        parts = urllib.parse.urlsplit(self.path)
        host = self.headers.get("Host") or "%s:%s" % self.server.server_address[:2]
        return Request(method=self.command, path=parts.path,
                       query=urllib.parse.parse_qs(parts.query, keep_blank_values=True),
                       headers={key.lower(): value for key, value in self.headers.items()},
                       body=body, origin=f"http://{host}")

    def _serve(self):
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(json_response(413, {"detail": "Send a Content-Length body under 50 MB."}))
            return
        response = self.server.simulator.handle(self._build_request(body))
        if response.drop:
            self._drop()
        else:
            self._write(response)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _write(self, response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address, simulator):
        self.simulator = simulator
        self.connections = set()
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address):
        # A client that gave up (timeout test, dropped connection) is not a simulator bug.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self):
        for connection in list(self.connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def parse_multipart(content_type, body):
    """``(fields, files)`` of a multipart/form-data body.

    ``fields`` maps a name to text, ``files`` a name to ``(filename, bytes)``.
    """
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(header + body)
    if not message.is_multipart():
        raise ValueError("Multipart form parse error - Invalid boundary in multipart: None")
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[name] = data.decode("utf-8", "replace")
        else:
            files[name] = (filename, data)
    return fields, files


# ---------------------------------------------------------------------------------------------
# The simulator
# ---------------------------------------------------------------------------------------------

@dataclass
class _Fault:
    kind: str
    remaining: int
    scope: str = "api"
    method: str = None  # only requests of this method take it; others pass it by
    params: dict = field(default_factory=dict)


class Simulator:
    """Apicbase's supplier API on 127.0.0.1, with inspectable state and fault injection.

    State attributes are plain dicts and lists; read them under ``with sim.lock:``.
    """

    def __init__(self, client_id="sim-client", client_secret="sim-secret", token_ttl=604800,
                 next_style="page", rate_limit=100, processing_delay=0.05, seed=True,
                 rate_window=60.0, host="127.0.0.1", port=0):
        if next_style not in ("url", "page"):
            raise ValueError("next_style is 'url' or 'page'")
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.next_style = next_style
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.processing_delay = processing_delay
        self.host = host
        self.port = port
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.customers = []
        self.packages = {}
        self.events = []
        self.files = []
        self.purchase_orders = []
        self.requests_log = []
        self.server_errors = []            # tracebacks of simulator bugs (answered with 500)
        self._tokens = {}                  # token -> {"client_id", "expires_at"}
        self._hits = collections.defaultdict(collections.deque)
        self._faults = collections.deque()
        self._timers = []
        self._server = None
        self._thread = None
        if seed:
            self.load_seed()

    # -- life cycle ----------------------------------------------------------------------------

    def start(self, port=None):
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port if port is None else port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name="apicbase-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        with self.lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self):
        return self.base_url + TOKEN_PATH

    @property
    def api_url(self):
        return self.base_url + API_PREFIX + "/"

    # -- data set ------------------------------------------------------------------------------

    def load_seed(self):
        for customer_number, outlet in (("CUST-1", 1), ("CUST-2", 1), ("CUST-3", None)):
            self.add_customer(customer_number, outlet)
        for customer_number, packages in seed_packages().items():
            with self.lock:
                self.packages.setdefault(customer_number, {})
            for package in packages:
                self.add_package(customer_number, package)
        for order in seed_orders():
            self.add_purchase_order(order)

    def add_customer(self, customer_number, supplier_outlet_id=None):
        with self.lock:
            for customer in self.customers:
                if customer["customer_number"] == customer_number:
                    customer["supplier_outlet_id"] = supplier_outlet_id
                    return customer
            customer = {"customer_number": customer_number,
                        "supplier_outlet_id": supplier_outlet_id}
            self.customers.append(customer)
            return customer

    def add_package(self, customer_number, package_dict):
        """Stores a package as given (no validation). A dict in upload form (no ``article``)
        is converted to the stored shape; ``price`` becomes a JSON number of at most 3 decimals."""
        if "article" in package_dict:
            package = copy.deepcopy(package_dict)
            package["price"] = price_number(package.get("price"))
        else:
            package = stored_package(package_dict)
        if not package.get("third_party_id"):
            raise ValueError("a package needs a third_party_id")
        with self.lock:
            self.packages.setdefault(customer_number, {})[package["third_party_id"]] = package
        return package

    def add_purchase_order(self, order_dict):
        order = copy.deepcopy(order_dict)
        for key, default in ORDER_EXTRA_DEFAULTS.items():
            order.setdefault(key, default)
        with self.lock:
            self.purchase_orders = [existing for existing in self.purchase_orders
                                    if existing.get("id") != order.get("id")]
            self.purchase_orders.append(order)
        return order

    def add_event(self, event_type, message, customer_number=None, third_party_id=None,
                  extra_data=None):
        event = {"message": message, "created_at": isoformat(utcnow()), "event_type": event_type,
                 "customer_number": customer_number, "third_party_id": third_party_id,
                 "extra_data": extra_data}
        with self.lock:
            self.events.append(event)
        return event

    def outlet_of(self, customer_number):
        with self.lock:
            for customer in self.customers:
                if customer["customer_number"] == customer_number:
                    return customer["supplier_outlet_id"]
        return None

    # -- faults --------------------------------------------------------------------------------

    def _queue_fault(self, fault_kind, n, scope, method=None, **params):
        if scope not in ("api", "all"):
            raise ValueError("scope is 'api' or 'all'")
        with self.lock:
            self._faults.append(_Fault(fault_kind, int(n), scope, method, params))

    def fail_next(self, n=1, status=500, body="Internal Server Error", scope="api", method=None):
        """``method`` (e.g. "PATCH"): only the next requests of that method fail."""
        self._queue_fault("fail", n, scope, method, status=status, body=body)

    def rate_limit_next(self, n=1, retry_after=1, scope="api"):
        self._queue_fault("rate_limit", n, scope, retry_after=retry_after)

    def slow_next(self, n=1, seconds=1.0, scope="api"):
        self._queue_fault("slow", n, scope, seconds=seconds)

    def malformed_next(self, n=1, kind="html", scope="api"):
        """``kind``: "html" (an HTML page), "json" (JSON without results) or "truncated"."""
        if kind not in ("html", "json", "truncated"):
            raise ValueError("kind is 'html', 'json' or 'truncated'")
        self._queue_fault("malformed", n, scope, kind=kind)

    def drop_next(self, n=1, scope="api"):
        self._queue_fault("drop", n, scope)

    def clear_faults(self):
        with self.lock:
            self._faults.clear()

    STATE = ("customers", "packages", "events", "files", "purchase_orders")

    def snapshot(self):
        """A copy of the data set (customers, packages, events, files, orders) for :meth:`restore`."""
        with self.lock:
            return {name: copy.deepcopy(getattr(self, name)) for name in self.STATE}

    def restore(self, snapshot):
        """Puts back the data set of a :meth:`snapshot` and forgets queued faults: a test that
        changed the simulator leaves it as it found it."""
        with self.lock:
            for name in self.STATE:
                setattr(self, name, copy.deepcopy(snapshot[name]))
            self._faults.clear()

    def expire_tokens(self):
        with self.lock:
            for token in self._tokens.values():
                token["expires_at"] = float("-inf")

    def _take_fault(self, request, is_api):
        with self.lock:
            if not self._faults:
                return None
            fault = self._faults[0]
            if not is_api and fault.scope != "all":
                return None
            if fault.method and fault.method != request.method:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.popleft()
            return fault

    @staticmethod
    def _fault_response(fault):
        """The answer a fault gives, or None when the request then proceeds normally."""
        params = fault.params
        if fault.kind == "slow":
            time.sleep(params["seconds"])
            return None
        if fault.kind == "drop":
            return Response(0, drop=True)
        if fault.kind == "rate_limit":
            seconds = params["retry_after"]
            return json_response(429, {"detail": f"Request was throttled. Expected available in "
                                                 f"{seconds} seconds."},
                                 {"Retry-After": str(seconds)})
        if fault.kind == "fail":
            body = params["body"]
            if isinstance(body, (dict, list)):
                return json_response(params["status"], body)
            return Response(params["status"], str(body).encode("utf-8"),
                            "text/plain; charset=utf-8")
        return Simulator._malformed(params["kind"])

    @staticmethod
    def _malformed(kind):
        if kind == "html":
            return Response(200, b"<!DOCTYPE html><html><head><title>Maintenance</title></head>"
                                 b"<body><h1>We'll be back soon</h1></body></html>",
                            "text/html; charset=utf-8")
        if kind == "json":
            return json_response(200, {"status": "ok", "data": None})
        return Response(200, b'{"count": 3, "next": null, "results": [{"id": ', "application/json")

    # -- request handling ----------------------------------------------------------------------

    def handle(self, request):
        """Answers one request (called by the HTTP handler; usable directly in unit tests)."""
        try:
            response = self._answer(request)
        except Exception:  # a simulator bug must still answer like a server would
            with self.lock:
                self.server_errors.append(traceback.format_exc())
            response = Response(500, b"Internal Server Error", "text/plain; charset=utf-8")
        query = {key: values[-1] if len(values) == 1 else list(values)
                 for key, values in request.query.items()}
        with self.lock:
            self.requests_log.append({"method": request.method, "path": request.path,
                                      "query": query,
                                      "status": None if response.drop else response.status})
        return response

    def _answer(self, request):
        route = request.route
        is_api = route == API_PREFIX or route.startswith(API_PREFIX + "/")
        if not is_api and request.path != TOKEN_PATH:
            return not_found()
        fault = self._take_fault(request, is_api)
        if fault is not None:
            response = self._fault_response(fault)
            if response is not None:
                return response
        if not is_api:
            return self._token(request)
        # Django decodes the path before routing: %2F is a slash, another segment.
        segments = urllib.parse.unquote(route[len(API_PREFIX):]).strip("/").split("/")
        return self._api(request, segments)

    def _api(self, request, segments):
        endpoint = self._resolve(segments)
        if endpoint is None or request.trailing_slash != self._documented_with_slash(segments):
            return not_found()
        handlers, args = endpoint
        client_id, refusal = self._authenticate(request)
        if refusal is not None:
            return refusal
        throttled = self._throttle(client_id)
        if throttled is not None:
            return throttled
        handler = handlers.get(request.method)
        if handler is None:
            return method_not_allowed(request.method, list(handlers))
        try:
            return handler(request, *args)
        except BadRequest as exc:
            return json_response(400, exc.errors)

    @staticmethod
    def _documented_with_slash(segments):
        """Every documented path ends with a slash except the package list's."""
        return not (len(segments) == 3 and segments[0] == "customers" and segments[2] == "packages")

    def _resolve(self, segments):
        """``({method: handler}, args)`` for an API path below the prefix, or None."""
        if segments == ["files"]:
            return {"GET": self._list_files, "POST": self._upload_file}, ()
        if segments == ["events"]:
            return {"GET": self._list_events}, ()
        if segments == ["customers"]:
            return {"GET": self._list_customers}, ()
        if len(segments) == 3 and segments[0] == "customers" and segments[2] == "packages":
            return {"GET": self._list_packages}, (segments[1],)
        if len(segments) == 4 and segments[0] == "customers" and segments[2] == "packages":
            return {"GET": self._get_package}, (segments[1], segments[3])
        if segments == ["purchase_orders"]:
            return {"GET": self._list_orders, "PATCH": self._patch_orders}, ()
        return None

    # -- authentication and throttling ---------------------------------------------------------

    def _authenticate(self, request):
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, self._unauthorized(NOT_AUTHENTICATED)
        with self.lock:
            record = self._tokens.get(token.strip())
        if record is None:
            return None, self._unauthorized(NOT_AUTHENTICATED)
        if time.monotonic() >= record["expires_at"]:
            return None, self._unauthorized("Token is expired")
        return record["client_id"], None

    @staticmethod
    def _unauthorized(detail):
        return json_response(401, {"detail": detail}, {"WWW-Authenticate": 'Bearer realm="api"'})

    def _throttle(self, client_id):
        if not self.rate_limit:
            return None
        now = time.monotonic()
        with self.lock:
            hits = self._hits[client_id]
            while hits and hits[0] <= now - self.rate_window:
                hits.popleft()
            if len(hits) < self.rate_limit:
                hits.append(now)
                return None
            wait = max(1, math.ceil(self.rate_window - (now - hits[0])))
        return json_response(429, {"detail": f"Request was throttled. Expected available in "
                                             f"{wait} seconds."}, {"Retry-After": str(wait)})

    # -- token endpoint ------------------------------------------------------------------------

    def _token(self, request):
        if request.method != "POST":
            return method_not_allowed(request.method, ["POST"])
        try:
            fields = self._token_fields(request)
        except ValueError:
            return json_response(400, {"error": "invalid_request"})
        if fields.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        client_id = str(fields.get("client_id") or "")
        secret = str(fields.get("client_secret") or "")
        if not (hmac.compare_digest(client_id.encode(), self.client_id.encode())
                and hmac.compare_digest(secret.encode(), self.client_secret.encode())):
            return json_response(401, {"error": "invalid_client"})
        scope = str(fields.get("scope") or "")
        if scope.split() != ["supplier"]:  # the docs send scope=supplier: asked for, not assumed
            return json_response(400, {"error": "invalid_scope"})
        return json_response(200, self._issue_token(client_id),
                             {"Cache-Control": "no-store", "Pragma": "no-cache"})

    @staticmethod
    def _token_fields(request):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            fields = _json_body(request)
            if not isinstance(fields, dict):
                raise ValueError("not an object")
        else:
            parsed = urllib.parse.parse_qs(request.body.decode("utf-8", "replace"))
            fields = {key: values[-1] for key, values in parsed.items()}
        scheme, _, credentials = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "basic" and "client_id" not in fields:
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise ValueError("bad basic credentials") from None
            client_id, _, secret = decoded.partition(":")
            fields["client_id"] = urllib.parse.unquote_plus(client_id)
            fields["client_secret"] = urllib.parse.unquote_plus(secret)
        return fields

    def _issue_token(self, client_id):
        token = secrets.token_urlsafe(24)
        with self.lock:
            self._tokens[token] = {"client_id": client_id,
                                   "expires_at": time.monotonic() + self.token_ttl}
        return {"access_token": token, "expires_in": int(math.ceil(self.token_ttl)),
                "token_type": "Bearer", "scope": "supplier"}

    # -- list endpoints ------------------------------------------------------------------------

    def _page(self, request, items):
        page = paginate(request, items, self.next_style)
        if page is None:
            return json_response(404, {"detail": "Invalid page."})
        return json_response(200, page)

    def _list_customers(self, request):
        with self.lock:
            items = copy.deepcopy(self.customers)
        return self._page(request, apply_ordering(items, request.query, CUSTOMER_ORDERING))

    def _package_results(self, customer_number):
        """The ``{"supplier_outlet_id", "package"}`` results of a customer, or None if unknown."""
        with self.lock:
            known = any(c["customer_number"] == customer_number for c in self.customers)
            if not known and customer_number not in self.packages:
                return None
            outlet = self.outlet_of(customer_number)
            packages = copy.deepcopy(list(self.packages.get(customer_number, {}).values()))
        return [{"supplier_outlet_id": outlet, "package": package} for package in packages]

    def _list_packages(self, request, customer_number):
        results = self._package_results(customer_number)
        if results is None:
            return not_found()
        results = apply_filters(results, request.query, PACKAGE_FILTERS)
        return self._page(request, apply_ordering(results, request.query, PACKAGE_ORDERING))

    def _get_package(self, request, customer_number, third_party_id):
        for result in self._package_results(customer_number) or []:
            if result["package"]["third_party_id"] == third_party_id:
                return json_response(200, result)
        return not_found()

    def _list_events(self, request):
        with self.lock:
            items = copy.deepcopy(self.events)
        items = apply_filters(items, request.query, EVENT_FILTERS)
        return self._page(request, apply_ordering(items, request.query, EVENT_ORDERING,
                                                  "created_at"))

    def _list_files(self, request):
        with self.lock:
            items = [{key: value for key, value in record.items() if key != "content"}
                     for record in self.files]
        return self._page(request, apply_ordering(items, request.query, FILE_ORDERING, "id"))

    def _list_orders(self, request):
        with self.lock:
            items = copy.deepcopy(self.purchase_orders)
        items = apply_filters(items, request.query, ORDER_FILTERS)
        return self._page(request, apply_ordering(items, request.query, ORDER_ORDERING,
                                                  "ordered_on"))

    # -- PATCH purchase_orders -----------------------------------------------------------------

    def _patch_orders(self, request):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return json_response(415, {"detail": f'Unsupported media type "{content_type}" in '
                                                 'request.'})
        try:
            body = _json_body(request)
        except ValueError as exc:
            return json_response(400, {"detail": str(exc)})
        ids, flags = self._read_patch(body)
        stamp = isoformat(utcnow())
        updated = 0
        with self.lock:
            for order in self.purchase_orders:
                if str(order.get("id")) not in ids:
                    continue
                updated += 1
                for flag in flags:
                    key = f"{flag}_at"
                    if not order.get(key):
                        order[key] = stamp
        return json_response(200, {"updated": updated})

    @staticmethod
    def _read_patch(body):
        """``(set of ids, flags to stamp)`` from a PATCH body; BadRequest when it is wrong."""
        if not isinstance(body, dict):
            raise BadRequest({"non_field_errors": ["Invalid data. Expected a dictionary."]})
        errors = _Errors()
        ids = body.get(PATCH_IDS_FIELD)
        if ids is None:
            errors.add(PATCH_IDS_FIELD, "This field is required.")
        elif not isinstance(ids, list) or not all(isinstance(i, (str, int)) and not
                                                  isinstance(i, bool) for i in ids):
            errors.add(PATCH_IDS_FIELD, "Expected a list of order ids.")
        for name in body:
            if name != PATCH_IDS_FIELD and name not in PATCH_FLAGS:
                errors.add(name, f"Unknown field. Expected {PATCH_IDS_FIELD}, " + ", ".join(PATCH_FLAGS) + ".")
        flags = []
        for flag in PATCH_FLAGS:
            value = body.get(flag)
            if value is None:
                continue
            if value is not True:  # the stamps are irreversible: only true means something
                errors.add(flag, "Must be true.")
            else:
                flags.append(flag)
        if not errors and not flags:
            errors.add("non_field_errors", "Set " + " and/or ".join(PATCH_FLAGS) + " to true.")
        if errors:
            raise BadRequest(dict(errors))
        return {str(i) for i in ids}, flags

    # -- assortment files ----------------------------------------------------------------------

    def _upload_file(self, request):
        fields, files = self._upload_parts(request)
        errors = _Errors()
        content = self._read_assortment(files.get("file"), fields, errors)
        customer_number = str(fields.get("customer_number") or "").strip()
        if "customer_number" not in fields:
            errors.add("customer_number", "This field is required.")
        elif not customer_number:
            errors.add("customer_number", "This field may not be blank.")
        if errors:
            return json_response(400, dict(errors))
        record = self._store_file(customer_number, content)
        return json_response(201, {key: record[key]
                                   for key in ("id", "customer_number", "status", "created_at")})

    @staticmethod
    def _upload_parts(request):
        content_type = request.headers.get("content-type", "")
        kind = content_type.split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            try:
                return parse_multipart(content_type, request.body)
            except ValueError as exc:
                raise BadRequest({"detail": str(exc)}) from None
        if kind == "application/x-www-form-urlencoded":
            parsed = urllib.parse.parse_qs(request.body.decode("utf-8", "replace"))
            return {key: values[-1] for key, values in parsed.items()}, {}
        if kind == "application/json":
            try:
                body = _json_body(request)
            except ValueError as exc:
                raise BadRequest({"detail": str(exc)}) from None
            return (body if isinstance(body, dict) else {}), {}
        raise BadRequest({"detail": f'Unsupported media type "{kind}" in request.'})

    @staticmethod
    def _read_assortment(upload, fields, errors):
        """The parsed JSON array of an uploaded ``file`` part, or None with ``errors`` set."""
        if upload is None:
            errors.add("file", "The submitted data was not a file. Check the encoding type on "
                               "the form." if "file" in fields else "No file was submitted.")
            return None
        try:
            content = json.loads(upload[1].decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            errors.add("file", f"The file is not valid UTF-8 JSON: {exc}")
            return None
        if not isinstance(content, list):
            errors.add("file", "The file must contain a JSON array of packages.")
            return None
        return content

    def _store_file(self, customer_number, content):
        with self.lock:
            record = {"id": len(self.files) + 1, "customer_number": customer_number,
                      "status": "PENDING", "created_at": isoformat(utcnow()),
                      "package_count": len(content), "content": content}
            self.files.append(record)
            timer = threading.Timer(self.processing_delay, self._process_file, (record["id"],))
            timer.daemon = True
            self._timers.append(timer)
        timer.start()
        return record

    def _process_file(self, file_id):
        with self.lock:
            record = next(r for r in self.files if r["id"] == file_id)
            customer_number, content = record["customer_number"], record["content"]
            accepted, rejected = self._import_packages(file_id, customer_number, content)
            if accepted or not content:
                self.packages[customer_number] = accepted
                record["status"] = "PROCESSED"
            else:
                record["status"] = "FAILED"
            self.add_event("INFO", f"Assortment file {file_id} processed: {len(accepted)} "
                                   f"packages imported, {rejected} rejected", customer_number,
                           extra_data={"file_id": file_id, "imported": len(accepted),
                                       "rejected": rejected})
            self._changed.notify_all()

    def _import_packages(self, file_id, customer_number, content):
        """Validates every object; returns ``(third_party_id -> stored package, rejected count)``
        and records the ERROR and WARNING events."""
        accepted, articles, rejected = {}, {}, 0
        for index, data in enumerate(content):
            errors, found = validate_package(data)
            third_party_id = _clean(data.get("third_party_id")) if isinstance(data, dict) else None
            if not errors and third_party_id in accepted:
                errors.add("third_party_id", "Duplicate third_party_id in this file.")
            if errors:
                rejected += 1
                self.add_event("ERROR", _rejection_message(third_party_id, index, errors),
                               customer_number, third_party_id,
                               {"file_id": file_id, "index": index, "errors": dict(errors)})
                continue
            shared_id = _clean(data.get("shared_id"))
            package = stored_package(data, articles.get(shared_id))
            if shared_id:
                articles.setdefault(shared_id, package["article"])
            accepted[third_party_id] = package
            self._quality_warnings(file_id, customer_number, third_party_id, found)
        return accepted, rejected

    def _quality_warnings(self, file_id, customer_number, third_party_id, found):
        extra = {"file_id": file_id}
        if "piece" in found["units"]:
            self.add_event("WARNING", f"Package {third_party_id!r} uses the unit 'piece': prefer "
                                      "weight or volume units", customer_number, third_party_id,
                           extra)
        if not found["gtins"]:
            self.add_event("WARNING", f"Package {third_party_id!r} has no GTIN", customer_number,
                           third_party_id, extra)

    def wait_until_processed(self, timeout=5):
        """Blocks until no uploaded file is PENDING; TimeoutError after ``timeout`` seconds."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: all(record["status"] != "PENDING" for record in self.files), timeout)
        if not done:
            raise TimeoutError(f"assortment files still pending after {timeout} s")

    # -- webhook -------------------------------------------------------------------------------

    def send_order_webhook(self, url, order, secret=None, signature_style="raw", timeout=10):
        return send_order_webhook(url, order, self.client_secret if secret is None else secret,
                                  signature_style, timeout)


def sign(secret, message):
    """Hex HMAC-SHA256 of ``message`` (bytes) keyed with ``secret``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def send_order_webhook(url, order, secret, signature_style="raw", timeout=10):
    """POSTs ``order`` as compact JSON with ``X-APIC-WEBHOOK-SIGNATURE``.

    ``raw`` signs the bytes sent; ``python`` signs ``json.dumps(order)`` with Python's default
    separators (Apicbase's own example), which differ from the compact bytes on the wire.
    """
    import requests  # the only non-standard dependency, needed here alone

    body = to_json_bytes(order, compact=True)
    if signature_style == "raw":
        signed = body
    elif signature_style == "python":
        signed = to_json_bytes(order)
    else:
        raise ValueError("signature_style is 'raw' or 'python'")
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, signed)}
    return requests.post(url, data=body, headers=headers, timeout=timeout)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------

def _arguments(argv=None):
    parser = argparse.ArgumentParser(description="Serve a simulated Apicbase supplier API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="0 = any free port")
    parser.add_argument("--client-id", default="sim-client")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument("--token-ttl", type=float, default=604800)
    parser.add_argument("--next-style", choices=("url", "page"), default="page")
    parser.add_argument("--rate-limit", type=int, default=100, help="requests per minute, 0 = off")
    parser.add_argument("--processing-delay", type=float, default=0.05)
    parser.add_argument("--no-seed", action="store_true", help="start without the seed data")
    parser.add_argument("--webhook-url", help="where --send-orders posts the orders")
    parser.add_argument("--webhook-secret", help="signing key (default: the client secret)")
    parser.add_argument("--signature-style", choices=("raw", "python"), default="raw")
    parser.add_argument("--send-orders", action="store_true",
                        help="post every ORDERED order to --webhook-url at start-up")
    return parser.parse_args(argv)


def _send_orders(sim, args):
    with sim.lock:
        orders = [webhook_payload(o) for o in sim.purchase_orders if o.get("status") == "ORDERED"]
    for order in orders:
        try:
            response = sim.send_order_webhook(args.webhook_url, order, args.webhook_secret,
                                              args.signature_style)
            print(f"webhook {order['id']} -> {response.status_code} {response.text[:200]}")
        except Exception as exc:  # report and keep serving
            print(f"webhook {order['id']} failed: {exc}")


def main(argv=None):
    args = _arguments(argv)
    if args.send_orders and not args.webhook_url:
        raise SystemExit("--send-orders needs --webhook-url")
    sim = Simulator(client_id=args.client_id, client_secret=args.client_secret,
                    token_ttl=args.token_ttl, next_style=args.next_style,
                    rate_limit=args.rate_limit or None, processing_delay=args.processing_delay,
                    seed=not args.no_seed, host=args.host, port=args.port)
    sim.start()
    print(f"Apicbase simulator at {sim.base_url}", flush=True)
    print(f"token URL:     {sim.token_url}")
    print(f"API URL:       {sim.api_url}")
    print(f"client id:     {sim.client_id}")
    print(f"client secret: {sim.client_secret}", flush=True)
    if args.send_orders:
        _send_orders(sim, args)
    print("Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


if __name__ == "__main__":
    main()
