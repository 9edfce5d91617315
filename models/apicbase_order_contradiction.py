"""Contradictions between an Apicbase order and its sale order, each a to-do for a person: one at a
time, given again after it is marked done only while the contradiction stands.

Two concern deliveries: the sale order is cancelled while the restaurant still expects the
delivery (Apicbase: ordered, not closed), and the restaurant has the order delivered or closed while
Odoo still holds a quotation or, with Inventory, a delivery not done. Five concern invoices (see
apicbase_order_invoice.py); they go to a person who handles invoices. All are looked for where
either side changes: when a sale order is cancelled, and when the follow-up reads Apicbase.
"""
from markupsafe import Markup

from odoo import api, fields, models

from ..apicbase import invoices as invoices_lib
from ..compat import domain_or
from .system import as_system

CANCELLED = "cancelled"  # cancelled here, still expected in Apicbase
UNDELIVERED = "undelivered"  # delivered or closed in Apicbase, still open here
KINDS = (CANCELLED, UNDELIVERED, *invoices_lib.KINDS)
# Inventory's delivery states of a sale order that still has goods to deliver.
UNDELIVERED_STATES = ("pending", "started", "partial")


class ApicbaseOrder(models.Model):
    _inherit = "apicbase.order"

    @api.model
    def _tracks_deliveries(self):
        """Whether sale orders carry a delivery state: only with Inventory (sale_stock), which
        this addon does not require."""
        return "delivery_status" in self.env["sale.order"]._fields

    @api.model
    def _contradiction_domains(self):
        """{kind: domain of the inbox orders whose sale order contradicts Apicbase that way}."""
        still_open = [("sale_order_id.state", "in", ("draft", "sent"))]
        if self._tracks_deliveries():
            still_open = ["|", *still_open, "&", ("sale_order_id.state", "=", "sale"),
                          ("sale_order_id.delivery_status", "in", UNDELIVERED_STATES)]
        return {
            CANCELLED: [("sale_order_id.state", "=", "cancel"), ("apicbase_status", "=", "ORDERED"),
                        ("delivery_closed", "=", False)],
            UNDELIVERED: ["|", ("delivery_closed", "=", True), ("apicbase_status", "=", "DELIVERED"),
                          *still_open],
        }

    @api.model
    def _contradiction_domain(self):
        """The orders whose sale order contradicts Apicbase, whatever the contradiction."""
        return domain_or(list(self._contradiction_domains().values()))

    def _flag_contradictions(self):
        """Gives the responsible a to-do on each of these orders' sale orders that contradicts
        Apicbase, unless one is open already for the same contradiction. A few queries whatever
        the number of orders; returns the activities created."""
        activities_sudo = as_system(self.env["mail.activity"])
        if not self:
            return activities_sudo
        found = {}  # (sale order, kind): inbox order
        for kind, domain in self._contradiction_domains().items():
            for record in as_system(self).search([("id", "in", self.ids), *domain]):
                found[record.sale_order_id, kind] = record
        for record, kinds in self._compare_invoices().items():
            for kind in kinds:
                found[record.sale_order_id, kind] = record
        if not found:
            return activities_sudo
        kind_by_summary = self._contradiction_summaries()
        flagged = {(activity.res_id, kind_by_summary[activity.summary]) for activity in activities_sudo.search([
            ("res_model", "=", "sale.order"), ("res_id", "in", list({sale.id for sale, _kind in found})),
            ("summary", "in", list(kind_by_summary))])}
        todo = self._todo_activity_type()  # looked up once: each lookup is a query
        assignees = {}  # (company, invoices or deliveries, salesperson): user, each looked up once
        values = []
        for (sale, kind), record in found.items():
            if (sale.id, kind) in flagged:
                continue
            key = (record.company_id, kind in invoices_lib.KINDS, sale.user_id)
            if key not in assignees:
                assignees[key] = record._contradiction_assignee(kind)
            values.append(record._contradiction_activity(kind, todo, assignees[key]))
        # The to-dos show in the assignee's activities at once; an e-mail for each would flood the
        # inbox of whoever a follow-up run gives fifty of them.
        return activities_sudo.with_context(mail_activity_quick_update=True).create(
            [value for value in values if value])

    @api.model
    def _contradiction_summaries(self):
        """{summary: kind} in every installed language: an activity created in one language is
        recognised whoever's language the next check runs in."""
        return {self.with_context(lang=code)._contradiction_summary(kind): kind
                for code, _name in self.env["res.lang"].get_installed() for kind in KINDS}

    @api.model
    def _contradiction_summary(self, kind):
        if kind in invoices_lib.KINDS:
            return self._invoice_summary(kind)
        if kind == CANCELLED:
            return self.env._("Cancelled here, still expected in Apicbase")
        return self.env._("Delivered in Apicbase, still open here")

    def _contradiction_assignee(self, kind):
        """Who is given the to-do: for a delivery, the company's Apicbase responsible, else the
        salesperson; for an invoice, someone who handles invoices (nobody when the company has no
        one who may read them)."""
        self.ensure_one()
        sale = self.sale_order_id
        if kind in invoices_lib.KINDS:
            return self.company_id._apicbase_invoice_responsible(sale)
        return self.company_id.apicbase_user_id or sale.user_id or self.company_id._apicbase_responsible_user()

    def _contradiction_activity(self, kind, activity_type, user):
        """The to-do's values for ``user`` (see _contradiction_assignee), in its language;
        None when there is nobody to give it to."""
        self.ensure_one()
        sale = self.sale_order_id
        if kind in invoices_lib.KINDS and not user:
            return None
        in_lang = self.with_context(lang=user.lang or self.env.lang)
        return {
            "res_model_id": self.env["ir.model"]._get_id("sale.order"),
            "res_id": sale.id,
            "activity_type_id": activity_type.id,
            "summary": in_lang._contradiction_summary(kind),
            "note": Markup("<p>%s</p>") % in_lang._contradiction_note(kind),
            "user_id": user.id or self.env.uid,
            "date_deadline": fields.Date.context_today(self),
        }

    def _contradiction_note(self, kind):
        """What contradicts what, and what to do about it."""
        if kind in invoices_lib.KINDS:
            return self._invoice_note(kind)
        number, sale = self.name or self.apicbase_id, self.sale_order_id.name
        if kind == CANCELLED:
            return self.env._("Sale order %(sale)s is cancelled, but Apicbase order %(number)s is still ordered and "
                              "not closed: the restaurant still expects the delivery. Tell the restaurant, so that it "
                              "closes the order in Apicbase, or set the sale order back to quotation if it is to be "
                              "delivered after all.", sale=sale, number=number)
        if self.delivery_closed and self.apicbase_status == "DELIVERED":
            apicbase = self.env._("delivered and closed by the restaurant")
        elif self.delivery_closed:
            apicbase = self.env._("closed by the restaurant")
        else:
            apicbase = self.env._("delivered")
        if self.sale_order_id.state in ("draft", "sent"):
            return self.env._(
                "Apicbase order %(number)s is %(apicbase)s, but sale order %(sale)s is still a quotation. If the "
                "goods went out, confirm it (then deliver and invoice it); if they will not, cancel it; if in "
                "doubt, ask the restaurant.", number=number, apicbase=apicbase, sale=sale)
        return self.env._("Apicbase order %(number)s is %(apicbase)s, but the delivery of sale order %(sale)s is not "
                          "done. If the goods went out, validate the delivery; if what remains will not be "
                          "delivered, cancel it (no backorder); otherwise ask the restaurant.",
                          number=number, apicbase=apicbase, sale=sale)
