"""The HTTP server and request handling: the :class:`Simulator` served by werkzeug, its routes,
OAuth2 token endpoint and bearer tokens, rate limit and request log."""
import collections
import hmac
import math
import secrets
import socket
import threading
import time
import traceback
import urllib.parse

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

from .assortment import AssortmentFiles
from .common import (API_PREFIX, MAX_BODY_BYTES, NOT_AUTHENTICATED, TOKEN_PATH, Dropped,
                     form_fields, json_body, json_response, method_not_allowed, not_found,
                     text_response, throttled)
from .endpoints import Endpoints
from .faults import Faults
from .queries import BadRequest
from .state import DataSet
from .webhook import send_order_webhook, webhook_payload

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")  # others: 501, as http.server answers
# Below API_PREFIX, exactly as documented: every path ends with a slash but the package list.
# An endpoint is its (method, handler name) pairs. An empty customer number is an unknown one.
CUSTOMER = "/customers/<string(minlength=0):customer_number>"
ROUTES = Map([
    Rule("/files/", endpoint=(("GET", "_list_files"), ("POST", "_upload_file"))),
    Rule("/events/", endpoint=(("GET", "_list_events"),)),
    Rule("/customers/", endpoint=(("GET", "_list_customers"),)),
    Rule(f"{CUSTOMER}/packages", endpoint=(("GET", "_list_packages"),)),
    Rule(f"{CUSTOMER}/packages/<third_party_id>/", endpoint=(("GET", "_get_package"),)),
    Rule("/purchase_orders/", endpoint=(("GET", "_list_orders"), ("PATCH", "_patch_orders"))),
], strict_slashes=True, merge_slashes=False).bind("simulator")


SimRequest = Request  # what :meth:`Simulator.handle` answers: werkzeug's request as it is


class _Handler(WSGIRequestHandler):
    server_version = "ApicbaseSimulator/1.0"
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls

    def log(self, type, message, *args):  # noqa: A002 - werkzeug logs every request: not here
        pass


class Simulator(DataSet, Faults, Endpoints, AssortmentFiles):
    """Apicbase's supplier API on 127.0.0.1, with inspectable state and fault injection.

    State attributes are plain dicts and lists; read them under ``with sim.lock:``.
    """

    def __init__(self, client_id="sim-client", client_secret="sim-secret", token_ttl=604800,
                 next_style="page", rate_limit=100, processing_delay=0.05, seed=True,
                 rate_window=60.0, host="127.0.0.1", port=0):
        if next_style not in ("url", "page"):
            raise ValueError("next_style is 'url' or 'page'")
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl = token_ttl
        self.next_style = next_style
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.processing_delay = processing_delay
        self.host = host
        self.port = port
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self.customers = []
        self.packages = {}
        self.events = []
        self.files = []
        self.purchase_orders = []
        # {"method", "path" (decoded), "query", "status", "client_id" (of its bearer token, else
        # None), "at" (time.monotonic() on arrival)} each
        self.requests_log = []
        self.server_errors = []            # tracebacks of simulator bugs (answered with 500)
        self._tokens = {}                  # token -> {"client_id", "expires_at"}
        self._hits = collections.defaultdict(collections.deque)
        self._faults = collections.deque()
        self._timers = []
        self._server = None
        self._thread = None
        if seed:
            self.load_seed()

    def start(self, port=None):
        if self._server is not None:
            return self
        port = self.port if port is None else port
        try:
            self._server = make_server(self.host, port, self._wsgi, threaded=True,
                                       request_handler=_Handler)
        except SystemExit:  # werkzeug 3 says why on stderr and exits: a library call raises
            raise OSError(f"cannot listen on {self.host}:{port}") from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name="apicbase-simulator", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        with self.lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self):
        return self.base_url + TOKEN_PATH

    @property
    def api_url(self):
        return self.base_url + API_PREFIX + "/"

    def send_order_webhook(self, url, order, secret=None, signature_style="raw", timeout=10):
        return send_order_webhook(url, order, self.client_secret if secret is None else secret,
                                  signature_style, timeout)

    def send_ordered(self, url, secret=None, signature_style="raw", timeout=60):
        """POSTs every ORDERED order to ``url``, printing a line for each (the demo and the command
        line report what the receiver answered); returns (sent, failed)."""
        with self.lock:
            orders = [webhook_payload(o) for o in self.purchase_orders if o.get("status") == "ORDERED"]
        failed = 0
        for order in orders:
            try:
                response = self.send_order_webhook(url, order, secret, signature_style, timeout)
                print(f"webhook {order['id']} -> {response.status_code} {' '.join(response.text.split())[:300]}",
                      flush=True)
                failed += not 200 <= response.status_code < 300
            except Exception as exc:  # noqa: BLE001 - a demo sender reports and keeps serving
                print(f"webhook {order['id']} -> failed: {type(exc).__name__}: {exc}", flush=True)
                failed += 1
        return len(orders), failed

    def expire_tokens(self):
        with self.lock:
            for token in self._tokens.values():
                token["expires_at"] = float("-inf")

    def _wsgi(self, environ, start_response):
        request = SimRequest(environ)
        if request.method not in METHODS:
            response = text_response(501, f"Unsupported method ({request.method!r})")
        elif ("chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
              or (request.content_length or 0) > MAX_BODY_BYTES):
            response = json_response(413, {"detail": "Send a Content-Length body under 50 MB."})
        else:
            request.get_data()  # the whole body, read before answering
            response = self.handle(request)
            if isinstance(response, Dropped):  # no answer at all: werkzeug's write then fails
                try:
                    environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return response(environ, start_response)

    def handle(self, request):
        """Answers one :class:`SimRequest` (called by the WSGI application; usable directly in
        unit tests) and logs it."""
        arrived = time.monotonic()
        try:
            response = self._answer(request)
        except Exception:  # noqa: BLE001 - a simulator bug must still answer like a server would
            with self.lock:
                self.server_errors.append(traceback.format_exc())
            response = text_response(500, "Internal Server Error")
        query = {key: values[-1] if len(values) == 1 else values
                 for key, values in request.args.lists()}
        dropped = isinstance(response, Dropped)
        with self.lock:
            self.requests_log.append({"method": request.method, "path": request.path,
                                      "query": query,
                                      "status": None if dropped else response.status_code,
                                      "client_id": getattr(request, "client_id", None), "at": arrived})
        return response

    def busiest_window(self, client_id, window=None):
        """The most requests ``client_id`` sent (answered or refused) within any ``window`` seconds
        (the rate limit's, by default): what Apicbase would have counted at its busiest moment."""
        window = self.rate_window if window is None else window
        with self.lock:
            times = sorted(entry["at"] for entry in self.requests_log if entry["client_id"] == client_id)
        busiest, first = 0, 0
        for last, moment in enumerate(times):
            while moment - times[first] >= window:
                first += 1
            busiest = max(busiest, last - first + 1)
        return busiest

    def _answer(self, request):
        path = request.path  # decoded as Django routes it: %2F is a slash, another segment
        is_api = path == API_PREFIX or path.startswith(API_PREFIX + "/")
        if not is_api and path != TOKEN_PATH:
            return not_found()
        fault = self._take_fault(request, is_api)
        if fault is not None:
            response = self._fault_response(fault)
            if response is not None:
                return response
        if not is_api:
            return self._token(request)
        return self._api(request, path[len(API_PREFIX):] or "/")

    def _api(self, request, path):
        try:
            endpoint, args = ROUTES.match(path)
        except HTTPException:  # not found, or a slash more or less (werkzeug would redirect)
            return not_found()
        handlers = dict(endpoint)
        client_id, refusal = self._authenticate(request)
        request.client_id = client_id  # for the request log
        if refusal is None:
            refusal = self._throttle(client_id)
        if refusal is not None:
            return refusal
        if request.method not in handlers:
            return method_not_allowed(request.method, list(handlers))
        try:
            return getattr(self, handlers[request.method])(request, **args)
        except BadRequest as exc:
            return json_response(400, exc.errors)

    def _token(self, request):
        if request.method != "POST":
            return method_not_allowed(request.method, ["POST"])
        try:
            fields = self._token_fields(request)
        except ValueError:
            return json_response(400, {"error": "invalid_request"})
        if fields.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type"})
        client_id = str(fields.get("client_id") or "")
        secret = str(fields.get("client_secret") or "")
        if not (hmac.compare_digest(client_id.encode(), self.client_id.encode())
                and hmac.compare_digest(secret.encode(), self.client_secret.encode())):
            return json_response(401, {"error": "invalid_client"})
        scope = str(fields.get("scope") or "")
        if scope.split() != ["supplier"]:  # the docs send scope=supplier: asked for, not assumed
            return json_response(400, {"error": "invalid_scope"})
        return json_response(200, self._issue_token(client_id),
                             {"Cache-Control": "no-store", "Pragma": "no-cache"})

    @staticmethod
    def _token_fields(request):
        if request.mimetype == "application/json":
            fields = json_body(request)
            if not isinstance(fields, dict):
                raise ValueError("not an object")
        else:
            fields = form_fields(request)
        basic = request.authorization  # HTTP Basic client authentication (RFC 6749, 2.3.1)
        if basic and basic.type == "basic" and "client_id" not in fields:
            fields["client_id"] = urllib.parse.unquote_plus(basic.username or "")
            fields["client_secret"] = urllib.parse.unquote_plus(basic.password or "")
        return fields

    def _issue_token(self, client_id):
        token = secrets.token_urlsafe(24)
        with self.lock:
            self._tokens[token] = {"client_id": client_id,
                                   "expires_at": time.monotonic() + self.token_ttl}
        return {"access_token": token, "expires_in": int(math.ceil(self.token_ttl)),
                "token_type": "Bearer", "scope": "supplier"}

    def _authenticate(self, request):
        """``(client id, None)`` for a valid bearer token, else ``(None, the 401 answer)``."""
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, self._unauthorized(NOT_AUTHENTICATED)
        with self.lock:
            record = self._tokens.get(token.strip())
        if record is None:
            return None, self._unauthorized(NOT_AUTHENTICATED)
        if time.monotonic() >= record["expires_at"]:
            return None, self._unauthorized("Token is expired")
        return record["client_id"], None

    @staticmethod
    def _unauthorized(detail):
        return json_response(401, {"detail": detail}, {"WWW-Authenticate": 'Bearer realm="api"'})

    def _throttle(self, client_id):
        """None when the client may go on, else the 429 answer (refused requests do not count)."""
        if not self.rate_limit:
            return None
        now = time.monotonic()
        with self.lock:
            hits = self._hits[client_id]
            while hits and hits[0] <= now - self.rate_window:
                hits.popleft()
            if len(hits) < self.rate_limit:
                hits.append(now)
                return None
            wait = max(1, math.ceil(self.rate_window - (now - hits[0])))
        return throttled(wait)
