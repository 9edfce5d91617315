"""The inbox of Apicbase purchase orders, and the path each order takes: webhook → inbox → sale order.

The webhook (controllers/main.py) checks the signature and the payload and hands the parsed order
to ``_receive``; the follow-up hands it the orders whose webhook never arrived
(apicbase_order_follow_up.py). ``_receive`` stores the order first, one inbox row per company and
order, then makes its sale order (the mapping lives in sale_order.py) from one of two entry points:

- ``_process_inserted``: the row this transaction has just inserted, with the order parsed on
  arrival. No other transaction sees it: nothing to lock, no to-do to close.
- ``_process_stored``: a stored row taken up again, by a retry or a refused order sent anew: it is
  locked, its stored payload parsed, and a to-do about it closed once it has its sale order. The
  scheduled action, which must not wait for a row, locks it itself and calls ``_process_locked``.

Either way ``_attempt`` tries once and writes the outcome, but an unknown customer or article,
which it hands back: the webhook may refuse the order (the company's policy), everyone else leaves
it to a person. A failure that is not the order's puts it off for the scheduled action (``_defer``).
"""
import json
import logging
from decimal import DecimalException

from markupsafe import Markup

from psycopg2 import DataError, OperationalError

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import clean_context

from ..apicbase import payload as apicbase_payload
from ..apicbase.errors import PayloadError
from ..apicbase.payload import naive_utc
from ..compat import USER_GROUPS, cron_progress, sql_constraints
from ..const import APICBASE_STATUSES, INVOICE_STATUSES, ORDER_STATES, PROCESS_BATCH, RETRY_DELAYS
from ..exceptions import ApicbaseMappingError
from .actions import RELOAD, error_kind, error_text, notification, open_records
from .system import as_system

_logger = logging.getLogger(__name__)

# Errors the order's own data causes: a value PostgreSQL refuses (a number out of its numeric's
# range...), a number no float or Decimal computation holds. Every attempt would fail the same way:
# the order goes to a person at once instead of being retried for an hour.
ORDER_DATA_ERRORS = (DataError, OverflowError, DecimalException)


class ApicbaseOrder(models.Model):
    """The inbox: every signed, well-formed Apicbase purchase order, stored before processing."""

    _name = "apicbase.order"
    _description = "Apicbase Purchase Order"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "received_at desc, id desc"
    _mail_post_access = "read"  # notes and activities without the right to alter a signed order

    name = fields.Char(string="Order Number", readonly=True, index="trigram")
    apicbase_id = fields.Char(string="Apicbase ID", required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, default=lambda self: self.env.company)
    state = fields.Selection(
        ORDER_STATES,
        default="received", required=True, readonly=True, index=True, tracking=True)
    failure_reason = fields.Selection(
        [("mapping", "Unknown customer or article"), ("error", "Error")], readonly=True)
    source = fields.Selection(
        [("webhook", "Webhook"), ("recovery", "Recovered from the API")],
        default="webhook", required=True, readonly=True)
    raw_payload = fields.Text(string="Payload", readonly=True, help="The body exactly as received.")
    payload_display = fields.Text(string="Payload (formatted)", compute="_compute_payload_display")
    received_at = fields.Datetime(readonly=True, default=fields.Datetime.now, index=True)
    processed_at = fields.Datetime(string="Last Attempt", readonly=True)
    next_attempt_at = fields.Datetime(
        string="Next Automatic Attempt", readonly=True,
        help="Processing failed for a reason that is not the order's: the scheduled action tries again then.")
    attempt_count = fields.Integer(string="Attempts", readonly=True)
    error_message = fields.Text(string="Problem", readonly=True)
    refusal_answer = fields.Text(
        string="Answer to the Restaurant", readonly=True,
        help="What Apicbase was answered when the order was refused, and showed the restaurant: its own "
             "customer and article numbers only, never our contacts' or products' names.")
    customer_number = fields.Char(readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index="btree_not_null")
    ordered_on = fields.Datetime(readonly=True)
    expected_delivery_date = fields.Datetime(readonly=True)
    # What Apicbase says of the order since (read by the follow-up).
    apicbase_status = fields.Selection(
        APICBASE_STATUSES,
        readonly=True, default="ORDERED")
    delivery_closed = fields.Boolean(readonly=True, help="The restaurant expects no more deliveries.")
    invoice_status = fields.Selection(
        INVOICE_STATUSES,
        readonly=True)
    viewed_by_supplier_at = fields.Datetime(string="Acknowledged in Apicbase", readonly=True)
    fetched_by_supplier_at = fields.Datetime(string="Marked Fetched in Apicbase", readonly=True)
    reconciled_at = fields.Datetime(string="Last Checked in Apicbase", readonly=True)
    sale_order_ids = fields.One2many("sale.order", "apicbase_order_id", string="Sale Orders", readonly=True)
    sale_order_id = fields.Many2one(
        "sale.order", compute="_compute_sale_order_id", store=True, index="btree_not_null")

    locals().update(sql_constraints(
        ("apicbase_id_company_unique", "unique(company_id, apicbase_id)",
         "An Apicbase purchase order is received once per company."),
    ))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_answered(self):
        """An order that gave a sale order, or that the restaurant was told was refused, is the
        memory that it was handled: deleted, the follow-up would recover it from Apicbase again as
        a new sale order. Orders still waiting may go: the follow-up brings them back if Apicbase
        still has them."""
        handled = self.filtered(lambda record: record.state in ("done", "refused") or record.sale_order_ids)
        if handled:
            raise UserError(self.env._(
                "Apicbase orders that gave a sale order or were refused cannot be deleted (%s): the "
                "follow-up would take them for orders never received and create them again.",
                ", ".join(handled.mapped("display_name"))))

    @api.depends("raw_payload")
    def _compute_payload_display(self):
        for record in self:
            try:
                record.payload_display = json.dumps(json.loads(record.raw_payload or ""), indent=2,
                                                    ensure_ascii=False)
            except ValueError:
                record.payload_display = record.raw_payload

    @api.depends("sale_order_ids")
    def _compute_sale_order_id(self):
        for record in self:
            record.sale_order_id = record.sale_order_ids[:1]

    # ------------------------------------------------------------------
    # Intake: the webhook and recovery
    # ------------------------------------------------------------------

    @api.model
    def _receive(self, company, raw, order, source="webhook", defer_conflicts=True):
        """Stores ``order`` (a parsed PurchaseOrder) for ``company``, then processes it.

        Returns ``(outcome, record)`` where outcome is ``accepted``, ``duplicate`` or
        ``refused``. The row is inserted before any processing, and processing runs
        in a savepoint, so a signed order is kept whatever happens to its mapping. Only the
        webhook's answer refuses an unknown customer or article, when the company's policy says
        so; a recovered order, like every later attempt, answers no one and waits for a person.

        A write conflict with a concurrent transaction is raised when ``defer_conflicts`` is
        false, for the HTTP layer to replay the whole request in a fresh transaction (Odoo's
        usual cure); otherwise, and for any other failure, the order stays ``received`` and
        the scheduled action processes it shortly.
        """
        inbox_sudo = as_system(self).with_company(company)
        record = inbox_sudo._insert_once(company, raw, order, source)
        resent = None
        if record is None:
            existing = inbox_sudo.search(
                [("company_id", "=", company.id), ("apicbase_id", "=", order.id)], limit=1)
            if existing.state != "refused":
                return "duplicate", existing
            # A refused order sent again (after its mapping was fixed) gets a new chance.
            record, resent = existing, {"raw_payload": _text(raw), "source": source,
                                        **inbox_sudo._stored_fields(company, order)}
        refuse = source == "webhook" and company.apicbase_unmapped_policy == "refuse"
        try:
            with self.env.cr.savepoint():
                if resent:
                    record.write(resent)
                    unmapped = record._process_stored()
                else:
                    unmapped = record._process_inserted(order)
                if unmapped and refuse:
                    record._mark_refused(unmapped.args[0], unmapped.restaurant_message)
                elif unmapped:
                    record._mark_unmapped(unmapped)
        except Exception as exc:  # noqa: BLE001 - the row is ours now: keep it, answer 2xx
            if isinstance(exc, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY) and not defer_conflicts:
                raise
            record._defer(exc)
        return ("refused" if record.state == "refused" else "accepted"), record

    @api.model
    def _cron_process_received(self, limit=PROCESS_BATCH):
        """Processes stored orders that were not processed (deferred, or recovered from the API).

        Never refuses: the webhook was answered long ago, so an unresolved order waits for a
        person. The least tried come first, so orders that keep failing do not block the others.
        An order another transaction holds or changed since this run began is left untouched for
        the next run: waiting for it, or writing to it, would fail the whole run and undo the
        orders already processed.

        One call is one batch: it reports its progress, and Odoo's scheduler commits it and calls
        again while orders remain, so a backlog drains in one run and a killed worker loses at most
        one batch.
        """
        due = [("state", "=", "received"),
               "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", fields.Datetime.now())]
        batch = self.search(due, limit=limit, order="attempt_count, received_at, id")
        for record in batch:
            try:
                with self.env.cr.savepoint():
                    # Without waiting: a row another transaction holds is left for the next run.
                    record._lock(nowait=True)
                    unmapped = record._process_locked()
                    if unmapped:
                        record._mark_unmapped(unmapped)
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as exc:
                _logger.info("Apicbase order %s (id %s) is busy in another transaction; left for the next "
                             "run: %s", record.name, record.apicbase_id, type(exc).__name__)
            except Exception as exc:  # noqa: BLE001 - one order must not stop the others
                try:
                    with self.env.cr.savepoint():
                        # The savepoint's rollback released the row: take it again, without waiting.
                        record._lock(nowait=True)
                        record._defer(exc)
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    _logger.info("Apicbase order %s (id %s) failed (%s) and is now busy in another "
                                 "transaction; left for the next run", record.name, record.apicbase_id, exc)
        # What this batch left (busy elsewhere) waits for the next run, not for the next call.
        remaining = self.search_count(due + [("id", "not in", batch.ids)])
        cron_progress(self.env, len(batch), remaining)

    @api.model
    def _stored_fields(self, company, order):
        """What the inbox row keeps of ``order`` besides its payload (dates in the company's time
        zone), when it is stored and again when a refused order is sent anew."""
        # Looked up (the responsible's, maybe) only for a date Apicbase sent without an offset.
        tz = company._apicbase_tz() if order.has_local_times else None
        return {"name": order.order_number, "customer_number": order.customer_number,
                "ordered_on": naive_utc(order.ordered_on, tz),
                "expected_delivery_date": naive_utc(order.expected_delivery_date, tz),
                "apicbase_status": order.status}

    def _insert_once(self, company, raw, order, source):
        """Inserts the inbox row unless this company already has the order.

        The unique index decides, not a prior search: a concurrent duplicate waits
        for the first transaction, then either sees its row (nothing inserted) or
        fails to serialise, and Odoo replays the request, which then sees it.
        """
        now = fields.Datetime.now()
        uid = self.env.uid
        stored = self._stored_fields(company, order)
        self.env.cr.execute(
            """
            INSERT INTO apicbase_order
                (apicbase_id, company_id, name, state, source, raw_payload, received_at,
                 customer_number, ordered_on, expected_delivery_date, apicbase_status, attempt_count,
                 create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, 'received', %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s)
            ON CONFLICT (company_id, apicbase_id) DO NOTHING
            RETURNING id
            """,
            (order.id, company.id, stored["name"], source, _text(raw), now, stored["customer_number"],
             stored["ordered_on"], stored["expected_delivery_date"], stored["apicbase_status"], uid, uid, now, now),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else None

    # ------------------------------------------------------------------
    # Processing: the two entry points, one attempt, putting an order off
    # ------------------------------------------------------------------

    def _process_inserted(self, order):
        """Processes the row this transaction has just inserted (_insert_once), with ``order``, the
        payload parsed on arrival: it is not parsed again. Another transaction cannot see the row:
        there is nothing to lock, and no one can have given it a to-do to close.

        Returns the ApicbaseMappingError of an unknown customer or article (see _attempt), else None.
        """
        self.ensure_one()
        return self.with_company(self.company_id)._attempt(order)

    def _process_stored(self):
        """Processes a stored row taken up again (a retry, a refused order sent anew): locks it,
        waiting for a transaction that holds it, then makes its sale order from the stored payload,
        unless the transaction the lock waited for made it; either way the to-do that asked a person
        to look is closed.

        Returns the ApicbaseMappingError of an unknown customer or article (see _attempt), else None.
        """
        self.ensure_one()
        self._lock()
        return self._process_locked()

    def _process_locked(self):
        """_process_stored once the caller holds the row's lock (the scheduled action takes it without
        waiting). Returns the ApicbaseMappingError of an unknown customer or article, else None."""
        record = self.with_company(self.company_id)
        unmapped = None
        if record.sale_order_id:
            record._mark_done()
        else:
            unmapped = record._attempt()
        if record.state == "done":
            record._close_todo()
        return unmapped

    def _attempt(self, order=None):
        """One attempt at the sale order of this row (locked, or this transaction's own), from
        ``order`` when the caller has it parsed, else from the stored payload.

        Counts the attempt and writes its outcome, but one: the ApicbaseMappingError of a customer or
        an article Odoo cannot resolve is returned, for the caller to refuse the order or hand it to
        a person. A write conflict is raised: the caller puts the order off (_defer).
        """
        # Written with the attempt's outcome, once: inside the savepoint with the sale order's
        # link when it succeeds, after it (which undid the attempt's work) when it fails.
        attempt = {"attempt_count": self.attempt_count + 1, "processed_at": fields.Datetime.now()}
        try:
            order = order or self._parsed_order()
            with self.env.cr.savepoint():
                sale = self.env["sale.order"]._apicbase_create_from(self, order)
                self._mark_done(**attempt, partner_id=sale.partner_id.id)
        except ApicbaseMappingError as exc:
            self.write(attempt)
            if exc.partner:
                self.partner_id = exc.partner  # the customer is known even if an article is not
            return exc
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise  # the caller keeps the order received and processes it again later
        except UserError as exc:
            self.write(attempt)
            self._mark_failed(exc.args[0], "error")
        except ORDER_DATA_ERRORS as exc:
            self.write(attempt)
            self._mark_failed(self._data_error_text(exc), "error")
        except Exception as exc:  # noqa: BLE001 - a stored order must never turn into a 500
            self._defer(exc, attempted_at=attempt["processed_at"])
        return None

    def _defer(self, exc, attempted_at=None):
        """Puts the order off after an attempt that failed, its work rolled back, for a reason that
        is not the order's (a conflict, a bug): the attempt (begun at ``attempted_at``, else now) is
        counted, the order stays received and the scheduled action tries again after a growing
        delay; past the last delay it needs a person, and says so."""
        self.write({"attempt_count": self.attempt_count + 1,
                    "processed_at": attempted_at or fields.Datetime.now()})
        _logger.warning("Apicbase order %s (id %s) stored; processing failed on attempt %s: %s: %s",
                        self.name, self.apicbase_id, self.attempt_count, type(exc).__name__, exc,
                        exc_info=not isinstance(exc, OperationalError))
        # Staff read the order: they are told the kind of error, the server log keeps its text (a
        # database message, a traceback's words) for whoever administers it.
        error = self.env._("a write conflict with another transaction") \
            if isinstance(exc, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY) else error_text(self.env, exc)
        if self.attempt_count > len(RETRY_DELAYS):
            self._mark_failed(self.env._(
                "Processing failed %(count)s times for a reason that is not the order's (last: %(error)s). "
                "Automatic attempts have stopped: retry once the cause is fixed.",
                count=self.attempt_count, error=error), "error")
            return
        # Counted from the attempt itself, so the delay is exact whatever second this line runs in.
        at = self.processed_at + RETRY_DELAYS[self.attempt_count - 1]
        self.write({"state": "received", "failure_reason": False, "next_attempt_at": at,
                    "error_message": self.env._(
                        "Attempt %(count)s failed (%(error)s); the next automatic attempt is due at %(at)s UTC.",
                        count=self.attempt_count, error=error, at=at)})
        cron = self.env.ref("apicbase_connector.ir_cron_apicbase_process_received", raise_if_not_found=False)
        if cron:
            cron._trigger(at)

    def _data_error_text(self, exc):
        """What staff read of an error the order's data caused (ORDER_DATA_ERRORS): its kind, never the
        database's own words (the server log has them)."""
        _logger.warning("Apicbase order %s (id %s) cannot become a sale order: its data fails: %s: %s",
                        self.name, self.apicbase_id, type(exc).__name__, exc)
        return self.env._(
            "A value of this order cannot be computed or stored (%(kind)s): a quantity or price no order "
            "can have, say. Every attempt would fail the same way, so none is made. Read the payload, and ask "
            "the restaurant to correct the order and send it again.", kind=error_kind(exc))

    def _lock(self, nowait=False):
        # Two retries of the same record at once: the second waits, then fails to
        # serialise and is replayed by Odoo, and then sees the sale order.
        # With nowait, a held row fails at once (LockNotAvailable) instead of waiting for it.
        query = "SELECT id FROM apicbase_order WHERE id = %s FOR UPDATE" + (" NOWAIT" if nowait else "")
        self.env.cr.execute(query, (self.id,), log_exceptions=False)

    def _parsed_order(self):
        try:
            return apicbase_payload.parse_order_json(
                self.raw_payload or "", statuses=apicbase_payload.ORDER_STATUSES)
        except PayloadError as exc:
            raise UserError(self.env._("The stored payload is not a valid Apicbase order: %s", exc)) from None

    def _mark_done(self, **values):
        self.write({"state": "done", "error_message": False, "failure_reason": False, "next_attempt_at": False,
                    **values})

    def _close_todo(self):
        """Marks done the to-do that asked a person to look at this order, now that it has its sale order."""
        todo = self._todo_activity_type()
        self.activity_ids.filtered(lambda activity: activity.activity_type_id == todo) \
            .action_feedback(feedback=self.env._("Sale order %s created.", self.sale_order_id.name))

    def _mark_failed(self, message, reason):
        self.write({"state": "failed", "error_message": message, "failure_reason": reason, "next_attempt_at": False})
        self.message_post(body=self.env._("Attempt %(attempt)s failed: %(message)s",
                                          attempt=self.attempt_count, message=message))
        self._schedule_attention_activity(message)

    def _mark_unmapped(self, exc):
        """Hands an order naming an unknown customer or article (``exc``, an ApicbaseMappingError) to a
        person: the restaurant was told nothing."""
        self._mark_failed(exc.args[0], "mapping")

    def _mark_refused(self, message, restaurant_message):
        """``message`` is for staff; ``restaurant_message``, naming only the restaurant's own numbers, is
        the webhook's answer."""
        self.write({"state": "refused", "error_message": message, "refusal_answer": restaurant_message,
                    "failure_reason": "mapping", "next_attempt_at": False})
        self.message_post(body=self.env._("Refused: %s", message))

    def _todo_activity_type(self):
        return self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)

    def _schedule_attention_activity(self, message):
        activity_type = self._todo_activity_type()
        if not activity_type:
            return
        summary = self.env._("Apicbase order %s needs attention", self.name)
        open_activity = self.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        # The note is HTML and the message carries the restaurant's text: escaped, never markup.
        note = Markup("<p>%s</p>") % Markup("<br/>").join(message.splitlines())
        if open_activity:
            open_activity.write({"note": note, "summary": summary})
            return
        user = self.company_id._apicbase_responsible_user()
        self.activity_schedule(activity_type_id=activity_type.id, summary=summary, note=note,
                               user_id=user.id or self.env.uid)

    @api.model
    def _restrict_actions(self):
        """Gives each of the addon's server actions the group that may see it in the Action menu
        (run by data/apicbase_order_data.xml at install and upgrade)."""
        for xmlid, group in (("action_apicbase_order_retry", "sales_team.group_sale_salesman"),
                             ("action_apicbase_package_create_products", "sales_team.group_sale_manager"),
                             ("action_apicbase_assortment_publish", "sales_team.group_sale_manager")):
            self.env.ref(f"apicbase_connector.{xmlid}").write({USER_GROUPS: [Command.set(self.env.ref(group).ids)]})

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Processes the selected orders again, once their mapping is fixed.

        Refused orders are not retried: the restaurant was told and orders again itself.
        The user needs only read access; the order is processed as the system, like on arrival,
        so that a salesman's retry is not limited by his own record rules.
        """
        self.check_access("read")
        to_process = self.filtered(lambda r: r.state in ("received", "failed"))
        if not to_process:
            raise UserError(self.env._("Only orders that are waiting or need attention can be retried."))
        for record in to_process:
            record.message_post(body=self.env._("Retried by %s.", self.env.user.name))
        for record in as_system(to_process).with_context(clean_context(self.env.context)):
            unmapped = record._process_stored()
            if unmapped:
                record._mark_unmapped(unmapped)
        done = to_process.filtered(lambda r: r.state == "done")
        message = self.env._("%(done)s of %(total)s order(s) now have a sale order.",
                             done=len(done), total=len(to_process))
        return notification(message, "success" if len(done) == len(to_process) else "warning",
                            next_action={"type": "ir.actions.act_window_close"} if len(self) > 1 else RELOAD)

    def action_open_sale_order(self):
        self.ensure_one()
        return open_records("sale.order", res_id=self.sale_order_id.id)


def _text(raw):
    return raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
