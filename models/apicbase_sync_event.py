import datetime as dt
import hashlib
import json
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..apicbase.errors import ApicbaseError
from ..apicbase.payload import naive_utc, parse_datetime
from ..compat import sql_constraints
from ..const import EVENT_CLOCK_SKEW, EVENT_TYPES
from .system import as_system

_logger = logging.getLogger(__name__)


class ApicbaseSyncEvent(models.Model):
    """What Apicbase reported while it processed our assortment files."""

    _name = "apicbase.sync.event"
    _description = "Apicbase Sync Event"
    _order = "created_at desc, id desc"
    _rec_name = "message"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    key = fields.Char(required=True, readonly=True, help="Fingerprint: Apicbase events carry no id.")
    created_at = fields.Datetime(readonly=True, index=True)
    event_type = fields.Selection(EVENT_TYPES, readonly=True, index=True)
    message = fields.Text(readonly=True)
    customer_number = fields.Char(readonly=True, index=True)
    third_party_id = fields.Char(string="Article Number", readonly=True, index=True)
    extra_data = fields.Text(readonly=True)
    current = fields.Boolean(
        default=True, readonly=True, index=True,
        help="Unticked once the assortment is published again: the event speaks of an older file.")
    assortment_id = fields.Many2one("apicbase.assortment", readonly=True, index="btree_not_null",
                                    ondelete="set null")
    product_id = fields.Many2one("product.product", readonly=True, index="btree_not_null", ondelete="set null")
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True, index="btree_not_null")

    locals().update(sql_constraints(
        ("key_company_unique", "unique(company_id, key)", "An Apicbase event is stored once."),
    ))

    def _worst_state(self):
        current = self.filtered("current")
        types = set(current.mapped("event_type"))
        if types & {"CRITICAL", "ERROR"}:
            return "error"
        if "WARNING" in types:
            return "warning"
        return "ok" if current else "none"

    @api.model
    def _event_key(self, event):
        fingerprint = "|".join(str(event.get(name) or "") for name in
                               ("created_at", "event_type", "customer_number", "third_party_id", "message"))
        return hashlib.sha1(fingerprint.encode("utf-8")).hexdigest()

    @api.model
    def _poll(self, company):
        """Reads the events Apicbase logged since the newest one we have; returns the new records."""
        client = company._apicbase_client()
        since = company.apicbase_last_event_at
        events = list(client.iter_events(created_since=since.replace(tzinfo=dt.timezone.utc) if since else None))
        created = self._store(company, events)
        newest = max((record.created_at for record in created if record.created_at), default=None)
        values = {"apicbase_last_events_poll_at": fields.Datetime.now()}
        if newest and (not company.apicbase_last_event_at or newest > company.apicbase_last_event_at):
            values["apicbase_last_event_at"] = newest
        as_system(company).write(values)
        created.assortment_id._update_sync_state()
        return created

    @api.model
    def _store(self, company, events):
        """Creates the events not stored yet, linked to their assortment and product, in a few queries."""
        by_key = {}
        for event in events:
            if isinstance(event, dict):
                by_key.setdefault(self._event_key(event), event)
        if not by_key:
            return self.browse()
        known = set(self.search([("company_id", "=", company.id), ("key", "in", list(by_key))]).mapped("key"))
        fresh = {key: event for key, event in by_key.items() if key not in known}
        numbers = {event.get("third_party_id") for event in fresh.values()}
        products = self.env["product.product"]._apicbase_find(numbers, company)
        customers = {event.get("customer_number") for event in fresh.values()} - {None}
        assortments = {a.customer_number: a for a in self.env["apicbase.assortment"].search(
            [("company_id", "=", company.id), ("customer_number", "in", list(customers))])}
        return self.create([self._values(company, key, event, products, assortments)
                            for key, event in fresh.items()])

    def _values(self, company, key, event, products, assortments):
        product = products.get(event.get("third_party_id")) or self.env["product.product"]
        assortment = assortments.get(event.get("customer_number")) or self.env["apicbase.assortment"]
        created_at = naive_utc(parse_datetime(event["created_at"])) if event.get("created_at") else None
        event_type = event.get("event_type") if event.get("event_type") in dict(EVENT_TYPES) else "INFO"
        extra = event.get("extra_data")
        return {
            "company_id": company.id,
            "key": key,
            "created_at": created_at or False,
            # Read late, about a file that has been replaced since: kept, but no longer current.
            "current": not (created_at and assortment.last_published_at
                            and created_at < assortment.last_published_at - EVENT_CLOCK_SKEW),
            "event_type": event_type,
            "message": str(event.get("message") or ""),
            "customer_number": event.get("customer_number") or False,
            "third_party_id": event.get("third_party_id") or False,
            "extra_data": json.dumps(extra, default=str) if extra is not None else False,
            "assortment_id": assortment.id,
            "product_id": product.id if len(product) == 1 else False,
        }

    @api.model
    def _cron_poll(self):
        for company in self.env["res.company"]._apicbase_connected_companies():
            try:
                with self.env.cr.savepoint():  # one company's trouble must not undo another's events
                    self._poll(company)
            except Exception as exc:  # noqa: BLE001 - one company's trouble must not stop the others
                _logger.warning("Apicbase events poll failed for company %s: %s", company.id, exc,
                                exc_info=not isinstance(exc, (ApicbaseError, UserError)))
