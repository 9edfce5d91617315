"""The webhook's body, read by our own code from the WSGI input with our limit, before Odoo reads it.

Odoo reads a request body with its own limit (128 MiB), and the werkzeug Odoo 18 ships applies no
limit at all to a chunked body (no Content-Length): by the time a route runs, Odoo may already have
read such a body into memory (a form-encoded one is parsed before the route is called). A limit set
in the route comes too late. So for the webhook's path only, Odoo's WSGI entry point first reads at
most MAX_BODY_BYTES + 1 bytes itself, and what Odoo then reads is that body from memory; a larger
body is read no further and Odoo sees an empty one, marked too large (the route answers 413, and
werkzeug's server closes the connection, leaving the rest unread). A WSGI entry point is the same
on Odoo 18 and 19: ``odoo.http.Application.__call__``, whatever the server (threaded, prefork).
"""
import functools
import io
import logging

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wsgi import get_content_length, get_input_stream

from odoo import http

from ..const import MAX_BODY_BYTES, WEBHOOK_ROUTE

_logger = logging.getLogger(__name__)

# What the route finds in the request's environ (Odoo keeps keys outside wsgi.* and werkzeug.*).
BODY = "apicbase_connector.body"  # the body read, as bytes
BODY_PROBLEM = "apicbase_connector.body_problem"  # TOO_LARGE or UNREADABLE, when there is no body
TOO_LARGE = "too large"
UNREADABLE = "unreadable"
_READ_SIZE = 64 * 1024


def read_limited(stream, limit):
    """The bytes of ``stream`` up to its end, or None when it holds more than ``limit``: then no more
    than ``limit`` + 1 bytes were read, and memory held no more than that."""
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(min(_READ_SIZE, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)


def is_webhook_request(environ):
    return environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").startswith(WEBHOOK_ROUTE)


def read_webhook_body(environ):
    """Reads a webhook request's body into ``environ`` (BODY, or BODY_PROBLEM) and gives Odoo that
    body from memory in place of the connection's input, so that nothing reads the connection after
    us; every other request is left alone."""
    if not is_webhook_request(environ):
        return
    body, problem = None, None
    announced = get_content_length(environ)  # None when chunked
    if announced is not None and announced > MAX_BODY_BYTES:
        problem = TOO_LARGE  # said so before a byte was sent: none is read
    else:
        try:
            # A chunked body only when the server dechunks it (wsgi.input_terminated), as werkzeug's does.
            body = read_limited(get_input_stream(environ), MAX_BODY_BYTES)
        except (OSError, ClientDisconnected) as exc:  # a client gone, a malformed chunk, a timeout
            _logger.info("Apicbase webhook: the body could not be read (%s)", type(exc).__name__)
            problem = UNREADABLE
        else:
            problem = TOO_LARGE if body is None else None
    if problem:
        environ[BODY_PROBLEM] = problem
    else:
        environ[BODY] = body
    environ["wsgi.input"] = io.BytesIO(body or b"")
    environ["CONTENT_LENGTH"] = str(len(body or b""))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input_terminated"] = False


def _reading_webhook_bodies(call):
    """Odoo's WSGI entry point, reading the webhook's bodies first (see the module's docstring)."""
    @functools.wraps(call)
    def __call__(self, environ, start_response):
        read_webhook_body(environ)
        return call(self, environ, start_response)

    __call__.apicbase_reads_webhook_bodies = True
    return __call__


# Once per process, whichever database imports the addon first; on a database without the addon
# the path has no route and Odoo answers 404, as it would anyway.
if not getattr(http.Application.__call__, "apicbase_reads_webhook_bodies", False):
    http.Application.__call__ = _reading_webhook_bodies(http.Application.__call__)
