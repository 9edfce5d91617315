"""The API client against a scripted session: what it sends, how it waits, what it reports.

No socket and no real time: the session answers from a script and records every call, the clock
only moves when the client sleeps. The simulator tests (test_client.py) show the client works
against a server; these pin the exact requests, delays and messages (tools/mutation found them
unchecked).
"""
import datetime as dt
import email.utils
import json
import socket
import time
from decimal import Decimal

import pytest
import requests
import requests.adapters
from urllib3.util import Timeout

from local_server import LocalServer

from apicbase.client import (ApiError, ApicbaseClient, AuthenticationError, MalformedResponseError,
                             TransientError, date_filter_value, purchase_orders_patch_body)

API = "https://apicbase.test/api/v2/"
TOKEN_URL = "https://apicbase.test/oauth/token/"
CREDENTIALS = {"grant_type": "client_credentials", "client_id": "client-id", "client_secret": "client-secret",
               "scope": "supplier"}
NOT_FOLLOWED = {"stream": True, "allow_redirects": False}  # read within the client's limits, no redirect


def answer(status=200, body=None, *, raw=None, headers=None, reason=None):
    """A real ``requests.Response`` as the network would give it."""
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response._content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    response._content_consumed = True  # read already, as a session that does not stream leaves it
    response.encoding = "utf-8"
    response.headers.update(headers or {})
    return response


class ScriptedSession:
    """Stands in for ``requests.Session``. The token endpoint answers ``tokens`` in turn (then
    fresh tokens); every other call gets the next of ``answers`` (an exception is raised)."""

    def __init__(self, answers, tokens=()):
        self.answers, self.tokens, self.calls = list(answers), list(tokens), []

    def request(self, method, url, **kwargs):
        self.calls.append({"method": method, "url": url, **kwargs})
        if url == TOKEN_URL:
            issued = sum(1 for call in self.calls if call["url"] == TOKEN_URL)
            return self.tokens.pop(0) if self.tokens else answer(body={"access_token": f"tok-{issued}",
                                                                       "expires_in": 3600})
        result = self.answers.pop(0)
        if isinstance(result, BaseException):
            raise result
        return result


class Harness:
    """A client on a scripted session, a clock that moves only when the client sleeps, no jitter."""

    def __init__(self, *answers, tokens=(), **options):
        self.now, self.slept = 1000.0, []
        self.session = ScriptedSession(answers, tokens)
        options = {"session": self.session, "sleep": self.sleep, "clock": lambda: self.now,
                   "jitter": lambda: 0.0, **options}
        self.client = ApicbaseClient(API, TOKEN_URL, "client-id", "client-secret", **options)

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def api_calls(self):
        return [call for call in self.session.calls if call["url"] != TOKEN_URL]

    def token_calls(self):
        return [call for call in self.session.calls if call["url"] == TOKEN_URL]


def page(results, next_page=None, count=None):
    body = {"next": next_page, "results": results}
    if count is not None:
        body["count"] = count
    return answer(body=body)


def error_of(function, *args, expected=ApiError, **kwargs):
    with pytest.raises(expected) as info:
        function(*args, **kwargs)
    return info.value


# --- what goes on the wire ------------------------------------------------------------------

def test_a_call_asks_for_json_with_a_bearer_token_within_the_read_timeout():
    h = Harness(answer(body={"price": 0.1}))
    assert h.client.request("GET", "customers/") == {"price": Decimal("0.1")}  # never a float
    token_call, call = h.session.calls
    assert token_call == {"method": "POST", "url": TOKEN_URL, "headers": {"Accept": "application/json"},
                          "timeout": 30, "data": CREDENTIALS,
                          **NOT_FOLLOWED}
    assert call == {"method": "GET", "url": API + "customers/", "params": None, "timeout": 30, **NOT_FOLLOWED,
                    "headers": {"Accept": "application/json", "Authorization": "Bearer tok-1"}}
    assert h.client.request_count == 2


def test_the_token_request_can_be_json():
    h = Harness(token_encoding="json")
    assert h.client.token() == "tok-1"
    assert h.session.calls == [{"method": "POST", "url": TOKEN_URL, "headers": {"Accept": "application/json"},
                                "timeout": 30, "json": CREDENTIALS,
                                **NOT_FOLLOWED}]


def test_a_json_body_is_sent_as_json_with_decimals_as_exact_text():
    h = Harness(answer(204))
    assert h.client.request("PATCH", "purchase_orders/", json_body={"ids": ["a"], "price": Decimal("19.999")}) is None
    [call] = h.api_calls()
    assert call["data"] == '{"ids": ["a"], "price": "19.999"}'
    assert call["headers"] == {"Accept": "application/json", "Content-Type": "application/json",
                               "Authorization": "Bearer tok-1"}
    with pytest.raises(TypeError, match="^object is not JSON serialisable$"):
        h.client.request("PATCH", "purchase_orders/", json_body={"ids": [object()]})


@pytest.mark.parametrize("timeout, connect, read", [((5, 30), 5, 30), (7, 7, 7), ((2, 9), 2, 9)])
def test_timeouts_are_connect_and_read(timeout, connect, read):
    client = ApicbaseClient(API, TOKEN_URL, "id", "secret", timeout=timeout)
    assert (client.connect_timeout, client.read_timeout) == (connect, read)


@pytest.mark.parametrize("url", ["http://apicbase.test/x", "https://apicbase.test/x"])
def test_the_transport_applies_the_connect_timeout_on_http_and_https(monkeypatch, url):
    seen = []

    def transport_send(adapter, request, **kwargs):
        seen.append(kwargs["timeout"])
        return answer(body={})

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", transport_send)
    session = ApicbaseClient(API, TOKEN_URL, "id", "secret", timeout=(3, 17)).session
    session.get(url, timeout=17)
    session.get(url, timeout=(4, 9))  # a caller's own (connect, read) pair is left alone
    session.get(url, timeout=Timeout(connect=1, read=2))
    plain, pair, given = seen
    assert isinstance(plain, Timeout) and (plain.connect_timeout, plain.read_timeout) == (3, 17)
    assert pair == (4, 9) and (given.connect_timeout, given.read_timeout) == (1, 2)


def test_an_incomplete_configuration_is_refused_at_once():
    for missing in range(4):
        values = ["https://a/api/", "https://a/token/", "id", "secret"]
        values[missing] = ""
        with pytest.raises(ApiError, match=r"^Apicbase API URL, token URL, client id and client secret are all "
                                           r"required\.$"):
            ApicbaseClient(*values)


def test_the_api_url_gets_exactly_one_trailing_slash():
    assert ApicbaseClient("https://a/api/v2//", TOKEN_URL, "id", "secret").api_url == "https://a/api/v2/"
    assert ApicbaseClient("https://a/api/v2", TOKEN_URL, "id", "secret").api_url == "https://a/api/v2/"
    assert ApicbaseClient("https://a/BOX/", TOKEN_URL, "id", "secret").api_url == "https://a/BOX/"


@pytest.mark.parametrize("api_url, same_host", [
    ("https://apicbase.test/api/v2/", "https://apicbase.test:443/api/v2/customers/"),
    ("http://localhost/api/", "http://localhost:80/api/customers/"),
])
def test_a_url_that_names_the_default_port_is_on_the_api_host(api_url, same_host):
    session = ScriptedSession([answer(body={"results": []})])
    client = ApicbaseClient(api_url, TOKEN_URL, "client-id", "client-secret", session=session, requests_per_minute=0)
    assert client.request("GET", same_host) == {"results": []}
    assert session.calls[-1]["url"] == same_host


@pytest.mark.parametrize("url, path", [
    ("https://elsewhere.test/api/v2/x/?token=t", "/api/v2/x/"),
    ("https://apicbase.test:https/api/v2/customers/", "/api/v2/customers/"),  # a port that is no number
])
def test_a_call_off_the_api_host_is_refused_naming_its_path_only(url, path):
    h = Harness()
    error = error_of(h.client.request, "GET", url)
    assert str(error) == f"{path} is not on the Apicbase API host: the token is sent there only."
    assert (error.status, error.path) == (None, path)
    assert h.session.calls == []


def test_an_answer_read_from_a_file_not_a_socket_is_read_as_it_is(tmp_path):
    """A caller's session may answer from a file (a file:// adapter): there is no socket to watch."""
    (tmp_path / "body").write_bytes(b"[]")
    response = answer(body={"results": ["from a file"]})
    with open(tmp_path / "body", "rb") as response.raw:
        h = Harness(response)
        assert h.client.request("GET", "customers/") == {"results": ["from a file"]}


# --- the token ------------------------------------------------------------------------------

def test_the_token_is_renewed_ten_percent_before_it_expires():
    h = Harness(tokens=[answer(body={"access_token": "short", "expires_in": 100})])
    assert h.client.token() == "short"
    h.now += 89.9
    assert h.client.token() == "short"
    h.now += 0.1  # 90 s: the last 10 % of a 100 s token
    assert h.client.token() == "tok-2"


@pytest.mark.parametrize("expires_in", [3600, None, "soon"])
def test_an_hour_long_or_unreadable_lifetime_is_renewed_five_minutes_early(expires_in):
    body = {"access_token": "first"} if expires_in is None else {"access_token": "first", "expires_in": expires_in}
    h = Harness(tokens=[answer(body=body)])
    assert h.client.token() == "first"
    h.now += 3299.9
    assert h.client.token() == "first"
    h.now += 0.1
    assert h.client.token() == "tok-2"


@pytest.mark.parametrize("status", [400, 401, 403])
def test_refused_credentials_are_an_authentication_error(status):
    h = Harness(tokens=[answer(status, {"error": "invalid_client"})])
    error = error_of(h.client.token, expected=AuthenticationError)
    assert str(error) == f"Apicbase refused the client credentials ({status}): invalid_client"
    assert (error.status, error.path) == (status, "/oauth/token/")


@pytest.mark.parametrize("body", [{"token_type": "bearer"}, {"access_token": 123}, {"access_token": ""},
                                  ["tok"]])
def test_a_token_answer_without_a_token_is_malformed(body):
    h = Harness(tokens=[answer(body=body)])
    error = error_of(h.client.token, expected=MalformedResponseError)
    assert str(error) == "Apicbase's token answer has no access_token." and error.status == 200


def test_a_token_answer_that_is_not_json_is_malformed():
    h = Harness(tokens=[answer(raw=b"<html>maintenance</html>")])
    error = error_of(h.client.token, expected=MalformedResponseError)
    assert str(error) == "Apicbase answered /oauth/token/ with something that is not JSON."
    assert (error.status, error.path) == (200, "/oauth/token/")


def test_a_401_asks_for_a_new_token_once_then_gives_up():
    h = Harness(answer(401, {"detail": "expired"}), answer(body={"ok": 1}))
    assert h.client.request("GET", "customers/") == {"ok": 1}
    assert [call["headers"]["Authorization"] for call in h.api_calls()] == ["Bearer tok-1", "Bearer tok-2"]
    h = Harness(answer(401, {"detail": "expired"}), answer(401, {"detail": "revoked"}))
    error = error_of(h.client.request, "GET", "customers/", expected=AuthenticationError)
    assert str(error) == "Apicbase refused a fresh token: revoked"
    assert (error.status, error.path) == (401, "/api/v2/customers/")
    assert len(h.token_calls()) == 2


def test_a_call_retried_with_a_new_token_keeps_its_body_and_headers():
    h = Harness(answer(401, {"detail": "expired"}), answer(204))
    h.client.request("PATCH", "purchase_orders/", json_body={"ids": ["a"]})
    first, second = h.api_calls()
    assert second["data"] == first["data"] == '{"ids": ["a"]}'
    assert second["headers"] == {"Accept": "application/json", "Content-Type": "application/json",
                                 "Authorization": "Bearer tok-2"}


def test_test_connection_gets_a_fresh_token_and_counts_the_customers():
    h = Harness(page([{"customer_number": "C1"}], count=42), page([{"customer_number": "C1"}]))
    assert h.client.test_connection() == 42
    assert h.client.test_connection() == 1  # no count: the page's own length
    assert len(h.token_calls()) == 2
    assert [(call["url"], call["params"]) for call in h.api_calls()] == [(API + "customers/", {"page_size": 1})] * 2


# --- retries, waits and the time budget -----------------------------------------------------
# urllib3 retries below the session, so these cross a real socket to a local server that answers a
# script; the clock still moves only when the client sleeps.

DROP = "drop"  # a script step: the connection is closed unanswered


class Wire:
    """A client of a local server answering ``script`` in turn: (status, body[, headers]), DROP or a
    silence in seconds. The token endpoint answers tok-1, tok-2...; no jitter by default."""

    def __init__(self, *script, **options):
        self.script, self.seen, self.tokens = list(script), [], 0
        self.now, self.slept = 1000.0, []
        self.server = LocalServer(self.answer)
        url = self.server.url
        options = {"sleep": self.sleep, "clock": lambda: self.now, "jitter": lambda: 0.0, "timeout": (2, 5),
                   **options}
        self.client = ApicbaseClient(url + "/api/v2/", url + "/oauth/token/", "client-id", "client-secret",
                                     **options)

    def answer(self, request):
        if request.path == "/oauth/token/":
            self.tokens += 1
            return 200, {"access_token": f"tok-{self.tokens}", "expires_in": 3600}
        self.seen.append((request.command, request.path, request.headers["Authorization"], request.body))
        step = self.script.pop(0)
        if step == DROP:
            return None  # the connection closes unanswered
        if isinstance(step, float):
            time.sleep(step)  # silent past the read timeout
            return None
        return step

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def close(self):
        self.server.close()


@pytest.fixture
def wire():
    made = []
    yield lambda *script, **options: made.append(Wire(*script, **options)) or made[-1]
    for each in made:
        each.close()


@pytest.mark.parametrize("jitter, expected", [(0.0, [0.25, 0.5, 1.0, 2.0]), (0.5, [0.375, 0.75, 1.5, 3.0]),
                                              (1.0, [0.5, 1.0, 2.0, 4.0])])
def test_by_default_five_attempts_with_doubling_backoff_then_a_transient_error(wire, jitter, expected):
    w = wire(*[(503, {"detail": "down for maintenance"})] * 5, jitter=lambda: jitter)
    error = error_of(w.client.request, "GET", "customers/", expected=TransientError)
    assert str(error) == "Apicbase did not answer GET /api/v2/customers/ after 5 attempt(s): 503 down for maintenance"
    assert (error.status, error.path) == (503, "/api/v2/customers/")
    assert w.slept == expected
    assert len(w.seen) == 5 and w.client.request_count == 6  # the token's call and five attempts


def test_the_backoff_stops_growing_at_thirty_seconds_by_default(wire):
    w = wire(*[(502, {"detail": "bad gateway"})] * 9, max_attempts=9, max_total_seconds=1000)
    error = error_of(w.client.request, "GET", "customers/", expected=TransientError)
    assert w.slept == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 15.0]
    assert str(error).endswith(" after 9 attempt(s): 502 bad gateway") and not w.script


@pytest.mark.parametrize("failure, message", [(1.5, "timed out"), (DROP, "connection failed")])
def test_network_failures_are_retried_then_reported(wire, failure, message):
    w = wire(failure, (200, []), timeout=(2, 0.5))
    assert w.client.request("GET", "customers/") == [] and w.slept == [0.25] and len(w.seen) == 2
    w = wire(failure, failure, max_attempts=2, timeout=(2, 0.5))
    error = error_of(w.client.request, "GET", "customers/", expected=TransientError)
    assert str(error) == f"Apicbase did not answer GET /api/v2/customers/ after 2 attempt(s): {message}"
    assert (error.status, error.path) == (None, "/api/v2/customers/")
    assert w.slept == [0.25] and len(w.seen) == 2


def test_a_refused_connection_is_retried_then_reported():
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there
    slept = []
    client = ApicbaseClient(url + "/api/", url + "/oauth/token/", "id", "secret", max_attempts=3,
                            sleep=slept.append, jitter=lambda: 0.0)
    error = error_of(client.token, expected=TransientError)
    assert str(error) == "Apicbase did not answer POST /oauth/token/ after 3 attempt(s): connection failed"
    assert (error.status, error.path, slept) == (None, "/oauth/token/", [0.25, 0.5])


@pytest.mark.parametrize("retry_after, waited", [("7", 7.0), ("0", 0.0), ("-3", 0.0), ("soon", 0.25),
                                                 ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("", 0.25),
                                                 ("1.5", 1.5)])
def test_429_waits_as_told(wire, retry_after, waited):
    w = wire((429, {}, {"Retry-After": retry_after}), (200, {}))
    assert w.client.request("GET", "customers/") == {}
    assert w.slept == [waited] and len(w.seen) == 2


def test_429_with_a_date_waits_until_that_date(wire):
    when = email.utils.formatdate(time.time() + 100, usegmt=True)
    w = wire((429, {}, {"Retry-After": when}), (200, {}))
    w.client.request("GET", "customers/")
    assert w.slept == [pytest.approx(100, abs=3)]


def test_retry_after_is_only_read_on_429(wire):
    w = wire((503, {}, {"Retry-After": "7"}), (200, {}))
    w.client.request("GET", "customers/")
    assert w.slept == [0.25]
    w = wire((413, {"detail": "too large"}, {"Retry-After": "7"}))  # not retried for a Retry-After alone
    error = error_of(w.client.request, "GET", "customers/")
    assert type(error) is ApiError and str(error) == "Apicbase answered 413 on /api/v2/customers/: too large"
    assert w.slept == [] and len(w.seen) == 1


def test_by_default_no_wait_goes_past_two_minutes(wire):
    w = wire((429, {}, {"Retry-After": "120"}), (200, {}))
    assert w.client.request("GET", "customers/") == {} and w.slept == [120.0]
    w = wire((429, {"detail": "slow down"}, {"Retry-After": "120.5"}))
    error = error_of(w.client.request, "GET", "customers/", expected=TransientError)
    assert str(error) == "Apicbase did not answer GET /api/v2/customers/ after 1 attempt(s): 429 slow down"
    assert w.slept == [] and len(w.seen) == 1


@pytest.mark.parametrize("failure, message", [((503, {"detail": "busy"}), "503 busy"), (DROP, "connection failed")])
def test_no_retry_starts_that_would_end_past_the_time_budget(wire, failure, message):
    """Waits of 0.25 and 0.5 s fit in 1 s; the third, 1 s, would end past it."""
    w = wire(*[failure] * 5, max_total_seconds=1.0)
    error = error_of(w.client.request, "GET", "customers/", expected=TransientError)
    assert str(error) == f"Apicbase did not answer GET /api/v2/customers/ after 3 attempt(s): {message}"
    assert w.slept == [0.25, 0.5] and len(w.seen) == 3


def test_the_time_budget_counts_from_the_first_attempt_and_spans_a_new_token(wire):
    """With a new token the attempts and the backoff start again, the time budget goes on."""
    w = wire((503, {}), (401, {"detail": "expired"}), *[(503, {"detail": "busy"})] * 4, max_total_seconds=2.0)
    error = error_of(w.client.request, "GET", "customers/", expected=TransientError)
    assert str(error) == "Apicbase did not answer GET /api/v2/customers/ after 4 attempt(s): 503 busy"
    assert w.slept == [0.25, 0.25, 0.5, 1.0] and w.tokens == 2  # at 2 s: 2 s more would end past it
    assert [auth for _method, _path, auth, _body in w.seen] == ["Bearer tok-1"] * 2 + ["Bearer tok-2"] * 4


def test_retries_are_paced_and_counted(wire):
    w = wire((503, {}), (200, {}), requests_per_minute=2)
    w.client.token()                      # t=1000
    assert w.client.request("GET", "a/") == {}   # t=1000: 503; 1000.25: the retry waits for the token call
    assert w.slept == [0.25, pytest.approx(59.76)] and w.client.request_count == 3


def test_a_posted_file_and_a_patch_are_retried_with_the_same_body(wire):
    w = wire((502, {}), (201, {"id": 9}), (503, {}), (200, {"updated": 1}))
    assert w.client.post_assortment_file("CUST-1", b"[1]") == {"id": 9}
    assert w.client.mark_purchase_orders(["a"], fetched=True) == {"updated": 1}
    (post, post_again, patch, patch_again) = w.seen
    assert post == post_again and post[:2] == ("POST", "/api/v2/files/") and b'name="file"' in post[3]
    assert patch == patch_again == ("PATCH", "/api/v2/purchase_orders/", "Bearer tok-1",
                                    b'{"ids": ["a"], "fetched_by_supplier": true}')


def test_a_session_of_the_caller_s_is_used_as_it_is():
    """Retrying is the transport's: a caller's own session gets one attempt, reported the same way."""
    h = Harness(answer(503, {"detail": "down"}), requests.Timeout(), requests.ConnectionError())
    for message in ("503 down", "timed out", "connection failed"):
        error = error_of(h.client.request, "GET", "customers/", expected=TransientError)
        assert str(error) == f"Apicbase did not answer GET /api/v2/customers/ after 1 attempt(s): {message}"
    assert h.slept == [] and len(h.api_calls()) == 3


def test_other_client_errors_are_reported_at_once_with_status_and_path():
    h = Harness(answer(404, {"detail": "Not found."}))
    error = error_of(h.client.request, "GET", "customers/X/packages")
    assert type(error) is ApiError and len(h.api_calls()) == 1
    assert str(error) == "Apicbase answered 404 on /api/v2/customers/X/packages: Not found."
    assert (error.status, error.path) == (404, "/api/v2/customers/X/packages")


def test_a_2xx_that_is_not_json_is_malformed():
    h = Harness(answer(raw=b"<html>proxy</html>"))
    error = error_of(h.client.request, "GET", "customers/", expected=MalformedResponseError)
    assert str(error) == "Apicbase answered /api/v2/customers/ with something that is not JSON."
    assert (error.status, error.path) == (200, "/api/v2/customers/")


# --- Apicbase's own words in errors -----------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    ({"detail": "d", "error_description": "e", "error": "r", "message": "m"}, "d"),
    ({"error_description": "e", "error": "r", "message": "m"}, "e"),
    ({"error": "r", "message": "m"}, "r"),
    ({"message": "m"}, "m"),
    ({"detail": ["not text"], "code": 7}, "detail: ['not text']; code: 7"),
    ({"field": "x" * 400}, "field: " + "x" * 293),
    (["first", "second"], "['first', 'second']"),
    (["x" * 400], "['" + "x" * 298),
])
def test_error_messages_quote_apicbase(body, message):
    h = Harness(answer(400, body))
    error = error_of(h.client.request, "GET", "customers/")
    assert str(error) == f"Apicbase answered 400 on /api/v2/customers/: {message}"


@pytest.mark.parametrize("raw, reason, message", [
    (b"  Bad filter  ", "Bad Request", "Bad filter"),
    (b"y" * 400, "Bad Request", "y" * 300),
    (b"<html><h1>Bad request</h1></html>", "Bad Request", "Bad Request"),
    (b"", "Bad Request", "Bad Request"),
    (b"<html></html>", None, ""),
    (b"", None, ""),
])
def test_error_messages_without_json_quote_the_text_or_the_reason(raw, reason, message):
    h = Harness(answer(400, raw=raw, reason=reason))
    error = error_of(h.client.request, "GET", "customers/")
    assert str(error) == f"Apicbase answered 400 on /api/v2/customers/: {message}"


# --- pacing ------------------------------------------------------------------------------------

def test_pacing_waits_for_the_oldest_call_to_leave_the_minute():
    h = Harness(*[answer(body={})] * 2, requests_per_minute=2)
    h.client.token()                      # t=1000
    h.now += 10
    h.client.request("GET", "a/")         # t=1010
    h.now += 20
    h.client.request("GET", "b/")         # t=1030: the token call leaves the minute at 1060
    assert h.slept == [pytest.approx(30.01)]


def test_a_call_exactly_a_minute_old_has_left_the_window():
    h = Harness(*[answer(body={})] * 2, requests_per_minute=2)
    h.client.token()
    h.client.request("GET", "a/")
    h.now += 60
    h.client.request("GET", "b/")
    assert h.slept == []


def test_pacing_can_be_switched_off():
    h = Harness(*[answer(body={})] * 5, requests_per_minute=0)
    for _ in range(5):
        h.client.request("GET", "a/")
    assert h.slept == []


# --- pagination ---------------------------------------------------------------------------------

def test_page_numbers_keep_the_page_size_and_the_filters():
    h = Harness(page([1], next_page=2), page([2], next_page="3"), page([3], next_page=""))
    assert list(h.client.paginate("customers/", {"shared_id": "S"}, page_size=1)) == [1, 2, 3]
    assert [call["params"] for call in h.api_calls()] == [
        {"shared_id": "S", "page_size": 1}, {"shared_id": "S", "page_size": 1, "page": 2},
        {"shared_id": "S", "page_size": 1, "page": 3}]


def test_a_next_url_keeps_its_query_and_drops_its_fragment():
    h = Harness(page([1], next_page="https://elsewhere.test/api/v2/customers/?page=2#top"), page([2]))
    assert list(h.client.paginate("customers/")) == [1, 2]
    assert [(call["url"], call["params"]) for call in h.api_calls()] == [
        (API + "customers/", {"page_size": 200}), (API + "customers/?page=2", None)]


def test_the_page_count_announced_first_bounds_the_walk():
    """7 items in pages of 2 is 4 pages; 2 more are tolerated, whatever later pages announce."""
    h = Harness(page([1, 2], next_page=2, count=7), *[page([1, 2], next_page=n, count=100) for n in range(3, 30)])
    error = error_of(lambda: list(h.client.paginate("customers/")), expected=MalformedResponseError)
    assert len(h.api_calls()) == 5
    assert str(error) == "Apicbase's pagination of /api/v2/customers/ does not advance."
    assert error.path == "customers/"


def test_a_page_without_a_result_list_is_retried_then_reported():
    h = Harness(*[answer(body={"detail": "Try later"})] * 5)
    error = error_of(lambda: list(h.client.iter_customers()), expected=MalformedResponseError)
    assert str(error) == "Apicbase answered /api/v2/customers/ with a page that has no result list, 5 times."
    assert error.path == "/api/v2/customers/"
    assert [call["method"] for call in h.api_calls()] == ["GET"] * 5
    assert h.slept == [0.25, 0.5, 1.0, 2.0]


def test_test_connection_names_the_customer_list_when_it_has_no_result_list():
    h = Harness(*[answer(body={"detail": "Try later"})] * 5)
    error = error_of(h.client.test_connection, expected=MalformedResponseError)
    assert str(error) == "Apicbase answered /api/v2/customers/ with a page that has no result list, 5 times."


def test_a_page_that_is_not_json_is_retried_like_one_without_results():
    h = Harness(answer(raw=b"<html>proxy error</html>"), page([1]))
    assert list(h.client.iter_customers()) == [1] and h.slept == [0.25]


# --- the calls -----------------------------------------------------------------------------------

def test_an_assortment_file_is_posted_as_a_json_file_for_a_customer():
    h = Harness(answer(201, {"id": 9}), answer(201, {"id": 10}))
    assert h.client.post_assortment_file("CUST-1", b"[]") == {"id": 9}
    h.client.post_assortment_file("CUST-1", b"[]", filename="weekly.json")
    first, second = h.api_calls()
    assert (first["method"], first["url"], first["data"]) == ("POST", API + "files/", {"customer_number": "CUST-1"})
    assert first["files"] == {"file": ("assortment.json", b"[]", "application/json")}
    assert second["files"] == {"file": ("weekly.json", b"[]", "application/json")}


def test_list_filters_are_sent():
    h = Harness(page([]), page([]), page([]))
    list(h.client.iter_files(customer_number="C1"))
    list(h.client.iter_events(event_type="ERROR"))
    list(h.client.iter_packages("C1", shared_id="S"))
    assert [(call["url"], call["params"]) for call in h.api_calls()] == [
        (API + "files/", {"customer_number": "C1", "page_size": 200}),
        (API + "events/", {"event_type": "ERROR", "page_size": 200}),
        (API + "customers/C1/packages", {"shared_id": "S", "page_size": 200})]


def test_ids_are_quoted_whole_in_paths():
    h = Harness(answer(body={"package": {}}))
    h.client.get_package("A/B C", "X/1")
    [call] = h.api_calls()
    assert (call["method"], call["url"]) == ("GET", API + "customers/A%2FB%20C/packages/X%2F1/")


def test_marking_orders_patches_only_the_flags_asked_for():
    assert purchase_orders_patch_body(["a", "b"]) == {"ids": ["a", "b"]}
    assert purchase_orders_patch_body(["a"], viewed=True) == {"ids": ["a"], "viewed_by_supplier": True}
    h = Harness(answer(200, {}), answer(200, {}))
    h.client.mark_purchase_orders(["a"], viewed=True)
    h.client.mark_purchase_orders(["b"])
    assert [(call["method"], call["url"], json.loads(call["data"])) for call in h.api_calls()] == [
        ("PATCH", API + "purchase_orders/", {"ids": ["a"], "viewed_by_supplier": True}),
        ("PATCH", API + "purchase_orders/", {"ids": ["b"]})]


def test_purchase_order_pages_ask_for_a_page_only_past_the_first_and_end_on_an_empty_next():
    moment = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    order = {"id": "a", "ordered_on": "2026-11-01T10:00:01Z"}
    h = Harness(page([order], next_page=""), page([], next_page=None))
    assert list(h.client.purchase_order_pages(moment)) == [(1, [order], False)]
    assert list(h.client.purchase_order_pages(moment, first_page=3)) == [(3, [], False)]
    asked = {"ordered_on__gt": "2026-10-30", "page_size": 200}
    assert [call["params"] for call in h.api_calls()] == [asked, {**asked, "page": 3}]


def test_orders_after_a_moment_exclude_the_moment_itself():
    moment = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    orders = [{"id": "same", "ordered_on": "2026-11-01T10:00:00Z"},
              {"id": "later", "ordered_on": "2026-11-01T10:00:01Z"}]
    h = Harness(page(orders))
    assert [order["id"] for order in h.client.iter_purchase_orders(ordered_after=moment)] == ["later"]


def test_orders_after_a_moment_are_asked_with_the_caller_s_filters_too():
    moment = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    h = Harness(page([]))
    assert list(h.client.iter_purchase_orders(ordered_after=moment, status="ORDERED")) == []
    assert [call["params"] for call in h.api_calls()] == [
        {"status": "ORDERED", "ordered_on__gt": "2026-10-30", "page_size": 200}]


def test_the_date_filter_does_not_depend_on_the_server_s_time_zone(server_in_kiribati):
    tokyo = dt.datetime(2026, 11, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=9)))  # 31 Oct 16:00 UTC
    assert date_filter_value(tokyo) == "2026-10-29"


# --- narrowing lists to a moment -------------------------------------------------------------------

MOMENT = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)


def events(*times):
    return [{"message": f"at {at}", "created_at": f"2026-11-01T{at}:00Z"} for at in times]


def messages(items):
    return [item["message"] for item in items]


def test_orders_are_read_to_the_end_whatever_their_order():
    orders = [{"id": at, "ordered_on": f"2026-11-01T{at}:00Z"} for at in ("10:05", "10:03", "09:00", "10:04")]
    h = Harness(page(orders))
    assert [order["id"] for order in h.client.iter_purchase_orders(ordered_after=MOMENT)] == ["10:05", "10:03", "10:04"]


def test_a_moment_with_an_offset_is_that_instant():
    orders = [{"id": at, "ordered_on": f"2026-11-01T{at}:00Z"} for at in ("08:59", "09:01")]
    h = Harness(page(orders))
    brussels_ten = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # 09:00 UTC
    assert [order["id"] for order in h.client.iter_purchase_orders(ordered_after=brussels_ten)] == ["09:01"]


def test_items_without_a_comparable_time_are_kept_for_the_caller():
    orders = ["not an order", {"id": "no date"}, {"id": "local", "ordered_on": "2026-11-01T09:00:00"},
              {"id": "old", "ordered_on": "2026-11-01T09:00:00Z"}]
    h = Harness(page(orders))
    assert list(h.client.iter_purchase_orders(ordered_after=MOMENT)) == orders[:3]


def test_events_newest_first_stop_at_the_first_older_one_even_after_equal_times():
    h = Harness(page(events("10:05", "10:05", "09:00"), next_page=2), page(events("08:00")))
    assert messages(h.client.iter_events(created_since=MOMENT)) == ["at 10:05", "at 10:05"]
    assert len(h.api_calls()) == 1


def test_events_that_once_went_up_in_time_are_read_to_the_end():
    h = Harness(page(events("10:05", "10:06", "10:03", "09:00", "10:04")))
    assert messages(h.client.iter_events(created_since=MOMENT)) == ["at 10:05", "at 10:06", "at 10:03", "at 10:04"]


def test_equal_times_are_no_proof_of_a_newest_first_order():
    h = Harness(page(events("09:00", "09:00", "10:30")))
    assert messages(h.client.iter_events(created_since=MOMENT)) == ["at 10:30"]


def test_a_proxy_from_the_environment_carries_the_calls(monkeypatch):
    """Behind a company proxy (HTTP_PROXY), every call, the token's too, goes through it."""
    seen = []
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    unreachable = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there: only the proxy can answer
    proxy = LocalServer(lambda request: seen.append(request.path) or (
        200, {"access_token": "via-proxy", "expires_in": 3600}))
    try:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        client = ApicbaseClient(unreachable + "/api/", unreachable + "/oauth/token/", "id", "secret",
                                max_attempts=1, timeout=(2, 5))
        assert client.token() == "via-proxy"
        assert seen == [unreachable + "/oauth/token/"]
    finally:
        proxy.close()
