"""Switchable faults (failures, throttling, delays, garbled pages, dropped connections): one
queue, consumed a request at a time; a mixin of :class:`~apicbase_simulator.server.Simulator`."""
import time
from dataclasses import dataclass, field

from .common import Dropped, json_response, text_response, throttled


@dataclass
class Fault:
    kind: str
    remaining: int
    scope: str = "api"
    method: str = None  # only requests of this method take it; others pass it by
    params: dict = field(default_factory=dict)


class Faults:
    def _queue_fault(self, fault_kind, n, scope, method=None, **params):
        if scope not in ("api", "all"):
            raise ValueError("scope is 'api' or 'all'")
        with self.lock:
            self._faults.append(Fault(fault_kind, int(n), scope, method, params))

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
            return Dropped()
        if fault.kind == "rate_limit":
            return throttled(params["retry_after"])
        if fault.kind == "fail":
            body = params["body"]
            if isinstance(body, (dict, list)):
                return json_response(params["status"], body)
            return text_response(params["status"], str(body))
        if params["kind"] == "html":
            return text_response(200, "<!DOCTYPE html><html><head><title>Maintenance</title>"
                                      "</head><body><h1>We'll be back soon</h1></body></html>",
                                 "text/html; charset=utf-8")
        if params["kind"] == "json":
            return json_response(200, {"status": "ok", "data": None})
        return text_response(200, '{"count": 3, "next": null, "results": [{"id": ',
                             "application/json")
