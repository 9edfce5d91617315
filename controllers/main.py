"""The order webhook: authenticate, parse, hand over. Nothing else lives here."""
import logging

from psycopg2 import OperationalError
from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..apicbase import signature
from ..apicbase.errors import PayloadError
from ..apicbase.payload import parse_order_json
from ..const import DEFER_FROM_TRY, MAX_BODY_BYTES, STATUS_BY_OUTCOME, WEBHOOK_ROUTE

_logger = logging.getLogger(__name__)



def _answer(http_status, **body):
    return request.make_json_response(body, status=http_status)


def _read_body_limited():
    """The raw body, or None when it is larger than MAX_BODY_BYTES."""
    httprequest = request.httprequest
    if httprequest.content_length is not None and httprequest.content_length > MAX_BODY_BYTES:
        return None
    # Bounds a chunked body too: werkzeug stops reading past the limit.
    httprequest.max_content_length = MAX_BODY_BYTES
    try:
        raw = httprequest.get_data(cache=True)
    except RequestEntityTooLarge:
        return None
    return None if len(raw) > MAX_BODY_BYTES else raw


class ApicbaseWebhookController(http.Controller):

    @http.route(WEBHOOK_ROUTE + "<string:token>", type="http", auth="public", methods=["POST"],
                csrf=False, save_session=False)
    def apicbase_order_webhook(self, token, **_kwargs):
        company_sudo = request.env["res.company"]._apicbase_company_from_token(token)  # as the system
        if not company_sudo:
            return _answer(404, error="unknown webhook URL")
        raw = _read_body_limited()
        if raw is None:
            return _answer(413, error=f"the body exceeds {MAX_BODY_BYTES} bytes")
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
        except Exception:  # noqa: BLE001 - answer JSON, never an HTML traceback page
            return _not_stored(order)
        body = {"status": outcome, "id": order.id, "state": record.state}
        if outcome == "refused":
            body["error"] = record.error_message
        return _answer(STATUS_BY_OUTCOME[outcome], **body)


def _not_stored(order):
    _logger.exception("Apicbase order %s (id %s) could not be stored", order.order_number, order.id)
    request.env.cr.rollback()
    return _answer(500, error="the order could not be stored", id=order.id)
