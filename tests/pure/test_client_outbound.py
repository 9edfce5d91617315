"""Where the API client may send the secret and the token, and how much of an answer it reads.

Against local servers: the URL rules need no network (the constructor refuses), the redirects,
the size cap and the time limit are met on real sockets.
"""
import gzip
import time

import pytest

from local_server import LocalServer

from apicbase.client import MAX_RESPONSE_BYTES, ApiError, ApicbaseClient, TransientError, url_problem

TOKEN = {"access_token": "tok-1", "expires_in": 3600}


@pytest.fixture
def servers():
    made = []
    yield lambda answer: made.append(LocalServer(answer)) or made[-1]
    for server in made:
        server.close()


def recorder(seen, reply=(200, {"count": 0, "next": None, "results": []})):
    """An answer recording each request as (method, path, headers, body), then answering ``reply``."""
    def answer(request):
        seen.append((request.command, request.path, dict(request.headers), request.body))
        return reply
    return answer


def client_of(server, **options):
    return ApicbaseClient(server.url + "/api/", server.url + "/oauth/token/", "client-id", "client-secret",
                          **options)


def api(answer_api):
    """An answer giving a token at /oauth/token/ and ``answer_api(request)`` elsewhere."""
    return lambda request: (200, TOKEN) if request.path == "/oauth/token/" else answer_api(request)


# --- which URLs ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://api.apicbase.com/api/v2/integrations/suppliers/", "https://api.apicbase.com:8443/oauth/token/",
    "HTTPS://API.APICBASE.COM/x/", "http://127.0.0.1:8090/api/", "http://127.3.4.5/api/", "http://localhost/x",
    "http://LocalHost:8069/x", "http://[::1]:8090/api/",
])
def test_https_urls_and_plain_http_to_this_machine_are_accepted(url):
    assert url_problem(url) is None
    assert ApicbaseClient(url, url, "id", "secret").token_url == url


@pytest.mark.parametrize("url, problem", [
    ("http://api.apicbase.com/api/v2/", "must use https:// (plain http:// only to this machine: localhost, "
                                        "127.0.0.1 or [::1])"),
    ("http://10.0.0.1/api/", "must use https://"), ("http://128.0.0.1/api/", "must use https://"),
    ("http://localhost.example.com/", "must use https://"), ("http://127.0.0.1.nip.io/", "must use https://"),
    ("http://[::2]/", "must use https://"), ("http://0x7f.1/", "must use https://"),
    ("ftp://api.apicbase.com/", "must start with https://"), ("api.apicbase.com/api/", "must start with https://"),
    ("/api/v2/", "must start with https://"), ("file:///etc/passwd", "must start with https://"),
    ("https:///api/", "has no host"), ("https://:443/api/", "has no host"),
    ("https://user:hunter2@api.apicbase.com/", "must not carry a user name or password"),
    ("https://user@api.apicbase.com/", "must not carry a user name or password"),
    ("http://user:hunter2@127.0.0.1/", "must not carry a user name or password"),
    ("https://api.apicbase.com:port/", "is not a valid URL"), ("https://[::1/", "is not a valid URL"),
    ("https://api.apicbase.com:99999/", "is not a valid URL"),
])
def test_other_urls_are_refused_by_the_constructor_with_a_clear_error(url, problem):
    assert url_problem(url).startswith(problem)
    for api_url, token_url, name in ((url, "https://a/t/", "API URL"), ("https://a/api/", url, "token URL")):
        with pytest.raises(ApiError) as info:
            ApicbaseClient(api_url, token_url, "id", "secret")
        assert str(info.value).startswith(f"The Apicbase {name} {problem}")
        assert "hunter2" not in str(info.value) and url not in str(info.value)


@pytest.mark.parametrize("url", [" https://a/", "https://a/ ", "https://a b/", "https://a/\n", "https://a\x00/",
                                 "https://a/\u200b"])
def test_a_url_with_spaces_or_control_characters_is_refused(url):
    assert url_problem(url) == "must not contain spaces or control characters"


@pytest.mark.parametrize("url", [None, 42, b"https://a/"])
def test_a_url_that_is_not_text_is_not_a_valid_url(url):
    assert url_problem(url) == "is not a valid URL"


# --- redirects ----------------------------------------------------------------------------------

def test_a_redirect_to_another_host_is_not_followed_and_the_token_stays_home(servers):
    elsewhere = []
    other = servers(recorder(elsewhere))
    apicbase = servers(api(lambda request: (302, None, {"Location": other.url + "/api/customers/?page=2"})))
    with pytest.raises(ApiError) as info:
        client_of(apicbase).request("GET", "customers/")
    assert str(info.value) == (f"Apicbase answered GET /api/customers/ with a redirect (302) to {other.url}"
                               "/api/customers/, which is not followed: check the Apicbase API and token URLs.")
    assert (info.value.status, info.value.path) == (302, "/api/customers/")
    assert not isinstance(info.value, TransientError)
    assert elsewhere == []


@pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308])
def test_a_redirected_token_request_never_takes_the_secret_elsewhere(servers, status):
    elsewhere = []
    other = servers(recorder(elsewhere, (200, TOKEN)))
    apicbase = servers(lambda request: (status, None, {"Location": other.url + "/oauth/token/"}))
    with pytest.raises(ApiError, match=rf"^Apicbase answered POST /oauth/token/ with a redirect \({status}\) "
                                       rf"to {other.url}/oauth/token/, which is not followed"):
        client_of(apicbase).test_connection()
    assert elsewhere == []


def test_a_redirect_on_the_same_host_is_not_followed_either(servers):
    seen = []

    def answer(request):
        seen.append(request.path)
        return (301, None, {"Location": "/api/v3/customers/"}) if request.path.startswith("/api/customers") \
            else (200, {"count": 0, "next": None, "results": []})

    apicbase = servers(api(answer))
    with pytest.raises(ApiError, match=r"with a redirect \(301\) to http://127\.0\.0\.1:\d+/api/v3/customers/,"):
        client_of(apicbase).request("GET", "customers/")
    assert seen == ["/api/customers/"]


def test_a_redirect_without_a_location_says_so(servers):
    apicbase = servers(api(lambda request: (302, None)))
    with pytest.raises(ApiError, match=r"^Apicbase answered GET /api/customers/ with a redirect \(302\), which is"):
        client_of(apicbase).request("GET", "customers/")


def test_a_redirect_target_is_named_without_its_user_or_query(servers):
    apicbase = servers(api(lambda request: (302, None, {"Location": "https://me:hunter2@evil.example/x?token=t"})))
    with pytest.raises(ApiError) as info:
        client_of(apicbase).request("GET", "customers/")
    assert "to https://evil.example/x, which" in str(info.value)
    assert "hunter2" not in str(info.value) and "token=" not in str(info.value)


def test_a_redirect_to_a_url_that_cannot_be_read_is_named_as_it_is(servers):
    apicbase = servers(api(lambda request: (302, None, {"Location": "http://[::1]:port/x"})))
    with pytest.raises(ApiError, match=r"with a redirect \(302\) to http://\[::1\]:port/x, which is not followed"):
        client_of(apicbase).request("GET", "customers/")


def test_a_call_to_a_url_on_another_host_is_refused_before_it_is_sent(servers):
    elsewhere, seen = [], []
    other = servers(recorder(elsewhere))
    apicbase = servers(api(recorder(seen)))
    client = client_of(apicbase)
    for url in (other.url + "/api/customers/", "https://evil.example/api/", apicbase.url.replace("http:", "https:")
                + "/api/customers/", "//evil.example/api/"):
        with pytest.raises(ApiError, match=r"is not on the Apicbase API host: the token is sent there only\.$"):
            client.request("GET", url)
    assert elsewhere == [] and seen == []
    assert client.request("GET", apicbase.url + "/api/customers/")["results"] == []  # our own, absolute


# --- how much ----------------------------------------------------------------------------------

def endless(chunk=b"x" * 65536, pause=0.0, seconds=8.0):
    """``chunk`` again and again, ``pause`` seconds apart: endless to a client that stops reading in
    time, and over after ``seconds`` or twice the cap, so that a client that does not fails its
    test instead of hanging it."""
    ends, sent = time.monotonic() + seconds, 0
    while time.monotonic() < ends and sent <= 2 * MAX_RESPONSE_BYTES:
        yield chunk
        sent += len(chunk)
        time.sleep(pause)


def test_an_endless_answer_is_cut_at_the_cap_with_a_clear_error(servers):
    apicbase = servers(api(lambda request: (200, endless(), {"Content-Type": "application/json"})))
    started = time.monotonic()
    with pytest.raises(ApiError) as info:
        client_of(apicbase).request("GET", "customers/")
    assert str(info.value) == (f"Apicbase's answer to GET /api/customers/ is larger than {MAX_RESPONSE_BYTES:,} "
                               "bytes: it was not read.")
    assert (info.value.status, info.value.path) == (200, "/api/customers/")
    assert not isinstance(info.value, TransientError)  # asking again would not make it smaller
    assert time.monotonic() - started < 30


def test_the_default_cap_takes_a_few_megabytes_of_purchase_orders(servers):
    line = {"supplier_article_number": "ART-00001", "article_name": "Sparkling water 6 x 33 cl",
            "quantity_ordered": "12.000", "theoretical_price_per_package": "4.125", "remarks": "x" * 100}
    order = {"id": "po-1", "order_number": "PO-2026-0001", "remarks": "Back door", "order_lines": [line] * 50}
    page = {"count": 200, "next": None, "results": [order] * 200}
    apicbase = servers(api(lambda request: (200, page)))
    assert len(client_of(apicbase).request("GET", "purchase_orders/")["results"]) == 200
    assert 2 * 1024 * 1024 < len(str(page)) < MAX_RESPONSE_BYTES / 4


def test_an_announced_length_over_the_cap_is_refused_before_reading(servers):
    apicbase = servers(api(lambda request: (200, endless(pause=1.0), {"Content-Length": str(10 ** 12)})))
    started = time.monotonic()
    with pytest.raises(ApiError, match=r"is larger than 1,000 bytes: it was not read\.$"):
        client_of(apicbase, max_response_bytes=1000).request("GET", "customers/")
    assert time.monotonic() - started < 0.9  # the first chunk came, the second would have taken a second


@pytest.mark.parametrize("length", [True, False], ids=["with a length", "until closed"])
def test_an_answer_of_exactly_the_cap_is_read_and_one_byte_more_is_not(servers, length):
    body = b'{"count": 1, "next": null, "results": ["' + b"x" * 100 + b'"]}'  # longer than the token's
    headers = {"Content-Length": str(len(body))} if length else {}
    apicbase = servers(api(lambda request: (200, iter([body]), headers)))
    assert client_of(apicbase, max_response_bytes=len(body)).request("GET", "customers/")["results"] == ["x" * 100]
    with pytest.raises(ApiError, match=rf"is larger than {len(body) - 1} bytes: it was not read\.$"):
        client_of(apicbase, max_response_bytes=len(body) - 1).request("GET", "customers/")


def test_an_answer_without_a_length_is_refused_once_it_passes_the_cap_not_when_it_ends(servers):
    apicbase = servers(api(lambda request: (200, endless(pause=4.0, seconds=8.0))))
    started = time.monotonic()
    with pytest.raises(ApiError, match=r"is larger than 1,000 bytes: it was not read\.$"):
        client_of(apicbase, max_response_bytes=1000).request("GET", "customers/")
    # The first chunk came at once, the second would have taken 4 s: the margin is a loaded machine's.
    assert time.monotonic() - started < 3.0


def test_an_answer_is_capped_as_it_unfolds_not_as_it_travels(servers):
    bomb = gzip.compress(b"0" * (2 * 1024 * 1024))  # 2 MiB of zeros in about 2 KiB
    apicbase = servers(api(lambda request: (200, iter([bomb]), {"Content-Encoding": "gzip",
                                                                "Content-Length": str(len(bomb))})))
    with pytest.raises(ApiError, match=r"is larger than 1,048,576 bytes"):
        client_of(apicbase, max_response_bytes=1024 * 1024).request("GET", "customers/")


def test_an_error_answer_is_capped_too(servers):
    apicbase = servers(api(lambda request: (400, endless(b'{"detail": "' + b"x" * 4096))))
    with pytest.raises(ApiError, match=r"^Apicbase's answer to GET /api/customers/ is larger than 10,000 bytes"):
        client_of(apicbase, max_response_bytes=10_000).request("GET", "customers/")


def test_a_retried_answer_that_never_ends_is_dropped_not_drained(servers):
    answers = iter([(503, endless()), (503, endless(pause=1.0)), (200, {"count": 0, "next": None, "results": []})])
    apicbase = servers(api(lambda request: next(answers)))
    started = time.monotonic()
    client = client_of(apicbase, backoff_base=0.01, timeout=(2, 5))
    assert client.request("GET", "customers/")["results"] == []
    assert time.monotonic() - started < 4


# --- how long ------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{"Content-Length": str(10 ** 6)}, {}], ids=["with a length", "until closed"])
def test_an_answer_dripping_a_byte_at_a_time_ends_at_the_time_budget(servers, headers):
    apicbase = servers(api(lambda request: (200, endless(b" ", pause=0.1), headers)))
    started = time.monotonic()
    with pytest.raises(TransientError) as info:
        # Each byte comes well within the read timeout (1 s): only the total time can stop it.
        client_of(apicbase, timeout=(2, 1), max_total_seconds=2.0).request("GET", "customers/")
    took = time.monotonic() - started
    assert 1.9 < took < 3.5
    assert str(info.value) == ("Apicbase did not answer GET /api/customers/ after 1 attempt(s): its answer was "
                               "still coming after 2 s")
    assert (info.value.status, info.value.path) == (200, "/api/customers/")


def test_without_a_read_timeout_an_answer_must_come_within_the_time_budget(servers):
    def slow_body():
        yield b'{"count": 0, '
        time.sleep(0.6)
        yield b'"next": null, "results": []}'

    apicbase = servers(api(lambda request: (200, slow_body())))
    with pytest.raises(TransientError, match=r"its answer was still coming after 0\.2 s$"):  # not read whole
        client_of(apicbase, timeout=(2, None), max_total_seconds=0.2).request("GET", "customers/")


def test_an_answer_that_breaks_off_is_a_transient_error(servers):
    # A chunk cut short: urllib3 1.26 (Odoo's) takes a body shorter than its Content-Length as whole.
    cut = iter([b'40\r\n{"count": 0, '])
    apicbase = servers(api(lambda request: (200, cut, {"Transfer-Encoding": "chunked"})))
    with pytest.raises(TransientError, match=r"^Apicbase did not answer GET /api/customers/ after 1 attempt\(s\): "
                                             r"the connection broke off in its answer$"):
        client_of(apicbase).request("GET", "customers/")
