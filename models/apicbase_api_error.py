"""The errors Apicbase's API answered (or calls it never answered), kept for the overview.

Scheduled actions log their failures to the server log and carry on, and a button's error is seen
once by whoever pressed it: without this log nobody notices a connection that has been failing all
night. Every client the connector makes records its errors here (see ErrorRecordingClient).
"""
import datetime as dt
import functools
import logging
from collections.abc import Iterator

from odoo import SUPERUSER_ID, api, fields, models

from ..apicbase.errors import ApicbaseError
from ..compat import in_a_test_transaction
from .system import as_system

_logger = logging.getLogger(__name__)

# What a call was for, as a person would name it, and the client's calls for each.
OPERATIONS = [
    ("purchase_orders", "Read purchase orders"),
    ("mark", "Mark purchase orders"),
    ("publish", "Publish an assortment"),
    ("events", "Read sync events"),
    ("customers", "Read customers"),
    ("packages", "Read packages"),
    ("connection", "Connect"),
    ("other", "Other call"),
]
OPERATION_BY_CALL = {
    "purchase_order_pages": "purchase_orders", "mark_purchase_orders": "mark",
    "post_assortment_file": "publish", "iter_events": "events", "iter_customers": "customers",
    "iter_packages": "packages", "test_connection": "connection",
}
KEEP_FOR = dt.timedelta(days=30)
MESSAGE_MAX = 2000


class ApicbaseApiError(models.Model):
    _name = "apicbase.api.error"
    _description = "Apicbase API Error"
    _order = "occurred_at desc, id desc"
    _rec_name = "message"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True, ondelete="cascade")
    occurred_at = fields.Datetime(required=True, readonly=True, index=True, default=fields.Datetime.now)
    operation = fields.Selection(OPERATIONS, required=True, readonly=True)
    status = fields.Integer(string="HTTP Status", readonly=True,
                            help="Empty when Apicbase never answered (timeout, connection refused).")
    message = fields.Text(readonly=True)

    @api.model
    def _record(self, company, call, exc):
        """Keeps ``exc``, raised by the client call named ``call`` of ``company``; never raises.

        It is written in a transaction of its own: the caller usually rolls its own back (a button
        turns the error into a UserError, a scheduled action drops its savepoint), and the error
        must stay counted all the same.
        """
        values = {
            "company_id": company.id,
            "operation": OPERATION_BY_CALL.get(call, "other"),
            "status": getattr(exc, "status", None) or 0,
            "message": str(exc)[:MESSAGE_MAX],
        }
        if in_a_test_transaction(self.env.registry):
            # A test runs in one transaction that a second one would wait for (its own company's
            # row) and must not commit beside: there the error shares the test's transaction.
            as_system(self).create(values)
            return
        try:
            with self.env.registry.cursor() as cr:
                # A company row held by the caller must not stall it: better one error unrecorded.
                cr.execute("SET LOCAL lock_timeout = '5s'")
                api.Environment(cr, SUPERUSER_ID, {})[self._name].create(values)
        except Exception:  # noqa: BLE001 - recording an error must never add one
            _logger.warning("Apicbase API error of company %s not recorded: %s", company.id, exc, exc_info=True)

    @api.autovacuum
    def _gc_old_errors(self):
        """Only the last days are shown; a month is kept for whoever looks back."""
        self.search([("occurred_at", "<", fields.Datetime.now() - KEEP_FOR)]).unlink()


class ErrorRecordingClient:
    """An ApicbaseClient whose calls record the ApicbaseError they raise, at once or while their
    pages are read, then raise it unchanged: callers handle errors exactly as before."""

    def __init__(self, client, record):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_record", record)  # record(call name, exc)

    def __setattr__(self, name, value):
        setattr(self._client, name, value)  # settings (timeouts, pacing) are the client's

    def __repr__(self):
        return repr(self._client)

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def recorded(*args, **kwargs):
            try:
                result = attribute(*args, **kwargs)
            except ApicbaseError as exc:
                self._record(name, exc)
                raise
            # Lists are read lazily, page by page: their errors come while they are iterated.
            return self._recorded_items(name, result) if isinstance(result, Iterator) else result

        return recorded

    def _recorded_items(self, name, items):
        try:
            yield from items
        except ApicbaseError as exc:
            self._record(name, exc)
            raise
