"""When a request to Apicbase may go: pacing under its per-client limit of requests a minute.

A pacer is any object with ``acquire(requests_per_minute)``: it returns once one more request
may be sent without more than ``requests_per_minute`` in the last rolling minute, and counts that
request as sent. The client calls it before every attempt (:class:`~.client.ApicbaseClient`).
Who shares a pacer shares the budget: :class:`MemoryPacer` counts within one process; the Odoo
layer keeps the count in PostgreSQL, for every worker and server of a database.
"""
import collections
import time

WINDOW = 60.0  # Apicbase counts the requests of a rolling minute
MARGIN = 0.01  # waited beyond the minute: the oldest request has surely left it


def within_window(sent, now, window=WINDOW):
    """The send times of ``sent`` that are still in the minute before ``now``, oldest first."""
    return sorted(moment for moment in sent if now - moment < window)


def wait_before_next(recent, now, limit, window=WINDOW):
    """Seconds to wait before one more request may go (0: it may go now), given ``recent``, the
    send times within the minute before ``now``, oldest first (see :func:`within_window`)."""
    if len(recent) < limit:
        return 0.0
    # The request that must leave the minute for one more to fit in.
    leaving = recent[len(recent) - limit]
    return window - (now - leaving) + MARGIN


class MemoryPacer:
    """The budget of the clients that share this object, in memory: one process's count.

    ``sent``: a deque of send times to share with others (several clients of one API account in
    one process); ``clock`` and ``sleep`` measure and wait (the client's, by default).
    """

    def __init__(self, sent=None, clock=time.monotonic, sleep=time.sleep):
        self.sent = collections.deque() if sent is None else sent
        self._clock, self._sleep = clock, sleep

    def acquire(self, requests_per_minute):
        while True:
            now = self._clock()
            while self.sent and now - self.sent[0] >= WINDOW:
                self.sent.popleft()
            wait = wait_before_next(self.sent, now, requests_per_minute)
            if not wait:
                break
            self._sleep(wait)
        self.sent.append(self._clock())
