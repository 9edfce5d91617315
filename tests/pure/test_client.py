"""The API client against the local Apicbase simulator: real HTTP, real pagination and faults."""
import collections
import datetime as dt
import json
import socket
import time
from decimal import Decimal

import pytest
import requests
import requests.adapters

from apicbase import assortment
from apicbase.client import (ApiError, ApicbaseClient, AuthenticationError, TransientError,
                             date_filter_value, purchase_orders_patch_body)
import apicbase_simulator
from local_server import LocalServer
from apicbase_simulator import API_PREFIX, Simulator


@pytest.fixture
def sim():
    with Simulator(processing_delay=0.01, rate_limit=None) as simulator:
        yield simulator


def make_client(sim, **kwargs):
    options = {"backoff_base": 0.01, "backoff_max": 0.05, "max_total_seconds": 10, "timeout": (2, 2)}
    options.update(kwargs)
    return ApicbaseClient(sim.api_url, sim.token_url, sim.client_id, sim.client_secret, **options)


def api_calls(sim, path_part):
    return [entry for entry in sim.requests_log if path_part in entry["path"]]


def test_token_is_fetched_once_and_cached(sim):
    client = make_client(sim)
    assert len(list(client.iter_customers())) == 3
    assert len(list(client.iter_customers())) == 3
    assert len(api_calls(sim, "/oauth/token")) == 1


def test_token_is_renewed_before_it_expires():
    with Simulator(token_ttl=2, rate_limit=None) as sim:
        clock = [1000.0]
        client = make_client(sim, clock=lambda: clock[0])
        list(client.iter_customers())
        clock[0] += 1.9  # inside the renewal margin of a 2 s token
        list(client.iter_customers())
        assert len(api_calls(sim, "/oauth/token")) == 2


def test_expired_token_is_replaced_once_on_401(sim):
    client = make_client(sim)
    list(client.iter_customers())
    sim.expire_tokens()
    assert len(list(client.iter_customers())) == 3
    assert len(api_calls(sim, "/oauth/token")) == 2


def test_bad_credentials_are_reported_without_the_secret(sim):
    client = ApicbaseClient(sim.api_url, sim.token_url, sim.client_id, "wrong-secret-value",
                            backoff_base=0.01)
    with pytest.raises(AuthenticationError) as info:
        list(client.iter_customers())
    assert info.value.status == 401
    assert "wrong-secret-value" not in str(info.value)
    assert "wrong-secret-value" not in repr(client)


def test_json_token_encoding_can_be_chosen(sim):
    client = make_client(sim, token_encoding="json")
    assert client.token()


@pytest.mark.parametrize("next_style", ["url", "page"])
def test_pagination_follows_next_in_both_styles(next_style):
    with Simulator(next_style=next_style, rate_limit=None) as sim:
        for index in range(25):
            sim.add_customer(f"EXTRA-{index:02d}")
        client = make_client(sim)
        numbers = [item["customer_number"] for item in client.paginate("customers/", page_size=10)]
        assert len(numbers) == 28 and len(set(numbers)) == 28
        assert len(api_calls(sim, "/customers")) == 3


def test_package_filters_and_detail(sim):
    client = make_client(sim)
    packages = list(client.iter_packages("CUST-1"))
    assert {"POT-1KG", "COLA-4X6X33", "BEEF-KG"} <= {item["package"]["third_party_id"] for item in packages}
    orderable = list(client.iter_packages("CUST-1", package_is_orderable="false"))
    assert orderable and all(item["package"]["orderable"] is False for item in orderable)
    named = list(client.iter_packages("CUST-1", article_name="cola"))
    assert [item["package"]["third_party_id"] for item in named] == ["COLA-4X6X33"]
    detail = client.get_package("CUST-1", "BEEF-KG")
    assert detail["package"]["price_type_code"] == 1
    with pytest.raises(ApiError) as info:
        client.get_package("CUST-1", "NOPE")
    assert info.value.status == 404


def test_unknown_customer_is_a_404_not_retried(sim):
    client = make_client(sim)
    with pytest.raises(ApiError) as info:
        list(client.iter_packages("NOBODY"))
    assert info.value.status == 404 and not isinstance(info.value, TransientError)
    assert len(api_calls(sim, "/customers/NOBODY")) == 1


@pytest.mark.parametrize("fault", ["fail", "drop", "malformed"])
def test_transient_faults_are_retried(sim, fault):
    client = make_client(sim)
    client.token()
    {"fail": lambda: sim.fail_next(2, status=503), "drop": lambda: sim.drop_next(2),
     "malformed": lambda: sim.malformed_next(2)}[fault]()
    assert len(list(client.iter_customers())) == 3


def test_an_upload_and_a_patch_that_fail_are_sent_again(sim):
    """Every method is retried, POST and PATCH too: the server had not acted on the failed attempt."""
    client = make_client(sim)
    packages, _rejected = assortment.build_assortment(
        [assortment.Article("RICE-5KG", "Rice 5 kg", price=Decimal("7.5"), content_label="5 kg")])
    sim.fail_next(1, status=503, method="POST")
    assert client.post_assortment_file("CUST-3", assortment.dumps(packages))["customer_number"] == "CUST-3"
    sim.fail_next(1, status=502, method="PATCH")
    assert client.mark_purchase_orders(["po-1002"], viewed=True) == {"updated": 1}
    assert [(entry["method"], entry["status"]) for entry in api_calls(sim, API_PREFIX)] == [
        ("POST", 503), ("POST", 201), ("PATCH", 502), ("PATCH", 200)]
    assert len([entry for entry in client.iter_files() if entry["customer_number"] == "CUST-3"]) == 1


def test_429_honours_retry_after(sim):
    slept = []
    client = make_client(sim, sleep=lambda seconds: (slept.append(seconds), time.sleep(min(seconds, 0.05))))
    client.token()
    sim.rate_limit_next(1, retry_after=3)
    assert len(list(client.iter_customers())) == 3
    assert 3.0 in slept


def test_slow_answers_time_out_and_are_retried(sim):
    client = make_client(sim, timeout=(1, 0.3))
    client.token()
    sim.slow_next(1, seconds=1.0)
    assert len(list(client.iter_customers())) == 3


def test_session_sees_a_plain_read_timeout_and_the_transport_both(sim, monkeypatch):
    """Wrappers of Session.send (Odoo's test harness compares the timeout with a number) get a
    number; the adapter below still applies the connect and the read timeout."""
    seen = {}
    plain_send = requests.Session.send
    adapter_send = requests.adapters.HTTPAdapter.send

    def harness_send(session, prepared, **kwargs):
        seen["session"] = kwargs.get("timeout")
        kwargs["timeout"] < 10  # noqa: B015 - Odoo's harness does this; a tuple raises TypeError
        return plain_send(session, prepared, **kwargs)

    def transport_send(adapter, prepared, **kwargs):
        seen["transport"] = kwargs.get("timeout")
        return adapter_send(adapter, prepared, **kwargs)

    monkeypatch.setattr(requests.Session, "send", harness_send)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", transport_send)
    client = make_client(sim, timeout=(3, 17))
    assert len(list(client.iter_customers())) == 3
    assert seen["session"] == 17
    assert (seen["transport"].connect_timeout, seen["transport"].read_timeout) == (3, 17)


def test_connect_timeout_applies_when_the_host_does_not_accept():
    """A listener whose queue is full never completes the handshake: the short connect timeout
    ends the attempt, not the long read timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(8):  # fill the accept queue; further handshakes hang
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = ApicbaseClient(url + "/api/", url + "/token/", "id", "secret", timeout=(0.3, 60),
                                max_attempts=1)
        started = time.monotonic()
        with pytest.raises(TransientError, match="timed out|connection failed"):
            client.token()
        assert time.monotonic() - started < 30  # far below the 60 s read timeout
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_persistent_failure_is_reported_with_status_and_message(sim):
    client = make_client(sim, max_attempts=3)
    client.token()
    sim.fail_next(10, status=500, body="Internal Server Error")
    with pytest.raises(TransientError) as info:
        list(client.iter_customers())
    assert info.value.status == 500
    assert "Internal Server Error" in str(info.value) and "3 attempt" in str(info.value)
    assert sim.client_secret not in str(info.value) and client.token() not in str(info.value)


def test_retries_are_bounded_in_total_time(sim):
    client = make_client(sim, max_attempts=50, backoff_base=0.2, backoff_max=0.2, max_total_seconds=0.5)
    client.token()
    sim.fail_next(100, status=502)
    started = time.monotonic()
    with pytest.raises(TransientError):
        list(client.iter_customers())
    assert time.monotonic() - started < 2


def test_other_client_errors_are_not_retried(sim):
    client = make_client(sim)
    client.token()
    sim.fail_next(1, status=400, body='{"detail": "bad filter"}')
    with pytest.raises(ApiError) as info:
        list(client.iter_customers())
    assert info.value.status == 400 and "bad filter" in str(info.value)
    assert len(api_calls(sim, "/customers")) == 1


def test_client_paces_itself_under_the_rate_limit():
    with Simulator(rate_limit=None) as sim:
        clock = [0.0]
        slept = []

        def fake_sleep(seconds):
            slept.append(seconds)
            clock[0] += seconds

        client = make_client(sim, requests_per_minute=4, clock=lambda: clock[0], sleep=fake_sleep)
        for _ in range(6):
            client.request("GET", "customers/")
        # token + 6 calls at 4 a minute: one wait for the oldest call to leave the window
        assert slept == [pytest.approx(60.01, abs=0.1)]


def test_clients_sharing_a_sent_log_are_paced_as_one():
    """The scheduled actions make a client per batch: given the same log, the second client waits
    for the minute the first one filled."""
    with Simulator(rate_limit=None) as sim:
        clock, slept, sent_log = [0.0], [], collections.deque()

        def fake_sleep(seconds):
            slept.append(seconds)
            clock[0] += seconds

        def client():
            return make_client(sim, requests_per_minute=4, sent_log=sent_log, clock=lambda: clock[0],
                               sleep=fake_sleep)

        first = client()
        for _ in range(3):
            first.request("GET", "customers/")  # with its token: the minute is full
        assert (slept, len(sent_log)) == ([], 4)
        client().request("GET", "customers/")  # its token request waits for the oldest to leave
        assert slept == [pytest.approx(60.01, abs=0.1)]


def test_by_default_the_client_stays_under_apicbase_s_100_requests_a_minute():
    """90 a minute by default: the 91st call within a minute waits for the oldest to leave."""
    with Simulator(rate_limit=100) as sim:
        clock, slept = [0.0], []

        def fake_sleep(seconds):
            slept.append(seconds)
            clock[0] += seconds

        client = ApicbaseClient(sim.api_url, sim.token_url, sim.client_id, sim.client_secret,
                                clock=lambda: clock[0], sleep=fake_sleep)
        client.token()
        for _ in range(89):
            client.request("GET", "customers/")
        assert slept == [], "the token and 89 calls fit in the minute"
        client.request("GET", "customers/")
        assert slept == [pytest.approx(60.01, abs=0.1)]
        assert not [e for e in sim.requests_log if e["status"] == 429], "Apicbase never had to say stop"


@pytest.mark.parametrize("jitter, expected", [
    (0.0, [0.5, 1.0, 2.0, 2.5]),   # half the ceiling: it doubles per attempt, up to backoff_max
    (1.0, [1.0, 2.0, 4.0, 5.0]),   # the whole ceiling, capped at backoff_max
])
def test_backoff_doubles_with_jitter_between_half_and_the_whole_ceiling(sim, jitter, expected):
    slept = []
    client = make_client(sim, backoff_base=1.0, backoff_max=5.0, max_attempts=5, max_total_seconds=100,
                         sleep=slept.append, jitter=lambda: jitter)
    client.token()
    sim.fail_next(4, status=503)
    assert len(list(client.iter_customers())) == 3
    assert slept == expected


def test_publish_an_assortment_then_read_its_events_and_packages(sim):
    client = make_client(sim)
    articles = [
        assortment.Article("RICE-5KG", "Rice 5 kg", price=Decimal("7.5"),
                           content_label="5 kg", gtin="4006381333931"),
        assortment.Article("WATER-6X1.5L", "Water", price=Decimal("3.2"),
                           content_label="6 x 1.5 l", package_type="pack"),
    ]
    packages, rejected = assortment.build_assortment(articles)
    assert not rejected
    answer = client.post_assortment_file("CUST-2", assortment.dumps(packages))
    assert answer["customer_number"] == "CUST-2"
    sim.wait_until_processed()
    listed = {item["package"]["third_party_id"]: item["package"] for item in client.iter_packages("CUST-2")}
    assert set(listed) == {"RICE-5KG", "WATER-6X1.5L"}
    water = listed["WATER-6X1.5L"]["package_description"]
    assert water == {"quantity": 6, "package": {"quantity": 1500, "unit_name": "cubic_centimeter"}}
    events = list(client.iter_events(customer_number="CUST-2"))
    assert any(event["event_type"] == "INFO" for event in events)
    assert not [event for event in events if event["event_type"] == "ERROR"]


def test_uploaded_files_are_listed(sim):
    client = make_client(sim)
    packages, _rejected = assortment.build_assortment(
        [assortment.Article("RICE-5KG", "Rice 5 kg", price=Decimal("7.5"), content_label="5 kg")])
    answer = client.post_assortment_file("CUST-3", assortment.dumps(packages))
    sim.wait_until_processed()
    files = list(client.iter_files())
    assert [entry["id"] for entry in files if entry["customer_number"] == "CUST-3"] == [answer["id"]]
    assert all("content" not in entry for entry in files)


def test_purchase_orders_and_the_fetched_patch(sim):
    client = make_client(sim)
    ordered = list(client.iter_purchase_orders(status="ORDERED"))
    assert ordered and all(order["status"] == "ORDERED" for order in ordered)
    ids = [order["id"] for order in ordered]
    client.mark_purchase_orders(ids, fetched=True)
    assert not list(client.iter_purchase_orders(status="ORDERED", fetched_by_supplier="false"))


def test_viewed_patch_uses_the_documented_field(sim):
    client = make_client(sim)
    client.mark_purchase_orders(["po-1002"], viewed=True)
    [stamped] = [o for o in sim.purchase_orders if o["id"] == "po-1002"]
    assert stamped["viewed_by_supplier_at"] and not stamped["fetched_by_supplier_at"]
    assert purchase_orders_patch_body(["a"], fetched=True, viewed=True) == {
        "ids": ["a"], "fetched_by_supplier": True, "viewed_by_supplier": True}


def _order_at(sim, order_id, ordered_on):
    template = next(o for o in sim.purchase_orders if o["id"] == "po-1002")
    sim.add_purchase_order(dict(template, id=order_id, order_number=order_id.upper(), ordered_on=ordered_on))


def test_purchase_orders_are_asked_by_date_and_narrowed_to_the_moment(sim):
    """Apicbase refuses a date-time in its date filters; the client sends a date well before the
    moment and keeps exactly the orders after it."""
    for order_id, ordered_on in (("po-a", "2026-11-01T09:59:59Z"), ("po-b", "2026-11-01T10:00:00Z"),
                                 ("po-c", "2026-11-01T10:00:01Z"), ("po-d", "2026-11-02T08:00:00+01:00"),
                                 ("po-e", "2026-10-31T23:00:00Z")):
        _order_at(sim, order_id, ordered_on)
    client = make_client(sim)
    moment = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    found = [o["id"] for o in client.iter_purchase_orders(ordered_after=moment, ordering="ordered_on")]
    assert found == ["po-c", "po-d"]
    [asked] = [e for e in api_calls(sim, "purchase_orders") if e["method"] == "GET"]
    assert asked["status"] == 200 and asked["query"]["ordered_on__gt"] == "2026-10-30"
    # A naive moment is UTC, as Odoo stores it.
    naive = [o["id"] for o in client.iter_purchase_orders(ordered_after=moment.replace(tzinfo=None))]
    assert sorted(naive) == ["po-c", "po-d"]


@pytest.mark.parametrize("next_style", ["url", "page"])
def test_purchase_orders_come_page_by_page_and_a_later_call_goes_on_from_any_page(next_style):
    """A long follow-up stops after a few pages and goes on later: the same filters and page size
    from page n give the pages a single walk would have given from page n."""
    with Simulator(next_style=next_style, rate_limit=None) as sim:
        ordered = [f"2026-11-01T10:00:{second:02d}Z" for second in range(7)]
        for index, ordered_on in enumerate(ordered):
            _order_at(sim, f"po-{index}", ordered_on)
        client = make_client(sim)
        moment = dt.datetime(2026, 11, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
        walk = [(number, [o["id"] for o in orders], more) for number, orders, more in
                client.purchase_order_pages(moment, page_size=2, ordering="ordered_on")]
        assert [more for _n, _o, more in walk] == [True] * (len(walk) - 1) + [False]
        assert [number for number, _o, _m in walk] == list(range(1, len(walk) + 1))
        found = [order_id for _n, orders, _m in walk for order_id in orders]
        assert found == [f"po-{index}" for index in range(1, 7)], "strictly after the moment, in order"
        sim.requests_log.clear()
        later = [(number, [o["id"] for o in orders], more) for number, orders, more in
                 client.purchase_order_pages(moment, first_page=2, page_size=2, ordering="ordered_on")]
        assert later == walk[1:]
        first = [e for e in api_calls(sim, "purchase_orders") if e["method"] == "GET"][0]
        assert first["query"]["page"] == "2" and first["query"]["page_size"] == "2"


def test_date_filter_margin_covers_every_time_zone():
    # The day sent is at least a day and a half before the moment in any zone from -12 to +14.
    for hour in range(24):
        moment = dt.datetime(2026, 11, 1, hour, tzinfo=dt.timezone.utc)
        sent = dt.date.fromisoformat(date_filter_value(moment))
        latest_reading = dt.datetime.combine(sent + dt.timedelta(days=1), dt.time(), dt.timezone.utc) \
            + dt.timedelta(hours=12)  # "after that day", read at midnight in UTC-12
        assert latest_reading <= moment
    tokyo = dt.datetime(2026, 11, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=9)))  # 31 Oct 16:00 UTC
    assert date_filter_value(tokyo) == "2026-10-29"


def test_events_since_a_moment_are_asked_by_date_and_narrowed(sim):
    with sim.lock:
        sim.events[:] = [
            {"message": m, "created_at": at, "event_type": "INFO", "customer_number": None,
             "third_party_id": None, "extra_data": None}
            for m, at in (("old", "2026-11-01T09:00:00Z"), ("same", "2026-11-01T10:00:00Z"),
                          ("new", "2026-11-01T10:00:00.5Z"), ("no date", None))]
    client = make_client(sim)
    moment = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    # The undated event does not pass Apicbase's own date filter; unfiltered, it is read.
    assert sorted(e["message"] for e in client.iter_events(created_since=moment)) == ["new", "same"]
    asked = api_calls(sim, "events")[-1]["query"]
    assert (asked["created_at__gte"], asked["ordering"]) == ("2026-10-30", "-created_at")
    assert len(list(client.iter_events())) == 4


def _events_at(sim, count, start, step):
    with sim.lock:
        sim.events[:] = [{"message": f"e{index}", "created_at": (start + index * step).isoformat(),
                          "event_type": "WARNING", "customer_number": None, "third_party_id": None,
                          "extra_data": None} for index in range(count)]


def test_reading_events_newest_first_stops_past_the_moment(sim):
    """Two days of margin can be thousands of events: only the pages down to the moment are read."""
    start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    _events_at(sim, 1000, start, dt.timedelta(minutes=2))  # 33 hours of warnings
    client = make_client(sim)
    moment = start + dt.timedelta(minutes=2 * 990)
    found = list(client.iter_events(created_since=moment))
    assert sorted(e["message"] for e in found) == [f"e{index}" for index in range(990, 1000)]
    assert len(api_calls(sim, "events")) == 1, "one page of 200 holds the newest ten and the stop"


def test_an_api_that_ignores_the_ordering_is_read_to_the_end(sim, monkeypatch):
    start = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    _events_at(sim, 450, start, dt.timedelta(minutes=1))
    monkeypatch.setitem(apicbase_simulator.EVENT_ORDERING, "created_at", lambda event: 0)  # ordering ignored
    client = make_client(sim)
    moment = start + dt.timedelta(minutes=440)
    found = list(client.iter_events(created_since=moment))
    assert sorted(e["message"] for e in found) == sorted(f"e{index}" for index in range(440, 450))
    assert len(api_calls(sim, "events")) == 3, "every page read: the order could not be trusted"


def test_offset_less_times_are_kept_for_the_caller_to_place(sim):
    """A local time is compared by the caller, who knows the time zone: the client keeps it."""
    _order_at(sim, "po-local", "2026-11-01T09:00:00")
    _order_at(sim, "po-old", "2026-10-31T09:00:00Z")
    client = make_client(sim)
    moment = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    assert "po-local" in {o["id"] for o in client.iter_purchase_orders(ordered_after=moment)}
    assert "po-old" not in {o["id"] for o in client.iter_purchase_orders(ordered_after=moment)}


def test_articles_sharing_an_article_number_are_all_left_out():
    articles = [assortment.Article("DUP-1", "First", Decimal("1"), "1 kg"),
                assortment.Article("DUP-1", "Second", Decimal("2"), "1 kg"),
                assortment.Article("OK-1", "Fine", Decimal("3"), "1 kg")]
    packages, rejected = assortment.build_assortment(articles)
    assert [package["third_party_id"] for package in packages] == ["OK-1"]
    assert rejected == {"DUP-1": [("third_party_id", "DUP-1 is the article number of 2 products")]}


def test_decimals_are_sent_as_exact_numbers():
    body = json.loads(assortment.dumps([{"price": Decimal("19.999")}]))
    assert body == [{"price": 19.999}]


class _CraftedApi:
    """A local server answering crafted pages, for pagination the simulator never sends."""

    def __init__(self, pages):
        self.pages, self.hits = pages, []
        self.server = LocalServer(self.answer)
        self.url = self.server.url

    def answer(self, request):
        if request.command == "POST":  # the token endpoint
            return 200, {"access_token": "tok", "expires_in": "soon"}
        self.hits.append((request.path, request.headers.get("Authorization")))
        return 200, self.pages(request.path, self)

    def client(self):
        return ApicbaseClient(self.url + "/api/", self.url + "/token/", "id", "secret",
                              backoff_base=0.01, max_total_seconds=5)

    def close(self):
        self.server.close()


def test_pagination_that_does_not_advance_ends_with_an_error():
    api = _CraftedApi(lambda path, api: {"count": 99, "next": 2, "results": [{"n": len(api.hits)}]})
    try:
        with pytest.raises(ApiError, match="does not advance"):
            list(api.client().iter_customers())
        assert len(api.hits) == 2
    finally:
        api.close()


def test_next_urls_on_another_host_are_followed_on_ours_and_the_token_stays_home():
    def pages(path, api):
        if "page=2" in path:
            return {"count": 2, "next": None, "results": [{"customer_number": "B"}]}
        return {"count": 2, "next": "http://evil.example:9/api/customers/?page=2&page_size=200",
                "results": [{"customer_number": "A"}]}

    api = _CraftedApi(pages)
    try:
        client = api.client()
        assert [item["customer_number"] for item in client.iter_customers()] == ["A", "B"]
        assert [path for path, _auth in api.hits] == ["/api/customers/?page_size=200",
                                                       "/api/customers/?page=2&page_size=200"]
        assert all(auth == "Bearer tok" for _path, auth in api.hits)
    finally:
        api.close()


def test_relative_next_links_resolve_against_the_page():
    def pages(path, api):
        if "page=2" in path:
            return {"count": 2, "next": None, "results": [{"customer_number": "B"}]}
        return {"count": 2, "next": "?page=2&page_size=200", "results": [{"customer_number": "A"}]}

    api = _CraftedApi(pages)
    try:
        assert [item["customer_number"] for item in api.client().iter_customers()] == ["A", "B"]
        assert api.hits[1][0] == "/api/customers/?page=2&page_size=200"
    finally:
        api.close()


def test_pagination_that_never_ends_is_cut_at_the_announced_count():
    def pages(path, api):
        page = len(api.hits)
        return {"count": 3, "next": page + 1, "results": [{"n": page}]}

    api = _CraftedApi(pages)
    try:
        with pytest.raises(ApiError, match="does not advance"):
            list(api.client().iter_customers())
        assert len(api.hits) == 5  # 3 announced pages + 2 of slack, then it stops
    finally:
        api.close()


def test_unreadable_token_lifetime_is_not_a_crash():
    api = _CraftedApi(lambda path, api: {"count": 0, "next": None, "results": []})
    try:
        assert api.client().token() == "tok"
    finally:
        api.close()
