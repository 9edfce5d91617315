import datetime as dt
import json
import logging

from markupsafe import Markup
from psycopg2 import OperationalError

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import clean_context
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..apicbase import payload as apicbase_payload
from ..apicbase.payload import naive_utc
from ..apicbase.errors import ApicbaseError, PayloadError
from .actions import RELOAD, notification, open_records

_logger = logging.getLogger(__name__)


class ApicbaseMappingError(UserError):
    """The order names a customer or an article that Odoo cannot resolve."""

    def __init__(self, message, partner=None):
        super().__init__(message)
        self.partner = partner


FOLLOW_UP_MAX_DAYS = 180  # how far back an order still open here is followed at most
RECOVERY_GRACE = dt.timedelta(minutes=15)  # an order younger than this may still come by webhook
# Processing that fails for a reason that is not the order's (a bug, a conflict that outlasted
# Odoo's replays, a service down) is tried again by the scheduled action after these delays, one
# per failed attempt; after the last, a person decides.
RETRY_DELAYS = tuple(dt.timedelta(minutes=minutes) for minutes in (0, 1, 5, 15, 60))


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
        [("received", "Received"), ("done", "Sale Order Created"),
         ("failed", "Needs Attention"), ("refused", "Refused")],
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
    customer_number = fields.Char(readonly=True, index=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True, index="btree_not_null")
    ordered_on = fields.Datetime(readonly=True)
    expected_delivery_date = fields.Datetime(readonly=True)
    # What Apicbase says of the order since (read by reconciliation).
    apicbase_status = fields.Selection(
        [("IN_PROGRESS", "In progress"), ("ORDERED", "Ordered"), ("DELIVERED", "Delivered")],
        string="Apicbase Status", readonly=True, default="ORDERED")
    delivery_closed = fields.Boolean(readonly=True, help="The restaurant expects no more deliveries.")
    invoice_status = fields.Selection(
        [("0", "Not received"), ("1", "Received"), ("2", "Payable"), ("3", "Paid")],
        string="Invoice Status", readonly=True)
    viewed_by_supplier_at = fields.Datetime(string="Acknowledged in Apicbase", readonly=True)
    fetched_by_supplier_at = fields.Datetime(string="Marked Fetched in Apicbase", readonly=True)
    reconciled_at = fields.Datetime(string="Last Checked in Apicbase", readonly=True)
    sale_order_ids = fields.One2many("sale.order", "apicbase_order_id", string="Sale Orders", readonly=True)
    sale_order_id = fields.Many2one(
        "sale.order", compute="_compute_sale_order_id", store=True, index="btree_not_null")

    _sql_constraints = [
        ("apicbase_id_company_unique", "unique(company_id, apicbase_id)",
         "An Apicbase purchase order is received once per company."),
    ]

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
    # Intake: one path for the webhook, recovery and retries
    # ------------------------------------------------------------------

    @api.model
    def _receive(self, company, raw, order, source="webhook", defer_conflicts=True, refuse_unmapped=None):
        """Stores ``order`` (a parsed PurchaseOrder) for ``company``, then processes it.

        Returns ``(outcome, record)`` where outcome is ``accepted``, ``duplicate`` or
        ``refused``. The row is inserted before any processing, and processing runs
        in a savepoint, so a signed order is kept whatever happens to its mapping.

        A write conflict with a concurrent transaction is raised when ``defer_conflicts`` is
        false, for the HTTP layer to replay the whole request in a fresh transaction (Odoo's
        usual cure); otherwise, and for any other failure, the order stays ``received`` and
        the scheduled action processes it shortly.
        """
        inbox = self.with_user(SUPERUSER_ID).with_company(company)
        record = inbox._insert_once(company, raw, order, source)
        resent = None
        if record is None:
            existing = inbox.search(
                [("company_id", "=", company.id), ("apicbase_id", "=", order.id)], limit=1)
            if existing.state != "refused":
                return "duplicate", existing
            # A refused order sent again (after its mapping was fixed) gets a new chance.
            record, resent = existing, {"raw_payload": _text(raw), "source": source}
        refuse = company.apicbase_unmapped_policy == "refuse" if refuse_unmapped is None else refuse_unmapped
        try:
            with self.env.cr.savepoint():
                if resent:
                    record.write(resent)
                record._process(refuse_unmapped=refuse)
        except OperationalError as exc:
            if isinstance(exc, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY) and not defer_conflicts:
                raise
            record._defer(exc)
        except Exception as exc:  # noqa: BLE001 - the row is ours now: keep it, answer 2xx
            record._defer(exc)
        return ("refused" if record.state == "refused" else "accepted"), record

    def _defer(self, exc):
        """Processing broke, and its work was rolled back, in a way that is not the order's fault (a
        conflict, a bug): this attempt is counted and the order is tried again later."""
        self.write({"attempt_count": self.attempt_count + 1, "processed_at": fields.Datetime.now()})
        self._retry_later(exc)

    def _retry_later(self, exc):
        """After an attempt that failed for a reason that is not the order's: the order stays received
        and the scheduled action tries again after a growing delay; past the last delay it needs a
        person, and says so."""
        _logger.warning("Apicbase order %s (id %s) stored; processing failed on attempt %s: %s: %s",
                        self.name, self.apicbase_id, self.attempt_count, type(exc).__name__, exc,
                        exc_info=not isinstance(exc, OperationalError))
        if self.attempt_count > len(RETRY_DELAYS):
            self._mark_failed(_(
                "Processing failed %(count)s times for a reason that is not the order's (last: %(type)s: "
                "%(error)s). Automatic attempts have stopped: retry once the cause is fixed, or see the "
                "server log.", count=self.attempt_count, type=type(exc).__name__, error=exc), "error")
            return
        at = fields.Datetime.now() + RETRY_DELAYS[self.attempt_count - 1]
        self.write({"state": "received", "failure_reason": False, "next_attempt_at": at,
                    "error_message": _(
                        "Attempt %(count)s failed (%(type)s: %(error)s); the next automatic attempt is due "
                        "at %(at)s UTC.", count=self.attempt_count, type=type(exc).__name__, error=exc,
                        at=at)})
        cron = self.env.ref("apicbase_connector.ir_cron_apicbase_process_received", raise_if_not_found=False)
        if cron:
            cron._trigger(at)

    @api.model
    def _cron_process_received(self, limit=50):
        """Processes stored orders that were not processed (deferred, or recovered from the API).

        Never refuses: the webhook was answered long ago, so an unresolved order waits for a
        person. The least tried come first, so orders that keep failing do not block the others.
        An order another transaction holds or changed since this run began is left untouched for
        the next run: waiting for it, or writing to it, would fail the whole run and undo the
        orders already processed.
        """
        due = [("state", "=", "received"),
               "|", ("next_attempt_at", "=", False), ("next_attempt_at", "<=", fields.Datetime.now())]
        for record in self.search(due, limit=limit, order="attempt_count, received_at, id"):
            try:
                with self.env.cr.savepoint():
                    record._lock(nowait=True)
                    record._process()
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

    def _insert_once(self, company, raw, order, source):
        """Inserts the inbox row unless this company already has the order.

        The unique index decides, not a prior search: a concurrent duplicate waits
        for the first transaction, then either sees its row (nothing inserted) or
        fails to serialise, and Odoo replays the request, which then sees it.
        """
        now = fields.Datetime.now()
        uid = self.env.uid
        tz = company._apicbase_tz()
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
            (order.id, company.id, order.order_number, source, _text(raw), now,
             order.customer_number, naive_utc(order.ordered_on, tz),
             naive_utc(order.expected_delivery_date, tz), order.status, uid, uid, now, now),
            log_exceptions=False,
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else None

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    def _process(self, refuse_unmapped=False):
        for record in self:
            record.with_company(record.company_id)._process_one(refuse_unmapped)

    def _process_one(self, refuse_unmapped):
        self._lock()
        if self.sale_order_id:
            self._mark_done(self.sale_order_id)
            return
        self.write({"attempt_count": self.attempt_count + 1, "processed_at": fields.Datetime.now()})
        try:
            order = self._parsed_order()
            with self.env.cr.savepoint():
                sale = self._create_sale_order(order)
        except ApicbaseMappingError as exc:
            if exc.partner:
                self.partner_id = exc.partner  # the customer is known even if an article is not
            if refuse_unmapped:
                self._mark_refused(exc.args[0])
            else:
                self._mark_failed(exc.args[0], "mapping")
        except OperationalError as exc:
            if isinstance(exc, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY):
                raise  # the caller keeps the order received and processes it again later
            self._retry_later(exc)
        except UserError as exc:
            self._mark_failed(exc.args[0], "error")
        except Exception as exc:  # noqa: BLE001 - a stored order must never turn into a 500
            self._retry_later(exc)
        else:
            self._mark_done(sale)

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
            raise UserError(_("The stored payload is not a valid Apicbase order: %s", exc)) from None

    def _mark_done(self, sale):
        self.write({"state": "done", "error_message": False, "failure_reason": False, "next_attempt_at": False})
        self.activity_ids.filtered(lambda a: a.activity_type_id == self._todo_activity_type()) \
            .action_feedback(feedback=_("Sale order %s created.", sale.name))

    def _mark_failed(self, message, reason):
        self.write({"state": "failed", "error_message": message, "failure_reason": reason, "next_attempt_at": False})
        self.message_post(body=_("Attempt %(attempt)s failed: %(message)s",
                                 attempt=self.attempt_count, message=message))
        self._schedule_attention_activity(message)

    def _mark_refused(self, message):
        self.write({"state": "refused", "error_message": message, "failure_reason": "mapping",
                    "next_attempt_at": False})
        self.message_post(body=_("Refused: %s", message))

    def _todo_activity_type(self):
        return self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)

    def _schedule_attention_activity(self, message):
        activity_type = self._todo_activity_type()
        if not activity_type:
            return
        summary = _("Apicbase order %s needs attention", self.name)
        open_activity = self.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        if open_activity:
            open_activity.write({"note": message, "summary": summary})
            return
        user = self.company_id._apicbase_responsible_user()
        self.activity_schedule(activity_type_id=activity_type.id, summary=summary, note=message,
                               user_id=user.id or self.env.uid)

    # ------------------------------------------------------------------
    # Mapping to a sale order
    # ------------------------------------------------------------------

    def _create_sale_order(self, order):
        partner, problems = self._resolve_partner(order.customer_number)
        products, product_problems = self._resolve_products(order)
        problems += product_problems
        if problems:
            raise ApicbaseMappingError("\n".join(problems), partner=partner)
        self.partner_id = partner
        # Our chatter note says where the order came from, so Odoo's "Quotation created" log and the
        # system user as a follower are left out; the salesperson follows the order, without the
        # rendered "you have been assigned" e-mail per order, which also had Odoo rewrite the
        # customer's signup data on every order (concurrent orders of a restaurant then conflict).
        sale = self.env["sale.order"].with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_auto_subscribe_no_notify=True,
        ).create(self._prepare_sale_order_vals(order, partner, products))
        sale._apicbase_apply_prices(order)
        self._post_origin_message(sale, order)
        if self.company_id.apicbase_auto_confirm:
            sale._apicbase_try_confirm()
        return sale

    def _resolve_partner(self, number):
        if not number:
            return self.env["res.partner"], [_(
                "Apicbase sent no customer number, so Odoo cannot tell which restaurant ordered. Ask "
                "Apicbase to set the restaurant's customer number; enter this order by hand meanwhile.")]
        bound = self.env["apicbase.customer"]._partner_for(self.company_id, number)
        if bound:
            return bound, []
        partners = self.env["res.partner"].search([
            ("apicbase_customer_number", "=", number),
            ("company_id", "in", [False, self.company_id.id]),
        ])
        if len(partners) == 1:
            return partners, []
        if not partners:
            return partners, [_("Customer number %s: no contact has this Apicbase customer number.", number)]
        return partners.browse(), [_(
            "Customer number %(number)s: several contacts have it (%(names)s); keep it on one.",
            number=number, names=", ".join(partners.mapped("display_name")))]

    def _resolve_products(self, order):
        """Maps article numbers to products: explicit Apicbase number first, then internal reference."""
        found_by_number = self.env["product.product"]._apicbase_find(order.article_numbers, self.company_id)
        names = {line.article_number: line.stock_item_name for line in order.lines}
        products, problems = {}, []
        for number, found in found_by_number.items():
            label = f"{number} ({names[number]})" if names.get(number) else number
            if not found:
                problems.append(_("Article %s: no product has this Apicbase article number or "
                                  "internal reference.", label))
            elif len(found) > 1:
                problems.append(_("Article %(label)s: several products match (%(names)s).",
                                  label=label, names=", ".join(found.mapped("display_name"))))
            elif not found.sale_ok:
                problems.append(_("Article %(label)s: product %(name)s cannot be sold.",
                                  label=label, name=found.display_name))
            else:
                products[number] = found
        return products, problems

    def _prepare_sale_order_vals(self, order, partner, products):
        salesperson = partner.user_id or partner.commercial_partner_id.user_id \
            or self.company_id._apicbase_responsible_user()
        tz = self.company_id._apicbase_tz()
        return {
            "partner_id": partner.id,
            "company_id": self.company_id.id,
            "user_id": salesperson.id,
            "client_order_ref": order.order_number,
            "origin": _("Apicbase %s", order.order_number),
            "date_order": naive_utc(order.ordered_on, tz),
            "commitment_date": naive_utc(order.expected_delivery_date, tz),
            "apicbase_order_id": self.id,
            "apicbase_remarks": order.remarks or False,
            "apicbase_owner": order.owner or False,
            "order_line": [
                fields.Command.create({
                    "product_id": products[line.article_number].id,
                    "product_uom_qty": line.quantity,
                    "sequence": index,
                    "apicbase_article_number": line.article_number,
                })
                for index, line in enumerate(order.lines, start=1)
            ],
        }

    def _post_origin_message(self, sale, order):
        details = [Markup(_("Created from Apicbase purchase order %(link)s (Apicbase id %(id)s).")) % {
            "link": self._get_html_link(), "id": self.apicbase_id}]
        if order.owner:
            details.append(Markup(_("Ordered by %s.")) % order.owner)
        if order.remarks:
            details.append(Markup(_("Remarks: %s")) % order.remarks)
        # A log note: nobody is notified of it, so the notification machinery is skipped.
        sale._message_log(body=Markup("<br/>").join(details))

    # ------------------------------------------------------------------
    # Reconciliation
    # ------------------------------------------------------------------

    @api.model
    def _reconcile(self, company):
        """Brings the Apicbase state of recent orders up to date and recovers lost ones.

        Reads the purchase orders of the follow-up window through the API (paginated, oldest
        first), updates the status, delivery and invoice state of the orders we hold, stores and
        processes the ORDERED ones whose webhook never arrived (through the same path as the
        webhook, never refusing), then tells Apicbase which orders we fetched (and, if set,
        acknowledged). Returns counts: updated, recovered, marked, unreadable.
        """
        client = company._apicbase_client()
        since = self._follow_up_start(company)
        items = list(client.iter_purchase_orders(
            ordered_after=since.replace(tzinfo=dt.timezone.utc), status__in="ORDERED,DELIVERED",
            ordering="ordered_on"))
        statuses, unreadable = self._read_statuses(items)
        Inbox = self.with_user(SUPERUSER_ID)
        known = {record.apicbase_id: record for record in Inbox.search(
            [("company_id", "=", company.id), ("apicbase_id", "in", list(statuses))])}
        updated = sum(known[order_id]._apply_status(status) for order_id, status in statuses.items()
                      if order_id in known)
        recovered = self._recover(company, items, set(known))
        marked = self._mark_in_apicbase(company, client)
        return {"updated": updated, "recovered": len(recovered), "marked": marked, "unreadable": unreadable}

    @api.model
    def _follow_up_start(self, company):
        """The window starts at the oldest order still open here (not closed or not paid), at most
        FOLLOW_UP_MAX_DAYS back, and at least the configured number of days back."""
        now = fields.Datetime.now()
        start = now - dt.timedelta(days=max(1, company.apicbase_reconcile_days or 30))
        oldest_open = self.with_user(SUPERUSER_ID).search(
            [("company_id", "=", company.id), ("state", "=", "done"), ("ordered_on", "!=", False),
             ("ordered_on", ">=", now - dt.timedelta(days=FOLLOW_UP_MAX_DAYS)),
             "|", ("delivery_closed", "=", False), ("invoice_status", "!=", "3")],
            order="ordered_on", limit=1).ordered_on
        return min(start, oldest_open - dt.timedelta(seconds=1)) if oldest_open else start

    @api.model
    def _read_statuses(self, items):
        statuses, unreadable = {}, 0
        for item in items:
            try:
                status = apicbase_payload.parse_order_status(item)
            except PayloadError as exc:
                unreadable += 1
                _logger.warning("Apicbase purchase order skipped by reconciliation: %s", exc)
                continue
            statuses[status.id] = status
        return statuses, unreadable

    def _apply_status(self, status):
        """Writes what changed; returns 1 when the order's state did change (for the count), else 0.

        Apicbase's fetched/viewed stamps are irreversible: one is copied when present, a local one
        is never cleared (the list may simply not carry them).
        """
        self.ensure_one()
        values = {
            "apicbase_status": status.status,
            "delivery_closed": bool(status.delivery_closed),
            "invoice_status": str(status.invoice_status) if status.invoice_status is not None else False,
        }
        for name in ("viewed_by_supplier_at", "fetched_by_supplier_at"):
            if getattr(status, name):
                values[name] = naive_utc(getattr(status, name))  # Apicbase's own clock: UTC
        changes = {name: value for name, value in values.items() if self[name] != value}
        if not changes:
            return 0
        described = self._describe_changes(changes)
        self.write({**changes, "reconciled_at": fields.Datetime.now()})
        if not described:
            return 0  # stamps only: kept, but no news
        if self.sale_order_id:
            self.sale_order_id.message_post(body=_("Apicbase: %s", described), subtype_xmlid="mail.mt_note")
        return 1

    def _describe_changes(self, changes):
        parts = []
        if "apicbase_status" in changes:
            parts.append(_("status %(old)s → %(new)s", old=self.apicbase_status or "-", new=changes["apicbase_status"]))
        if changes.get("delivery_closed"):
            parts.append(_("delivery closed by the restaurant"))
        if changes.get("invoice_status") not in (None, False, "0"):  # "not received yet" is no news
            labels = dict(self._fields["invoice_status"]._description_selection(self.env))
            parts.append(_("invoice %s", labels[changes["invoice_status"]].lower()))
        return ", ".join(parts)

    @api.model
    def _recover(self, company, items, known_ids):
        """Stores and processes ORDERED orders we never received; one failure skips one order."""
        # Any company holding the order has it: the same credentials may serve two companies.
        held = set(self.with_user(SUPERUSER_ID).search(
            [("apicbase_id", "in", [str(item.get("id")) for item in items if isinstance(item, dict)])]
        ).mapped("apicbase_id")) | known_ids
        # A webhook may be on its way for an order placed moments ago: let it arrive first.
        settled = fields.Datetime.now() - RECOVERY_GRACE
        tz = company._apicbase_tz()
        recovered = self.browse()
        for item in items:
            if not isinstance(item, dict) or item.get("status") != "ORDERED" or str(item.get("id")) in held:
                continue
            try:
                order = apicbase_payload.parse_order(item, statuses=apicbase_payload.ORDER_STATUSES)
            except PayloadError as exc:
                _logger.warning("Apicbase order %s not recovered: %s", item.get("id"), exc)
                continue
            if naive_utc(order.ordered_on, tz) > settled:
                continue
            try:
                with self.env.cr.savepoint():
                    outcome, record = self._receive(company, json.dumps(item, default=str), order,
                                                    source="recovery", refuse_unmapped=False)
                    if outcome != "duplicate":
                        record._apply_status(apicbase_payload.parse_order_status(item))
                        recovered |= record
            except Exception as exc:  # noqa: BLE001 - e.g. the webhook arriving right now: next run
                _logger.warning("Apicbase order %s not recovered this time: %s", item.get("id"), exc)
        return recovered

    @api.model
    def _mark_in_apicbase(self, company, client):
        """PATCHes fetched (every order we hold) and viewed (confirmed, still expected, if set).

        A refused PATCH is logged and the local stamps stay empty, so the next run asks again;
        it never undoes what the run recovered or updated.
        """
        base = [("company_id", "=", company.id), ("state", "!=", "refused"),
                ("received_at", ">=", fields.Datetime.now() - dt.timedelta(days=FOLLOW_UP_MAX_DAYS))]
        inbox = self.with_user(SUPERUSER_ID)
        to_fetch = inbox.search(base + [("fetched_by_supplier_at", "=", False)])
        to_view = inbox.search(base + [("viewed_by_supplier_at", "=", False), ("apicbase_status", "=", "ORDERED"),
                                       ("delivery_closed", "=", False), ("sale_order_id.state", "=", "sale")]) \
            if company.apicbase_acknowledge else inbox.browse()
        marked = 0
        for records, flag, stamp in ((to_fetch, "fetched", "fetched_by_supplier_at"),
                                     (to_view, "viewed", "viewed_by_supplier_at")):
            if not records:
                continue
            try:
                client.mark_purchase_orders(records.mapped("apicbase_id"), **{flag: True})
            except ApicbaseError as exc:
                _logger.warning("Apicbase refused to mark %s order(s) as %s: %s", len(records), flag, exc)
                continue
            records.write({stamp: fields.Datetime.now()})
            marked += len(records)
            if flag == "viewed":
                for record in records:
                    record.sale_order_id.message_post(
                        body=_("Acknowledged in Apicbase: the restaurant sees the order as viewed by the supplier."),
                        subtype_xmlid="mail.mt_note")
        return marked

    @api.model
    def _cron_reconcile(self):
        for company in self.env["res.company"]._apicbase_connected_companies():
            try:
                with self.env.cr.savepoint():
                    self._reconcile(company)
            except Exception as exc:  # noqa: BLE001 - one company's trouble must not stop the others
                _logger.warning("Apicbase reconciliation failed for company %s: %s", company.id, exc,
                                exc_info=not isinstance(exc, (ApicbaseError, UserError)))

    def action_reconcile(self):
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only sales managers can check Apicbase on demand; it runs every hour anyway."))
        companies = self.company_id or self.env.company
        totals = {"updated": 0, "recovered": 0, "marked": 0, "unreadable": 0}
        for company in companies:
            try:
                result = self._reconcile(company)
            except ApicbaseError as exc:
                raise UserError(_("Reading purchase orders from Apicbase failed: %s", exc)) from None
            for key in totals:
                totals[key] += result[key]
        return notification(_("Apicbase checked: %(updated)s order(s) updated, %(recovered)s recovered, "
                              "%(marked)s marked in Apicbase, %(unreadable)s unreadable (see the server log).",
                              **totals))

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
            raise UserError(_("Only orders that are waiting or need attention can be retried."))
        for record in to_process:
            record.message_post(body=_("Retried by %s.", self.env.user.name))
        to_process.with_user(SUPERUSER_ID).with_context(clean_context(self.env.context))._process()
        done = to_process.filtered(lambda r: r.state == "done")
        message = _("%(done)s of %(total)s order(s) now have a sale order.",
                    done=len(done), total=len(to_process))
        return notification(message, "success" if len(done) == len(to_process) else "warning",
                            next_action={"type": "ir.actions.act_window_close"} if len(self) > 1 else RELOAD)

    def action_open_sale_order(self):
        self.ensure_one()
        return open_records("sale.order", res_id=self.sale_order_id.id)


def _text(raw):
    return raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
