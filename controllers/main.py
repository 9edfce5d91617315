"""The order webhook: authenticate, parse, hand over. Nothing else lives here."""
import logging

from psycopg2 import DataError, OperationalError

from odoo import http
from odoo.http import request
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..apicbase import signature
from ..apicbase.errors import PayloadError
from ..apicbase.payload import parse_order_json
from ..const import DEFER_FROM_TRY, MAX_BODY_BYTES, STATUS_BY_OUTCOME, WEBHOOK_ROUTE
from ..models.actions import error_kind
from .body import BODY, BODY_PROBLEM, TOO_LARGE

_logger = logging.getLogger(__name__)


def _answer(http_status, **body):
    return request.make_json_response(body, status=http_status)


def _body():
    """(raw body, None), or (None, the answer) when it is too large or could not be read.

    Odoo's WSGI entry point has read it already, with our limit (body.py). A request that did not
    come through it is read here only when its declared length is within the limit: a chunked body
    could not be bounded here any more.
    """
    environ = request.httprequest.environ
    problem = environ.get(BODY_PROBLEM)
    if problem == TOO_LARGE:
        return None, _answer(413, error=f"the body exceeds {MAX_BODY_BYTES} bytes")
    if problem:
        return None, _answer(400, error="the body could not be read")
    if BODY in environ:
        return environ[BODY], None
    httprequest = request.httprequest
    if httprequest.content_length is None or httprequest.content_length > MAX_BODY_BYTES:
        return None, _answer(413, error=f"the body exceeds {MAX_BODY_BYTES} bytes")
    return httprequest.get_data(), None


class ApicbaseWebhookController(http.Controller):

    @http.route(WEBHOOK_ROUTE + "<string:token>", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def apicbase_order_webhook(self, token, **_kwargs):
        company_sudo = request.env["res.company"]._apicbase_company_from_token(token)  # as the system
        if not company_sudo:
            return _answer(404, error="unknown webhook URL")
        raw, refusal = _body()
        if refusal:
            return refusal
        secret = company_sudo._apicbase_signing_secret()
        if not secret:
            _logger.warning("Apicbase webhook for company %s refused: no webhook or client secret is set",
                            company_sudo.id)
            return _answer(403, error="the webhook is not configured")
        if not signature.verify(raw, request.httprequest.headers.get(signature.HEADER), secret):
            _logger.warning("Apicbase webhook for company %s refused: bad or missing signature (%s bytes "
                            "from %s)", company_sudo.id, len(raw), request.httprequest.remote_addr)
            return _answer(403, error="invalid signature")
        try:
            order = parse_order_json(raw)
        except PayloadError as exc:
            _logger.info("Apicbase webhook for company %s refused: %s", company_sudo.id, exc)
            return _answer(400, error="invalid purchase order", problems=exc.as_list())
        # Odoo replays a request whose transaction conflicts with another, sleeping a little
        # longer each time. The first replays are worth it (a duplicate then sees the first copy);
        # from the third try on, the order is stored and processed by the scheduled action
        # instead, so Apicbase never waits long nor gets a 500.
        request.apicbase_attempt = getattr(request, "apicbase_attempt", 0) + 1
        last_try = request.apicbase_attempt >= min(DEFER_FROM_TRY, MAX_TRIES_ON_CONCURRENCY_FAILURE)
        try:
            outcome, record = company_sudo.env["apicbase.order"]._receive(
                company_sudo, raw, order, defer_conflicts=last_try)
        except OperationalError as exc:
            if isinstance(exc, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                raise  # Odoo replays the request in a fresh transaction
            return _not_stored(order)
        except DataError as exc:  # the order's own data, which PostgreSQL refuses: its fault, not ours
            return _refused_data(order, exc)
        except Exception:  # noqa: BLE001 - answer JSON, never an HTML traceback page
            return _not_stored(order)
        body = {"status": outcome, "id": order.id, "state": record.state}
        if outcome == "refused":
            body["error"] = record.refusal_answer  # the restaurant's numbers only; staff read error_message
        return _answer(STATUS_BY_OUTCOME[outcome], **body)


def _refused_data(order, exc):
    """A value of the order PostgreSQL will not store (the payload's checks let it through): a 400
    naming the database's condition, never its message; nothing is stored."""
    _logger.warning("Apicbase order %s (id %s) refused: PostgreSQL cannot store it: %s",
                    order.order_number, order.id, exc)
    request.env.cr.rollback()
    return _answer(400, error="invalid purchase order", problems=[
        {"field": "$", "error": f"a value of the order cannot be stored ({error_kind(exc)})"}])


def _not_stored(order):
    _logger.exception("Apicbase order %s (id %s) could not be stored", order.order_number, order.id)
    request.env.cr.rollback()
    return _answer(500, error="the order could not be stored", id=order.id)
