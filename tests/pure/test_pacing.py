"""Pacing: the arithmetic of the rolling minute, the in-memory pacer, and a pacer of the caller's."""
import collections

import pytest

from apicbase.client import ApicbaseClient
from apicbase.pacing import MARGIN, WINDOW, MemoryPacer, wait_before_next, within_window

from test_client_offline import API, TOKEN_URL, Harness, Wire, answer


def test_the_window_is_apicbase_s_minute_and_the_margin_a_hundredth():
    assert (WINDOW, MARGIN) == (60.0, 0.01)


def test_within_window_keeps_the_last_minute_oldest_first():
    assert within_window([130.0, 70.0, 71.0, 100.0], now=130.0) == [71.0, 100.0, 130.0]
    assert within_window([10.0, 15.0], now=20.0, window=5.0) == [], "exactly a window old has left it"
    assert within_window([], now=0.0) == []


@pytest.mark.parametrize("recent, now, limit, wait", [
    ([], 1000.0, 1, 0.0),
    ([990.0], 1000.0, 2, 0.0),                          # room left: at once
    ([950.0, 990.0], 1000.0, 2, 10.01),                 # full: until the oldest leaves
    ([945.0, 950.0, 990.0], 1000.0, 2, 10.01),          # over the limit (it was lowered): two must leave
    ([945.0, 950.0, 990.0], 1000.0, 1, 50.01),
    ([940.0, 941.0], 1000.0, 2, 0.01),                  # the oldest leaves now: a hundredth more
])
def test_wait_before_next_waits_for_the_request_that_must_leave(recent, now, limit, wait):
    assert wait_before_next(recent, now, limit) == pytest.approx(wait)


def test_wait_before_next_in_another_window():
    assert wait_before_next([8.0, 9.0], now=10.0, limit=2, window=5.0) == pytest.approx(3.01)


class FakeTime:
    def __init__(self, now=1000.0):
        self.now, self.slept = now, []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_the_memory_pacer_counts_and_waits():
    fake = FakeTime()
    pacer = MemoryPacer(clock=fake.clock, sleep=fake.sleep)
    pacer.acquire(2)
    fake.now += 30
    pacer.acquire(2)
    assert (fake.slept, list(pacer.sent)) == ([], [1000.0, 1030.0])
    pacer.acquire(2)                       # at 1030: until 1060.01, when the first has left
    assert fake.slept == [pytest.approx(30.01)]
    assert list(pacer.sent) == [1030.0, pytest.approx(1060.01)]


def test_the_memory_pacer_forgets_what_left_the_minute():
    fake = FakeTime()
    sent = collections.deque([900.0, 939.0, 950.0])
    pacer = MemoryPacer(sent, clock=fake.clock, sleep=fake.sleep)
    pacer.acquire(2)  # 900 and 939 have left (939 is 61 s old): room for one
    assert (fake.slept, list(sent)) == ([], [950.0, 1000.0])


def test_the_memory_pacer_waits_again_when_a_sleep_was_short():
    fake = FakeTime()
    pacer = MemoryPacer(collections.deque([990.0]), clock=fake.clock,
                        sleep=lambda seconds: fake.sleep(seconds / 2))
    pacer.acquire(1)  # each sleep does half the wait: it asks again until the minute has room
    assert fake.slept[:2] == [pytest.approx(25.005), pytest.approx(12.5025)] and len(fake.slept) > 2
    assert 1050.0 <= fake.now < 1050.01 and list(pacer.sent) == [fake.now]


class RecordingPacer:
    def __init__(self):
        self.calls = []

    def acquire(self, requests_per_minute):
        self.calls.append(requests_per_minute)


def test_a_client_asks_its_pacer_before_every_attempt_with_its_limit():
    pacer = RecordingPacer()
    w = Wire((503, {}), (200, {}), pacer=pacer, requests_per_minute=7)
    try:
        assert w.client.request("GET", "a/") == {}
    finally:
        w.close()
    assert pacer.calls == [7, 7, 7], "the token call, the 503 and its retry"
    assert w.client.pacer is pacer and w.slept == [0.25]


def test_a_client_without_a_limit_asks_no_pacer():
    pacer = RecordingPacer()
    h = Harness(answer(body={}), pacer=pacer, requests_per_minute=0)
    h.client.request("GET", "a/")
    assert pacer.calls == [] and h.client.request_count == 2


def test_by_default_each_client_has_a_memory_pacer_of_its_own():
    first, second = (ApicbaseClient(API, TOKEN_URL, "id", "secret") for _ in range(2))
    assert isinstance(first.pacer, MemoryPacer) and first.pacer is not second.pacer
    shared = collections.deque()
    assert ApicbaseClient(API, TOKEN_URL, "id", "secret", sent_log=shared).pacer.sent is shared
