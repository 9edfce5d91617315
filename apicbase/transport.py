"""The client's transport: retries and timeouts below ``requests.Session.send``, in urllib3 (1.26
and 2.x alike). What is ours, the backoff, clock, time budget, pacing and messages, the client
brings as a :class:`RetryPolicy` (:class:`~.client.ApicbaseClient` makes it); this module decides
nothing of its own. It also reads answers (:func:`read_body`) within the client's size and time limits."""
import contextlib
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError, NewConnectionError, TimeoutError as _Timeout
from urllib3.util import Retry, Timeout

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CHUNK_BYTES = 64 * 1024


class ResponseTooLarge(Exception):
    """The answer is larger than the client takes; it was not read further."""


class ResponseTooSlow(Exception):
    """The answer was still coming when the client's time ran out; it was not read further."""


@dataclass(frozen=True)
class RetryPolicy:
    """What the transport asks of its client: all it knows of the client, and all it decides with.

    The deadline is asked for at each retry: it is the current request's, which the client sets
    before sending it. ``before_attempt`` is called before each retry (the client counts and paces
    it there); ``gave_up`` makes the error raised when a network failure outlasts the retries.
    """

    max_attempts: int
    connect_timeout: float
    backoff: Callable[[int], float]  # seconds to wait before the next attempt, given the retries so far
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    deadline: Callable[[], float]  # on the clock's scale
    before_attempt: Callable[[], None]
    gave_up: Callable[[str, str, str], Exception]  # (method, url, what failed)


class _Retry(Retry):
    """urllib3's retries (1.26 and 2) on our terms. urllib3 retries network failures and
    ``RETRY_STATUSES`` on every method, POST and PATCH too, and counts the attempts; ``policy``
    brings the backoff, the sleep, clock, time budget, pacing, and ``Retry-After`` read its way. A
    status still failing is handed back to the client (``raise_on_status=False``), a network failure
    reported here."""

    def new(self, **kw):
        retry = super().new(**kw)
        retry.policy = self.policy
        return retry

    def get_retry_after(self, response):
        """Seconds (decimals too) or an HTTP date; None when there is none to read."""
        value = response.headers.get("Retry-After", "")  # pragma: no mutate
        with contextlib.suppress(ValueError):
            return max(0.0, float(value))
        try:
            return self.parse_retry_after(value)  # an HTTP date
        except InvalidHeader:
            return None

    def increment(self, method=None, url=None, response=None, error=None, *args, **kwargs):
        try:
            # With a total alone, urllib3 counts alike whatever it is given here but the method.
            retry = super().increment(method, url, response, error, *args, **kwargs)  # pragma: no mutate
            after = self.get_retry_after(response) if response is not None and response.status == 429 else None
            retry.wait = self.policy.backoff(len(retry.history)) if after is None else after
            if self.policy.clock() + retry.wait > self.policy.deadline():
                raise MaxRetryError(None, url, error)  # pragma: no mutate
            if response is not None:
                # urllib3 drains an answer it retries, whole and however slowly it comes: an
                # endless 503 would fill the memory. Its connection is dropped instead.
                response.close()
        except MaxRetryError:
            if response is not None:
                raise  # urllib3 hands the answer back to the client
            timed_out = isinstance(error, _Timeout) and not isinstance(error, NewConnectionError)
            raise self.policy.gave_up(method, url, "timed out" if timed_out else "connection failed") from None
        return retry

    def sleep(self, response=None):
        self.policy.sleep(self.wait)
        self.policy.before_attempt()


class _ConnectTimeoutAdapter(HTTPAdapter):
    """Retries (:class:`_Retry`) and applies the connect timeout at the transport, below ``Session.send``.

    The session is given the read timeout alone, a plain number: code that wraps
    ``Session.send`` (test harnesses, instrumentation) and compares the timeout with a
    number keeps working, and a dead host still fails after the short connect timeout.
    """

    def __init__(self, connect_timeout, retry):
        super().__init__(max_retries=retry)
        self.connect_timeout = connect_timeout

    def send(self, request, timeout=None, **kwargs):  # pragma: no mutate
        if timeout is not None and not isinstance(timeout, (tuple, Timeout)):
            timeout = Timeout(connect=self.connect_timeout, read=timeout)
        return super().send(request, timeout=timeout, **kwargs)


def new_session(policy):
    """A session whose adapter retries and times out on the terms of ``policy`` (a :class:`RetryPolicy`)."""
    retry = _Retry(total=policy.max_attempts - 1, status_forcelist=RETRY_STATUSES, allowed_methods=None,
                   raise_on_status=False, respect_retry_after_header=False)  # pragma: no mutate
    retry.policy = policy
    session, adapter = requests.Session(), _ConnectTimeoutAdapter(policy.connect_timeout, retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def read_body(response, max_bytes, seconds):
    """Reads a streamed ``response``'s body into it (``response.content`` then holds it).

    Raises :class:`ResponseTooLarge` past ``max_bytes`` (decoded: a compressed answer counts as
    it unfolds) and :class:`ResponseTooSlow` when the body is still coming after ``seconds``; the
    connection is then dropped. A read error of the connection is raised as requests raises it.
    """
    declared = response.headers.get("Content-Length", "")  # pragma: no mutate
    try:
        if declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge
        chunks, size = [], 0
        with _shut_down_after(response, seconds) as shut_down:
            try:
                for chunk in response.iter_content(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ResponseTooLarge
                    chunks.append(chunk)
            except requests.RequestException:
                if shut_down.is_set():
                    raise ResponseTooSlow from None
                raise
        if shut_down.is_set():  # a body without a length looks whole when its connection ends
            raise ResponseTooSlow
    except BaseException:
        response.close()
        raise
    response._content = b"".join(chunks)  # what requests itself keeps; .json() and .text read it


@contextlib.contextmanager
def _shut_down_after(response, seconds):
    """Shuts ``response``'s connection down after ``seconds`` while the block runs; yields an Event
    set when it did.

    A server sending a byte now and then never trips the read timeout, which bounds each wait for
    data, not the whole body: only closing the connection from outside stops that read. The
    socket is a duplicate of the response's, so that it cannot be another connection's by the
    time the timer fires. A response without a socket (a caller's session that read it already)
    is read as it is.
    """
    shut_down, connection = threading.Event(), _socket_copy(response)
    if connection is None:
        yield shut_down
        return

    def shut_down_now():
        shut_down.set()
        with contextlib.suppress(OSError):  # already closed by the other end
            connection.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, seconds), shut_down_now)
    timer.daemon = True
    timer.start()
    try:
        yield shut_down
    finally:
        timer.cancel()
        timer.join()
        connection.close()


def _socket_copy(response):
    """A duplicate of the socket ``response`` is read from; None when it has none."""
    try:
        descriptor = os.dup(response.raw.fileno())
    except (AttributeError, OSError, ValueError):  # no raw, no file, or already closed
        return None
    try:
        return socket.socket(fileno=descriptor)
    except OSError:  # a file, not a socket
        os.close(descriptor)
        return None
