"""The client's transport: retries and timeouts below ``requests.Session.send``, in urllib3 (1.26
and 2.x alike). What is ours, the backoff, clock, time budget, pacing and messages, the client
brings (:class:`~.client.ApicbaseClient`); this module decides nothing of its own."""
import contextlib

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError, NewConnectionError, TimeoutError as _Timeout
from urllib3.util import Retry, Timeout

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class _Retry(Retry):
    """urllib3's retries (1.26 and 2) on our terms. urllib3 retries network failures and
    ``RETRY_STATUSES`` on every method, POST and PATCH too, and counts the attempts; ``client``
    brings the backoff, the sleep, clock, time budget, pacing, and ``Retry-After`` read its way. A
    status still failing is handed back to it (``raise_on_status=False``), a network failure reported here."""

    def new(self, **kw):
        retry = super().new(**kw)
        retry.client = self.client
        return retry

    def get_retry_after(self, response):
        """Seconds (decimals too) or an HTTP date; None when there is none to read."""
        value = response.headers.get("Retry-After", "")  # pragma: no mutate: names ignore case, junk is None
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
            retry.wait = self.client._backoff(len(retry.history)) if after is None else after
            if self.client._clock() + retry.wait > self.client._deadline:
                raise MaxRetryError(None, url, error)  # pragma: no mutate: caught, never read
        except MaxRetryError:
            if response is not None:
                raise  # urllib3 hands the answer back to the client
            timed_out = isinstance(error, _Timeout) and not isinstance(error, NewConnectionError)
            raise self.client._gave_up(method, url, "timed out" if timed_out else "connection failed") from None
        return retry

    def sleep(self, response=None):
        self.client._sleep(self.wait)
        self.client._pace()


class _ConnectTimeoutAdapter(HTTPAdapter):
    """Retries (:class:`_Retry`) and applies the connect timeout at the transport, below ``Session.send``.

    The session is given the read timeout alone, a plain number: code that wraps
    ``Session.send`` (test harnesses, instrumentation) and compares the timeout with a
    number keeps working, and a dead host still fails after the short connect timeout.
    """

    def __init__(self, connect_timeout, retry):
        super().__init__(max_retries=retry)
        self.connect_timeout = connect_timeout

    def send(self, request, timeout=None, **kwargs):  # pragma: no mutate: requests always passes a timeout
        if timeout is not None and not isinstance(timeout, (tuple, Timeout)):
            timeout = Timeout(connect=self.connect_timeout, read=timeout)
        return super().send(request, timeout=timeout, **kwargs)


def new_session(client):
    """A session whose adapter retries and times out on ``client``'s terms."""
    retry = _Retry(total=client.max_attempts - 1, status_forcelist=RETRY_STATUSES, allowed_methods=None,
                   raise_on_status=False, respect_retry_after_header=False)  # pragma: no mutate: None is False
    retry.client = client
    session, adapter = requests.Session(), _ConnectTimeoutAdapter(client.connect_timeout, retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
