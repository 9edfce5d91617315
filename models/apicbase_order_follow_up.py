"""The follow-up of Apicbase purchase orders: what Apicbase says of the orders since, and the
orders whose webhook never arrived.

"Follow-up" is the connector's one name for what the mission calls reconciliation (methods, tests,
the benchmark). The stored names from before keep "reconcile" (the field ``reconciled_at``, the
setting ``apicbase_reconcile_days``, the scheduled action ``ir_cron_apicbase_reconcile``): renaming
them would cost every database a migration and gain its users nothing."""
import datetime as dt
import json
import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import split_every

from ..apicbase import invoices as invoices_lib
from ..apicbase import payload as apicbase_payload
from ..apicbase.client import PAGE_SIZE
from ..apicbase.errors import ApicbaseError, PayloadError
from ..apicbase.payload import naive_utc
from ..const import FOLLOW_UP_BATCH, FOLLOW_UP_MAX_DAYS, RECOVERY_GRACE
from ..compat import cron_progress
from .actions import is_apicbase_manager, run_in_background
from .system import as_system

_logger = logging.getLogger(__name__)


# One concern a file: the follow-up, apart from intake and processing (models/apicbase_order.py).
class ApicbaseOrder(models.Model):
    _inherit = "apicbase.order"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _follow_up(self, company):
        """Brings the Apicbase state of recent orders up to date and recovers lost ones, in one go.

        Reads the purchase orders of the follow-up window through the API (paginated, oldest
        first), updates the status, delivery and invoice state of the orders we hold, stores and
        processes the ORDERED ones whose webhook never arrived (through the same path as the
        webhook, never refusing), then tells Apicbase which orders we fetched (and, if set,
        acknowledged). Returns counts: updated, recovered, marked, unreadable. The scheduled
        action does the same a few pages per call (``_cron_follow_up``).
        """
        run, client = self._follow_up_begin(company), company._apicbase_client()
        self._follow_up_pages(company, run, client)
        return self._follow_up_finish(company, run, client)

    @api.model
    def _follow_up_begin(self, company, page_size=PAGE_SIZE):
        """A run's state: its window and page size (fixed for the whole run, so that page numbers
        stay valid between calls of the scheduled action), the next page and what was found."""
        return {"since": fields.Datetime.to_string(self._follow_up_start(company)), "page": 1,
                "page_size": page_size, "updated": 0, "recovered": 0, "unreadable": 0,
                "started": fields.Datetime.to_string(fields.Datetime.now())}

    @api.model
    def _follow_up_pages(self, company, run, client, max_pages=None):
        """Follows up the pages of ``run`` from its next page on, ``max_pages`` at most, updating
        ``run``; True once the window is read to its end."""
        since = fields.Datetime.to_datetime(run["since"]).replace(tzinfo=dt.timezone.utc)
        pages = client.purchase_order_pages(
            ordered_after=since, first_page=run["page"], page_size=run["page_size"],
            status__in="ORDERED,DELIVERED", ordering="ordered_on")
        read = 0
        for number, items, more in pages:
            self._follow_up_page(company, items, run)
            run["page"], read = number + 1, read + 1
            if not more:
                return True
            if max_pages and read >= max_pages:
                return False
        return True

    @api.model
    def _follow_up_page(self, company, items, run):
        """One page, read and written in a handful of queries, then forgotten: memory stays flat
        however many orders the window holds."""
        inbox_sudo = as_system(self)
        statuses, unreadable = self._read_statuses(items)
        known = {record.apicbase_id: record for record in inbox_sudo.search(
            [("company_id", "=", company.id), ("apicbase_id", "in", list(statuses))])}
        run["updated"] += inbox_sudo._apply_statuses(
            {known[order_id]: status for order_id, status in statuses.items() if order_id in known})
        run["recovered"] += len(self._recover(company, items, set(known)))
        run["unreadable"] += unreadable
        self._forget_page()

    def _forget_page(self):
        """Writes out and drops what a page brought into the cache, so that memory stays flat however
        many pages the window holds (the little every page needs again is read again: a query or two)."""
        self.env.invalidate_all()  # flushes first

    @api.model
    def _follow_up_finish(self, company, run, client):
        """Once every page is read: the marks in Apicbase, and what the run found."""
        totals = {key: run[key] for key in ("updated", "recovered", "unreadable")}
        totals["marked"] = self._mark_in_apicbase(company, client)
        _logger.info("Apicbase follow-up of company %s: %s", company.id, totals)
        company._apicbase_record_follow_up(  # for the overview
            fields.Datetime.to_datetime(run["started"]), totals)
        return totals

    @api.model
    def _follow_up_start(self, company):
        """The window starts at the oldest order not settled on both sides, at most FOLLOW_UP_MAX_DAYS
        back, and at least the configured number of days back. Settled: closed and paid in Apicbase,
        every invoice here paid, and nothing disagreeing; a payment late on either side is so still
        compared."""
        now = fields.Datetime.now()
        start = now - dt.timedelta(days=max(1, company.apicbase_reconcile_days or 30))
        oldest_open = as_system(self).search(
            [("company_id", "=", company.id), ("state", "=", "done"), ("ordered_on", "!=", False),
             ("ordered_on", ">=", now - dt.timedelta(days=FOLLOW_UP_MAX_DAYS)),
             "|", "|", "|", ("delivery_closed", "=", False), ("invoice_status", "!=", "3"),
             ("invoice_disagreement", "!=", False),
             ("sale_order_id.order_line.invoice_lines.move_id", "any", [
                 ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
                 ("payment_state", "not in", invoices_lib.SETTLED_PAYMENT_STATES + ("reversed",))])],
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
                _logger.warning("Apicbase purchase order skipped by the follow-up: %s", exc)
                continue
            statuses[status.id] = status
        return statuses, unreadable

    def _apply_status(self, status):
        self.ensure_one()
        return self._apply_statuses({self: status})

    @api.model
    def _apply_statuses(self, status_by_record):
        """Writes what changed, records with the same changes together, and logs the news on their
        sale orders in one go; returns how many orders' state changed.

        Apicbase's fetched/viewed stamps are irreversible: one is copied when present, a local one
        is never cleared (the list may simply not carry them).
        """
        now = fields.Datetime.now()
        ids_by_changes, notes, updated = defaultdict(list), {}, 0
        for record, status in status_by_record.items():
            changes = record._status_changes(status)
            if not changes:
                continue
            ids_by_changes[tuple(sorted(changes.items()))].append(record.id)
            described = record._describe_changes(changes)
            if described:  # stamps only: kept, but no news
                updated += 1
                if record.sale_order_id:
                    notes[record.sale_order_id.id] = self.env._("Apicbase: %s", described)
        for changes, ids in ids_by_changes.items():
            self.browse(ids).write({**dict(changes), "reconciled_at": now})
        if notes:
            self.env["sale.order"].browse(list(notes))._message_log_batch(bodies=notes)
        # Every order seen, changed or not: a sale order may have changed here since the last run.
        self.browse([record.id for record in status_by_record])._flag_contradictions()
        return updated

    def _status_changes(self, status):
        """The fields ``status`` (read from Apicbase) changes on this order."""
        values = {
            "apicbase_status": status.status,
            "delivery_closed": bool(status.delivery_closed),
            "invoice_status": str(status.invoice_status) if status.invoice_status is not None else False,
            "invoice_number": status.invoice_number or False,
        }
        for name in ("viewed_by_supplier_at", "fetched_by_supplier_at"):
            # Apicbase's stamp fills an empty one; it does not rewrite ours (the same event, seen
            # by two clocks), which would be a write on every order at every run.
            if getattr(status, name) and not self[name]:
                values[name] = naive_utc(getattr(status, name))  # Apicbase's own clock: UTC
        return {name: value for name, value in values.items() if self[name] != value}

    def _describe_changes(self, changes):
        parts = []
        if "apicbase_status" in changes:
            parts.append(self.env._("status %(old)s → %(new)s", old=self.apicbase_status or "-",
                                    new=changes["apicbase_status"]))
        if changes.get("delivery_closed"):
            parts.append(self.env._("delivery closed by the restaurant"))
        if changes.get("invoice_status") not in (None, False, "0"):  # "not received yet" is no news
            labels = dict(self._fields["invoice_status"]._description_selection(self.env))
            parts.append(self.env._("invoice %s", labels[changes["invoice_status"]].lower()))
        if changes.get("invoice_number"):
            parts.append(self.env._("invoice number %s", changes["invoice_number"]))
        return ", ".join(parts)

    @api.model
    def _recover(self, company, items, known_ids):
        """Stores and processes ORDERED orders we never received; one failure skips one order."""
        candidates = [item for item in items if isinstance(item, dict) and item.get("status") == "ORDERED"
                      and str(item.get("id")) not in known_ids]
        if not candidates:  # the usual page: every order is ours already
            return self.browse()
        # Any company holding the order has it: the same credentials may serve two companies.
        held = set(as_system(self).search(
            [("apicbase_id", "in", [str(item.get("id")) for item in candidates])]).mapped("apicbase_id"))
        # A webhook may be on its way for an order placed moments ago: let it arrive first.
        settled = fields.Datetime.now() - RECOVERY_GRACE
        tz = company._apicbase_tz()
        recovered = self.browse()
        for item in candidates:
            if str(item.get("id")) in held:
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
                    outcome, record = self._receive(company, json.dumps(item, default=str), order, source="recovery")
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
        inbox_sudo = as_system(self)
        to_fetch = inbox_sudo.search(base + [("fetched_by_supplier_at", "=", False)])
        to_view = inbox_sudo.search(base + [("viewed_by_supplier_at", "=", False), ("apicbase_status", "=", "ORDERED"),
                                            ("delivery_closed", "=", False), ("sale_order_id.state", "=", "sale")]) \
            if company.apicbase_acknowledge else inbox_sudo.browse()
        marked = 0
        for found, flag, stamp in ((to_fetch, "fetched", "fetched_by_supplier_at"),
                                   (to_view, "viewed", "viewed_by_supplier_at")):
            for records in split_every(PAGE_SIZE, found.ids, found.browse):  # bounded bodies, a page at a time
                try:
                    client.mark_purchase_orders(records.mapped("apicbase_id"), **{flag: True})
                except ApicbaseError as exc:
                    _logger.warning("Apicbase refused to mark %s order(s) as %s: %s", len(records), flag, exc)
                    continue
                records.write({stamp: fields.Datetime.now()})
                marked += len(records)
                if flag == "viewed":
                    note = self.env._(
                        "Acknowledged in Apicbase: the restaurant sees the order as viewed by the supplier.")
                    records.sale_order_id._message_log_batch(bodies=dict.fromkeys(records.sale_order_id.ids, note))
                self._forget_page()  # as for the pages read: memory stays flat
        return marked

    @api.model
    def _cron_follow_up(self, limit=FOLLOW_UP_BATCH, page_size=PAGE_SIZE):
        """The follow-up of every connected company, ``limit`` pages a call: Odoo's scheduler
        commits each call and calls again while a company's run goes on. A run interrupted (a
        killed worker) goes on from its next page at the next call."""
        companies = self.env["res.company"]._apicbase_connected_companies()
        running = companies.filtered("apicbase_follow_up_run")
        if not running:
            for company in companies:
                company.apicbase_follow_up_run = self._follow_up_begin(company, page_size)
            running = companies
        company = running[:1]
        if company:
            run = dict(company.apicbase_follow_up_run)
            try:
                with self.env.cr.savepoint():
                    client = company._apicbase_client()  # one token for the pages and the marks
                    finished = self._follow_up_pages(company, run, client, limit)
                    if finished:
                        self._follow_up_finish(company, run, client)
                company.apicbase_follow_up_run = False if finished else run
            except Exception as exc:  # noqa: BLE001 - one company's trouble must not stop the others
                _logger.warning("Apicbase follow-up failed for company %s: %s", company.id, exc,
                                exc_info=not isinstance(exc, (ApicbaseError, UserError)))
                company._apicbase_record_follow_up(fields.Datetime.now(), error=exc)
                company.apicbase_follow_up_run = False  # the next run starts it over
        remaining = len(running.filtered("apicbase_follow_up_run"))
        cron_progress(self.env, len(company), remaining)

    def action_follow_up(self):
        """Checks the connection at once (a wrong setting shows here), then leaves the follow-up,
        which may read thousands of orders, to the scheduled action."""
        if not is_apicbase_manager(self.env):
            raise AccessError(self.env._(
                "Only sales managers can check Apicbase on demand; it runs every hour anyway."))
        for company in self.company_id or self.env.company:
            try:
                company._apicbase_client().test_connection()
            except ApicbaseError as exc:
                raise UserError(self.env._("Reading purchase orders from Apicbase failed: %s", exc)) from None
        return run_in_background(self.env, "apicbase_connector.ir_cron_apicbase_reconcile", self.env._(
            "Apicbase is being checked in the background: order states are brought up to date and "
            "missing orders recovered within a few minutes."))
