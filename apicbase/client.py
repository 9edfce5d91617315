"""A small client for Apicbase's Generic Suppliers REST API (plain ``requests``).

What it takes care of, so callers don't:
- the OAuth2 client-credentials token: cached until shortly before it expires,
  asked again once when a call answers 401;
- pacing under Apicbase's 100 requests per minute (a pacer of :mod:`.pacing`, which clients
  can share), and honouring 429 / ``Retry-After`` anyway;
- retries (urllib3's, on our terms) with exponential backoff and jitter on
  connection errors, timeouts, 429, 5xx and unreadable answers, bounded in
  attempts and in total time; no retry on other 4xx;
- pagination whether ``next`` is an absolute URL or a page number;
- where the credentials and the token may go: HTTPS URLs only (plain HTTP to this machine
  alone), no redirect followed, the token sent to the API host only; answers larger than
  ``MAX_RESPONSE_BYTES`` or still coming when the time budget ends are not read further.

Errors carry the HTTP status and Apicbase's message, never a secret or token.
"""
import datetime as dt
import ipaddress
import json
import random
import time
from decimal import Decimal
from urllib.parse import quote, urljoin, urlsplit

import requests

from .errors import ApicbaseError
from .pacing import MemoryPacer
from .payload import parse_datetime
from .transport import RETRY_STATUSES, ResponseTooLarge, ResponseTooSlow, RetryPolicy, new_session, read_body

PAGE_SIZE = 200  # the documented maximum "in most cases"
MAX_PAGES = 10_000  # 2 million items: far beyond any supplier's catalogue, short of forever
# A page of 200 purchase orders of 50 lines, at about 1 KB of JSON a line, is 10 MB, far more than
# a page of 200 packages: three times that is no answer of Apicbase's, and is not read into memory.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024


def url_problem(url):
    """Why ``url`` may not receive the client secret or a token, as the end of a sentence naming
    it; None when it may: HTTPS, or plain HTTP to this machine (a loopback address or
    localhost, as the simulator listens), with a host and without a user name or password."""
    if not isinstance(url, str):
        return "is not a valid URL"
    if any(char.isspace() or not char.isprintable() for char in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("https", "http"):
        return "must start with https://"
    if not parts.hostname:
        return "has no host"
    if "@" in parts.netloc:
        return "must not carry a user name or password (the client id and secret have fields of their own)"
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return "must use https:// (plain http:// only to this machine: localhost, 127.0.0.1 or [::1])"
    return None


def _is_loopback(host):
    if host == "localhost":  # urlsplit gives host names in lower case
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url):
    """Scheme, host and port of ``url``: where a request to it goes; None when its port is no number
    (no origin of ours: the API URL's port is one)."""
    parts = urlsplit(url)
    try:
        return parts.scheme, parts.hostname, parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        return None


class ApiError(ApicbaseError):
    """Apicbase answered with an error, or could not be reached in time."""

    def __init__(self, message, status=None, path=None):
        self.status = status
        self.path = path
        super().__init__(message)


class AuthenticationError(ApiError):
    """The credentials were refused (token endpoint) or a fresh token was refused."""


class MalformedResponseError(ApiError):
    """Apicbase answered 2xx with something that is not the documented JSON."""


class TransientError(ApiError):
    """Retries did not help: Apicbase was unreachable, slow, throttling or failing."""


def _message_of(response):
    """Apicbase's own words from an error answer, whatever its format."""
    try:
        body = response.json()
    except ValueError:
        text = (response.text or "").strip()
        return text[:300] if text and not text.startswith("<") else (response.reason or "")
    if isinstance(body, dict):
        for key in ("detail", "error_description", "error", "message"):
            if isinstance(body.get(key), str):
                return body[key]
        return "; ".join(f"{key}: {value}" for key, value in body.items())[:300]
    return str(body)[:300]


def _decimal_default(value):
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def purchase_orders_patch_body(ids, fetched=False, viewed=False):
    """The body of the fetched/viewed PATCH.

    Apicbase's reference names the flags ``fetched_by_supplier`` and ``viewed_by_supplier``
    (true; the stamps cannot be undone). How the body names the orders is not documented:
    ``ids`` is our guess, made here and nowhere else.
    """
    body = {"ids": list(ids)}
    if fetched:
        body["fetched_by_supplier"] = True
    if viewed:
        body["viewed_by_supplier"] = True
    return body


# Apicbase types its date filters as dates: ``ordered_on__gt=2026-11-01T10:00:00Z`` is a 400
# ("Enter a valid date."). Whether it reads a date as midnight UTC, midnight in its own time
# zone or a calendar day is not documented; two days of margin cover every reading (and every
# time zone), and the items are then narrowed here to the exact moment asked for.
DATE_FILTER_MARGIN = dt.timedelta(days=2)


def date_filter_value(moment):
    """``YYYY-MM-DD`` safely before ``moment`` (an aware or naive-UTC datetime), for ``__gt``/``__gte``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc)
    return (moment - DATE_FILTER_MARGIN).date().isoformat()


def _when(item, field):
    """``item[field]`` as an aware datetime; None when absent, unreadable or without an offset (a
    local time only the caller can place)."""
    when = parse_datetime(item.get(field)) if isinstance(item, dict) and item.get(field) else None
    return when if when is not None and when.tzinfo is not None else None


def _after(items, field, moment, inclusive=False, newest_first=False):
    """The items whose ``field`` is after ``moment``. An item whose time cannot be compared is kept
    for the caller to judge. With ``newest_first``, the walk stops at the first older item, but
    only while the items really come newest first (an API that ignores ``ordering`` is read to
    the end)."""
    moment = moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment
    previous, seen_descending = None, False
    for item in items:
        when = _when(item, field)
        if when is not None:
            if previous is not None:
                newest_first = newest_first and when <= previous
                seen_descending = seen_descending or when < previous
            previous = when
        if when is None or when > moment or (inclusive and when == moment):
            yield item
        elif newest_first and seen_descending:
            return


class ApicbaseClient:
    def __init__(self, api_url, token_url, client_id, client_secret, *, timeout=(5, 30),
                 max_attempts=5, max_total_seconds=120.0, backoff_base=0.5, backoff_max=30.0,
                 requests_per_minute=90, sent_log=None, session=None, max_response_bytes=MAX_RESPONSE_BYTES,
                 token_encoding="form",  # pragma: no mutate
                 sleep=time.sleep, clock=time.monotonic, jitter=random.random, pacer=None):
        if not (api_url and token_url and client_id and client_secret):
            raise ApiError("Apicbase API URL, token URL, client id and client secret are all required.")
        for name, url in (("API URL", api_url), ("token URL", token_url)):
            problem = url_problem(url)
            if problem:
                raise ApiError(f"The Apicbase {name} {problem}.")  # never the URL: it may hold a password
        self.api_url = api_url.rstrip("/") + "/"
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        # (connect, read) seconds; a single number is both.
        self.connect_timeout, self.read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        self.max_attempts = max_attempts
        self.max_total_seconds = max_total_seconds
        self.max_response_bytes = max_response_bytes
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.requests_per_minute = requests_per_minute
        self.token_encoding = token_encoding
        self._sleep, self._clock, self._jitter = sleep, clock, jitter
        # A session of the caller's is used as it is: retries are the transport's (transport.new_session).
        self.session = session or new_session(self._retry_policy())
        self._token, self._token_expires_at = None, 0.0  # pragma: no mutate
        # Who counts the requests of the minute: a caller's pacer (or send log) paces several clients of
        # one API account as one, as Apicbase counts them.
        self.pacer = MemoryPacer(sent_log, clock=clock, sleep=sleep) if pacer is None else pacer
        self.request_count = 0

    def __repr__(self):
        return f"<ApicbaseClient {self.api_url} client_id={self._client_id!r}>"

    # -- token -------------------------------------------------------------

    def _fetch_token(self):
        fields = {"grant_type": "client_credentials", "client_id": self._client_id,
                  "client_secret": self._client_secret, "scope": "supplier"}
        body = {"json": fields} if self.token_encoding == "json" else {"data": fields}
        response = self._send("POST", self.token_url,
                              authenticated=False,  # pragma: no mutate
                              **body)
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(
                f"Apicbase refused the client credentials ({response.status_code}): {_message_of(response)}",
                status=response.status_code, path=urlsplit(self.token_url).path)
        data = self._json(response, self.token_url)
        token = data.get("access_token") if isinstance(data, dict) else None
        if not token or not isinstance(token, str):
            raise MalformedResponseError("Apicbase's token answer has no access_token.",
                                         status=response.status_code)
        try:
            expires_in = float(data.get("expires_in") or 3600)
        except (TypeError, ValueError):
            expires_in = 3600.0  # unreadable lifetime: assume an hour, a 401 renews it anyway
        # Renew a little early: a token that expires mid-sync costs a 401 round trip.
        margin = min(300.0, expires_in * 0.1)
        self._token = token
        self._token_expires_at = self._clock() + expires_in - margin
        return token

    def token(self):
        """A valid access token (fetched or cached)."""
        if not self._token or self._clock() >= self._token_expires_at:
            return self._fetch_token()
        return self._token

    # -- transport ---------------------------------------------------------

    def _retry_policy(self):
        """The terms the transport retries on: this client's settings, clock and current request."""
        return RetryPolicy(max_attempts=self.max_attempts, connect_timeout=self.connect_timeout,
                           backoff=self._backoff, clock=self._clock, sleep=self._sleep,
                           deadline=lambda: self._deadline, before_attempt=self._pace, gave_up=self._gave_up)

    def _pace(self):
        """Before each attempt: counts it, and waits while the last minute holds requests_per_minute."""
        self.request_count += 1
        self._attempts += 1
        if self.requests_per_minute:
            self.pacer.acquire(self.requests_per_minute)

    def _send(self, method, url, authenticated=True, **kwargs):
        """One request, its transient failures retried below (_Retry); a 401 asks for a new token, once."""
        deadline = self._clock() + self.max_total_seconds
        response = self._call(method, url, authenticated, deadline, **kwargs)
        if authenticated and response.status_code == 401:
            self._token = None  # pragma: no mutate
            response = self._call(method, url, authenticated, deadline, **kwargs)
        if 300 <= response.status_code < 400:
            raise self._redirected(method, url, response)
        if response.status_code in RETRY_STATUSES:  # still failing when attempts or time ran out
            status = response.status_code
            raise self._gave_up(method, url, f"{status} {_message_of(response)}", status)
        return response

    def _call(self, method, url, authenticated, deadline, headers=None, **kwargs):
        headers = {"Accept": "application/json", **(headers or {})}
        if authenticated:
            headers["Authorization"] = f"Bearer {self.token()}"
        self._deadline, self._attempts = deadline, 0  # this request's, for _pace, _Retry and _gave_up
        self._pace()
        try:
            # No redirect is followed: the secret and the token go to the configured URLs only.
            response = self.session.request(method, url, headers=headers, timeout=self.read_timeout,
                                            stream=True, allow_redirects=False, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:  # not retried below (a caller's session)
            failure = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
            raise self._gave_up(method, url, failure) from None
        return self._read(method, url, response)

    def _read(self, method, url, response):
        """``response`` with its body read, at most ``max_response_bytes`` and by the deadline.

        An attempt started before the deadline is given at least the read timeout to finish, as
        any attempt is: a test's clock that does not move with time does not cut answers short.
        """
        path = urlsplit(url).path
        try:
            read_body(response, self.max_response_bytes,
                      max(self.read_timeout or 0.0, self._deadline - self._clock()))
        except ResponseTooLarge:
            raise ApiError(f"Apicbase's answer to {method} {path} is larger than {self.max_response_bytes:,} "
                           f"bytes: it was not read.", status=response.status_code, path=path) from None
        except ResponseTooSlow:
            raise self._gave_up(method, url, f"its answer was still coming after {self.max_total_seconds:g} s",
                                response.status_code) from None
        except requests.RequestException:
            raise self._gave_up(method, url, "the connection broke off in its answer") from None
        return response

    @staticmethod
    def _redirected(method, url, response):
        """A redirect is not followed; the error says where it pointed (scheme, host and path only)."""
        path, where = urlsplit(url).path, ""
        location = response.headers.get("Location")  # pragma: no mutate
        if location:
            target = urlsplit(urljoin(url, location))
            where = f" to {target.scheme}://{target.netloc.rpartition('@')[2]}{target.path}"
        return ApiError(f"Apicbase answered {method} {path} with a redirect ({response.status_code}){where}, which "
                        f"is not followed: check the Apicbase API and token URLs.",
                        status=response.status_code, path=path)

    def _gave_up(self, method, url, failure, status=None):
        path = urlsplit(url).path
        return TransientError(f"Apicbase did not answer {method} {path} after {self._attempts} attempt(s): "
                              f"{failure}", status=status, path=path)

    def _backoff(self, attempt):
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return ceiling / 2 + self._jitter() * ceiling / 2

    @staticmethod
    def _json(response, url):
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            raise MalformedResponseError(
                f"Apicbase answered {urlsplit(url).path} with something that is not JSON.",
                status=response.status_code, path=urlsplit(url).path) from None

    def request(self, method, path_or_url, *, params=None, json_body=None, **kwargs):
        """Sends one API call and returns its decoded JSON (None for an empty answer)."""
        url = urljoin(self.api_url, path_or_url)
        if _origin(url) != _origin(self.api_url):
            raise ApiError(f"{urlsplit(url).path} is not on the Apicbase API host: the token is sent there only.",
                           path=urlsplit(url).path)
        if json_body is not None:
            kwargs["data"] = json.dumps(json_body, default=_decimal_default)
            kwargs["headers"] = {"Content-Type": "application/json"}
        response, path = self._send(method, url, params=params, **kwargs), urlsplit(url).path
        if response.status_code == 401:
            raise AuthenticationError(f"Apicbase refused a fresh token: {_message_of(response)}",
                                      status=401, path=path)
        if response.status_code >= 400:
            raise ApiError(f"Apicbase answered {response.status_code} on {path}: {_message_of(response)}",
                           status=response.status_code, path=path)
        if not response.content:
            return None
        return self._json(response, url)

    # -- pagination --------------------------------------------------------

    def paginate(self, path, params=None, page_size=PAGE_SIZE):
        """Yields every item of a paginated list (see :meth:`pages`)."""
        for page in self.pages(path, params, page_size):
            yield from page["results"]

    def pages(self, path, params=None, page_size=PAGE_SIZE):
        """Yields the pages of a paginated list, following ``next`` as a URL or a page number.

        A ``next`` URL is resolved against the page it came from and followed on our own API
        host (its path and query only), so the token never goes elsewhere. The walk stops with
        an error, never loops, when ``next`` repeats itself, comes with an empty page, or
        outlasts the pages ``count`` announced.
        """
        params = {**(params or {}), "page_size": page_size}
        url = urljoin(self.api_url, path)
        seen, pages, limit = set(), 0, MAX_PAGES
        while True:
            page = self._page(url, params)
            pages += 1
            if pages == 1 and isinstance(page.get("count"), int):
                limit = min(MAX_PAGES, page["count"] // max(1, len(page["results"])) + 2)
            yield page
            following = page.get("next")
            if following in (None, ""):
                return
            if isinstance(following, int) or (isinstance(following, str) and following.isdigit()):
                params = {**(params or {}), "page": int(following)}
            else:
                url, params = self._on_api_host(urljoin(url, following)), None  # the URL carries the query
            position = f"{url}|{sorted((params or {}).items())!r}"
            if position in seen or not page["results"] or pages >= limit:
                raise MalformedResponseError(
                    f"Apicbase's pagination of {urlsplit(urljoin(self.api_url, path)).path} does not advance.",
                    path=path)
            seen.add(position)

    def _on_api_host(self, url):
        """``url``'s path and query on the configured API scheme and host."""
        parts, api = urlsplit(url), urlsplit(self.api_url)
        return api._replace(path=parts.path, query=parts.query).geturl()  # our API URL has no fragment

    def _page(self, url, params):
        path = urlsplit(urljoin(self.api_url, url)).path
        for attempt in range(1, self.max_attempts + 1):
            page = self._answer_or_none(url, params)
            if isinstance(page, dict) and isinstance(page.get("results"), list):
                return page
            if attempt < self.max_attempts:
                self._sleep(self._backoff(attempt))  # a proxy's error page in a 200 is transient
        raise MalformedResponseError(
            f"Apicbase answered {path} with a page that has no result list, {self.max_attempts} times.",
            path=path)

    def _answer_or_none(self, url, params):
        """The decoded answer to GET ``url``; None when it is not JSON (a proxy's error page)."""
        try:
            return self.request("GET", url, params=params)
        except MalformedResponseError:
            return None

    # -- calls -------------------------------------------------------------

    def post_assortment_file(self, customer_number, content, filename="assortment.json"):
        """Uploads an assortment file; ``content`` is the file's bytes (see assortment.dumps)."""
        return self.request("POST", "files/", data={"customer_number": customer_number},
                            files={"file": (filename, content, "application/json")})

    def iter_files(self, **filters):
        return self.paginate("files/", filters)

    def iter_events(self, created_since=None, **filters):
        """Filters: third_party_id, customer_number, message, event_type. ``created_since`` (a
        datetime) yields the events created at or after it (sent as a date, see DATE_FILTER_MARGIN)."""
        if created_since is None:
            return self.paginate("events/", filters)
        # Two days of margin can be thousands of events: newest first, the walk ends past the moment.
        filters.update(created_at__gte=date_filter_value(created_since), ordering="-created_at")
        return _after(self.paginate("events/", filters), "created_at", created_since, inclusive=True,
                      newest_first=True)

    def iter_customers(self):
        return self.paginate("customers/")

    def iter_packages(self, customer_number, **filters):
        """Filters: supplier_outlet_id, shared_id, article_name, package_gtin, package_is_orderable."""
        return self.paginate(f"customers/{_segment(customer_number)}/packages", filters)

    def get_package(self, customer_number, third_party_id):
        return self.request("GET", f"customers/{_segment(customer_number)}/packages/{_segment(third_party_id)}/")

    def iter_purchase_orders(self, ordered_after=None, **filters):
        """Filters as documented: status, status__in, delivery_closed, ... ``ordered_after`` (a
        datetime) yields the orders ordered strictly after it (sent as a date, see DATE_FILTER_MARGIN)."""
        if ordered_after is None:
            return self.paginate("purchase_orders/", filters)
        return (order for _number, orders, _more in self.purchase_order_pages(ordered_after, **filters)
                for order in orders)

    def purchase_order_pages(self, ordered_after, first_page=1, page_size=PAGE_SIZE, **filters):
        """The orders ordered strictly after ``ordered_after``, page by page from ``first_page`` on,
        as (page number, its orders, whether another page follows): a long follow-up can stop
        after any page and go on from the next one later, the same filters and page size giving
        the same pages."""
        filters["ordered_on__gt"] = date_filter_value(ordered_after)
        if first_page > 1:
            filters["page"] = first_page
        for number, page in enumerate(self.pages("purchase_orders/", filters, page_size), start=first_page):
            orders = list(_after(page["results"], "ordered_on", ordered_after))
            yield number, orders, page.get("next") not in (None, "")

    def mark_purchase_orders(self, ids, fetched=False, viewed=False):
        return self.request("PATCH", "purchase_orders/",
                            json_body=purchase_orders_patch_body(ids, fetched=fetched, viewed=viewed))

    def test_connection(self):
        """Gets a token and reads one page of customers; returns the customer count."""
        self._fetch_token()
        page = self._page("customers/", {"page_size": 1})
        return page.get("count", len(page["results"]))


def _segment(value):
    return quote(str(value), safe="")  # pragma: no mutate
