"""What every part of the simulator shares: paths, dates, numbers, JSON and JSON answers."""
import contextlib
import datetime as dt
import functools
import json
import re
import urllib.parse
from decimal import Decimal, InvalidOperation

from werkzeug.wrappers import Response

TOKEN_PATH = "/oauth/token/"
API_PREFIX = "/api/v2/integrations/suppliers"
MAX_BODY_BYTES = 50 * 1024 * 1024
NOT_AUTHENTICATED = "Authentication credentials were not provided."
# django.utils.dateparse.datetime_re: what a DRF/django-filter date-time field accepts.
DATETIME_RE = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"
    r"(?:[T ](?P<hour>\d{1,2}):(?P<minute>\d{1,2})"
    r"(?::(?P<second>\d{1,2})(?:[.,](?P<microsecond>\d{1,6})\d{0,6})?)?"
    r"\s*(?P<tzinfo>Z|[+-]\d{2}(?::?\d{2})?)?)?$")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}$")


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def isoformat(moment):
    """A datetime as DRF writes it: ISO 8601 in UTC with a ``Z``."""
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def parse_datetime(text):
    """Parses ISO 8601 as Django does (date-only and ``Z`` accepted); naive values are UTC.
    ValueError if bad."""
    return _parse_datetime(str(text))


@functools.lru_cache(maxsize=65536)  # every page of a long list filters and sorts the same dates
def _parse_datetime(text):
    match = DATETIME_RE.match(text.strip())
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


def to_decimal(value):
    """A finite Decimal from a JSON number or numeric string; ValueError otherwise."""
    with contextlib.suppress(InvalidOperation):
        if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool):
            number = Decimal(str(value).strip())
            if number.is_finite():
                return number
    raise ValueError("A valid number is required.")


def decimal_places(number):
    exponent = number.as_tuple().exponent
    return -exponent if exponent < 0 else 0


def price_number(value):
    """A price as Apicbase's package examples show it: a JSON number, at most 3 decimals."""
    if value is None:
        return None
    # A float prints as its shortest round-trip text: 19.999 stays 19.999 on the wire.
    return float(to_decimal(value).quantize(Decimal("0.001")))


def _json_default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return isoformat(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json_bytes(payload, compact=False):
    separators = (",", ":") if compact else None
    return json.dumps(payload, default=_json_default, separators=separators).encode("utf-8")


def json_body(request):
    """The request body parsed as JSON; ValueError when it is not JSON."""
    try:
        return json.loads(request.get_data().decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"JSON parse error - {exc}") from None


def form_fields(request):
    """A form-encoded body as ``name -> last value`` (blank values left out, as ``parse_qs``)."""
    parsed = urllib.parse.parse_qs(request.get_data().decode("utf-8", "replace"))
    return {key: values[-1] for key, values in parsed.items()}


def json_response(status, payload, headers=None):
    return Response(to_json_bytes(payload), status, headers, content_type="application/json")


def text_response(status, text, content_type="text/plain; charset=utf-8"):
    return Response(text.encode("utf-8"), status, content_type=content_type)


def not_found():
    return json_response(404, {"detail": "Not found."})


def method_not_allowed(method, allowed):
    return json_response(405, {"detail": f'Method "{method}" not allowed.'},
                         {"Allow": ", ".join(allowed)})


def throttled(seconds):
    """Django REST Framework's answer to a throttled request."""
    return json_response(429, {"detail": f"Request was throttled. Expected available in "
                                         f"{seconds} seconds."}, {"Retry-After": str(seconds)})


class Dropped(Response):
    """Not an answer: the server closes the connection instead of sending anything."""
