"""The integration's health at a glance: one card per company (Sales → Apicbase → Overview).

A database view gives one row per company; its figures are computed on reading, for all the
companies shown at once, in a handful of grouped queries. Each figure opens the list behind it.
"""
import datetime as dt

from odoo import fields, models, tools
from odoo.tools.misc import _format_time_ago

from .actions import open_records
from .system import as_system

API_ERROR_WINDOW = dt.timedelta(days=1)
JUST_NOW = dt.timedelta(minutes=1)
ERROR_EVENT_TYPES = ("ERROR", "CRITICAL")


class ApicbaseOverview(models.Model):
    _name = "apicbase.overview"
    _description = "Apicbase Overview"
    _auto = False
    _order = "company_id"
    _rec_name = "company_id"

    company_id = fields.Many2one("res.company", readonly=True)
    connected = fields.Boolean(compute="_compute_figures", help="The API client id and secret are set.")
    last_order_id = fields.Many2one("apicbase.order", compute="_compute_figures")
    last_order_at = fields.Datetime(string="Last Order Received", compute="_compute_figures")
    last_order_age = fields.Char(compute="_compute_figures")
    attention_count = fields.Integer(string="Orders Needing Attention", compute="_compute_figures")
    waiting_count = fields.Integer(string="Orders Waiting", compute="_compute_figures",
                                   help="Stored, not processed yet: the scheduled action takes them.")
    contradiction_count = fields.Integer(
        string="Contradictions", compute="_compute_figures",
        help="Sale orders cancelled while Apicbase expects them, or still open while Apicbase has them "
             "delivered or closed.")
    invoice_disagreement_count = fields.Integer(
        string="Invoices Disagreeing", compute="_compute_figures",
        help="Orders whose invoice state in Apicbase disagrees with their invoices here.")
    rounded_line_count = fields.Integer(
        string="Lines With a Rounded Price", compute="_compute_figures",
        help="Apicbase order lines whose price had more decimals than the Product Price precision.")
    follow_up_at = fields.Datetime(related="company_id.apicbase_follow_up_at")
    follow_up_age = fields.Char(compute="_compute_figures")
    follow_up_failed = fields.Boolean(compute="_compute_figures")
    follow_up_summary = fields.Char(string="Last Follow-up Found", compute="_compute_figures")
    last_publish_at = fields.Datetime(related="company_id.apicbase_last_publish_at")
    last_publish_age = fields.Char(compute="_compute_figures")
    event_error_count = fields.Integer(
        string="Sync Event Errors", compute="_compute_figures",
        help="Errors Apicbase reported on the assortment files it holds now.")
    api_error_count = fields.Integer(string="API Errors (24 h)", compute="_compute_figures")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                SELECT id, id AS company_id FROM res_company WHERE active
            )""")

    # ------------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------------

    def _compute_figures(self):
        company_ids = self.company_id.ids
        in_companies = [("company_id", "in", company_ids)]
        Order = self.env["apicbase.order"]
        by_state = {(company.id, state): count for company, state, count in Order._read_group(
            in_companies + [("state", "in", ("received", "failed"))], ["company_id", "state"], ["__count"])}
        last_ids = [last_id for _company, last_id in Order._read_group(in_companies, ["company_id"], ["id:max"])]
        last_order = {order.company_id.id: order for order in Order.browse(last_ids)}  # read together
        contradictions = {company.id: count for company, count in Order._read_group(
            in_companies + Order._contradiction_domain(), ["company_id"], ["__count"])}
        event_errors = {company.id: count for company, count in self.env["apicbase.sync.event"]._read_group(
            in_companies + [("current", "=", True), ("event_type", "in", ERROR_EVENT_TYPES)],
            ["company_id"], ["__count"])}
        api_errors = {company.id: count for company, count in self.env["apicbase.api.error"]._read_group(
            in_companies + [("occurred_at", ">=", fields.Datetime.now() - API_ERROR_WINDOW)],
            ["company_id"], ["__count"])}
        invoice_disagreements = {company.id: count for company, count in Order._read_group(
            in_companies + [("invoice_disagreement", "!=", False)], ["company_id"], ["__count"])}
        rounded = {company.id: count for company, count in self.env["sale.order.line"]._read_group(
            in_companies + [("apicbase_price_rounded", "=", True)], ["company_id"], ["__count"])}
        # The credentials are readable by Settings administrators only: whether they are set is not secret.
        connected = {company.id for company in as_system(self.company_id)
                     if company.apicbase_client_id and company.apicbase_client_secret}
        for overview in self:
            company = overview.company_id
            order = last_order.get(company.id, Order)
            overview.update({
                "connected": company.id in connected,
                "last_order_id": order.id,
                "last_order_at": order.received_at,
                "last_order_age": self._ago(order.received_at),
                "attention_count": by_state.get((company.id, "failed"), 0),
                "waiting_count": by_state.get((company.id, "received"), 0),
                "contradiction_count": contradictions.get(company.id, 0),
                "invoice_disagreement_count": invoice_disagreements.get(company.id, 0),
                "rounded_line_count": rounded.get(company.id, 0),
                "follow_up_age": self._ago(company.apicbase_follow_up_at),
                "follow_up_failed": bool(company.apicbase_follow_up_error),
                "follow_up_summary": overview._follow_up_summary(),
                "last_publish_age": self._ago(company.apicbase_last_publish_at),
                "event_error_count": event_errors.get(company.id, 0),
                "api_error_count": api_errors.get(company.id, 0),
            })

    def _follow_up_summary(self):
        company = self.company_id
        if not company.apicbase_follow_up_at:
            return self.env._("Not run yet")
        if company.apicbase_follow_up_error:
            return self.env._("Failed: %s", company.apicbase_follow_up_error)
        found = company.apicbase_follow_up_result or {}
        return self.env._("%(updated)s updated, %(recovered)s recovered, %(marked)s marked in Apicbase, "
                          "%(unreadable)s unreadable", **{key: found.get(key, 0)
                                                 for key in ("updated", "recovered", "marked", "unreadable")})

    def _ago(self, moment):
        """``moment`` as people say it: "3 hours ago", in the reader's language."""
        if not moment:
            return False
        age = fields.Datetime.now() - moment
        if age < JUST_NOW:  # seconds are noise here, and a clock a little ahead would say "in 2 seconds"
            return self.env._("just now")
        return _format_time_ago(self.env, age)

    # ------------------------------------------------------------------
    # What each figure opens
    # ------------------------------------------------------------------

    def _open_orders(self, name, domain):
        self.ensure_one()
        return open_records("apicbase.order", name, domain=[("company_id", "=", self.company_id.id), *domain])

    def action_open_last_order(self):
        self.ensure_one()
        return open_records("apicbase.order", res_id=self.last_order_id.id)

    def action_open_attention(self):
        return self._open_orders(self.env._("Orders Needing Attention"), [("state", "=", "failed")])

    def action_open_waiting(self):
        return self._open_orders(self.env._("Orders Waiting for Processing"), [("state", "=", "received")])

    def action_open_follow_up(self):
        """The orders the last follow-up changed (status, delivery, invoice) or recovered."""
        since = fields.Datetime.to_string(self.company_id.apicbase_follow_up_at or fields.Datetime.now())
        return self._open_orders(self.env._("Orders Changed by the Last Follow-up"), [
            "|", ("reconciled_at", ">=", since), "&", ("source", "=", "recovery"), ("received_at", ">=", since)])

    def action_open_contradictions(self):
        self.ensure_one()
        Order = self.env["apicbase.order"]
        orders = Order.search([("company_id", "=", self.company_id.id), *Order._contradiction_domain()])
        return open_records("sale.order", self.env._("Sale Orders Contradicting Apicbase"),
                            domain=[("id", "in", orders.sale_order_id.ids)])

    def action_open_invoice_disagreements(self):
        return self._open_orders(self.env._("Orders Whose Invoices Disagree"), [("invoice_disagreement", "!=", False)])

    def action_open_rounded_lines(self):
        self.ensure_one()
        return open_records("sale.order", self.env._("Sale Orders With a Rounded Apicbase Price"), domain=[
            ("company_id", "=", self.company_id.id), ("order_line.apicbase_price_rounded", "=", True)])

    def action_open_event_errors(self):
        self.ensure_one()
        return open_records("apicbase.sync.event", self.env._("Sync Event Errors"), domain=[
            ("company_id", "=", self.company_id.id), ("current", "=", True), ("event_type", "in", ERROR_EVENT_TYPES)])

    def action_open_api_errors(self):
        self.ensure_one()
        since = fields.Datetime.to_string(fields.Datetime.now() - API_ERROR_WINDOW)
        return open_records("apicbase.api.error", self.env._("API Errors of the Last Day"), domain=[
            ("company_id", "=", self.company_id.id), ("occurred_at", ">=", since)])

    def action_open_settings(self):
        return self.env["ir.actions.act_url"]._for_xml_id("apicbase_connector.action_apicbase_settings")
