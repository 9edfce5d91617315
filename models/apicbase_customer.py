import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..apicbase.errors import ApicbaseError
from ..apicbase.payload import identifier
from ..compat import cron_progress, sql_constraints
from ..const import PULL_BATCH
from .actions import is_apicbase_manager, open_records, run_in_background
from .system import as_system

_logger = logging.getLogger(__name__)


class ApicbaseCustomer(models.Model):
    """Binding: a customer Apicbase lists for this supplier, and the Odoo contact it is."""

    _name = "apicbase.customer"
    _description = "Apicbase Customer"
    _order = "customer_number"
    _check_company_auto = True
    _rec_name = "customer_number"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    customer_number = fields.Char(required=True, readonly=True, index=True)
    supplier_outlet_id = fields.Char(string="Distribution Centre", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null", check_company=True,
                                 help="The Odoo contact this Apicbase customer is. Orders with its number "
                                      "are made out to this contact.")
    linked = fields.Boolean(compute="_compute_linked", store=True)
    last_seen_at = fields.Datetime(readonly=True, help="Last time Apicbase listed this customer.")
    package_count = fields.Integer(compute="_compute_package_count")
    packages_due = fields.Boolean(
        readonly=True, index=True, copy=False,
        help="Its packages are to be read by the scheduled action now running.")

    locals().update(sql_constraints(
        ("customer_company_unique", "unique(company_id, customer_number)",
         "An Apicbase customer number is bound once per company."),
    ))

    @api.depends("partner_id")
    def _compute_linked(self):
        for customer in self:
            customer.linked = bool(customer.partner_id)

    def _compute_package_count(self):
        counts = dict(self.env["apicbase.package"]._read_group(
            [("customer_id", "in", self.ids)], ["customer_id"], ["__count"]))
        for customer in self:
            customer.package_count = counts.get(customer, 0)

    def write(self, vals):
        result = super().write(vals)
        if vals.get("partner_id"):
            # Keep the contact's number in step, so order intake and people see the same mapping.
            for customer in self:
                if customer.partner_id.apicbase_customer_number != customer.customer_number:
                    customer.partner_id.apicbase_customer_number = customer.customer_number
        return result

    @api.model
    def _partner_for(self, company, number):
        """The contact bound to ``number`` for ``company``, or an empty recordset."""
        return self.search([("company_id", "=", company.id), ("customer_number", "=", number),
                            ("partner_id", "!=", False)], limit=1).partner_id

    @api.model
    def _pull(self, company):
        """Creates or refreshes the bindings of every customer Apicbase lists; links new ones."""
        rows = {}
        for item in company._apicbase_client().iter_customers():
            if isinstance(item, dict) and item.get("customer_number"):
                rows[str(item["customer_number"])] = identifier(item.get("supplier_outlet_id"))
        now = fields.Datetime.now()
        existing = {c.customer_number: c for c in self.search(
            [("company_id", "=", company.id), ("customer_number", "in", list(rows))])}
        for number, customer in existing.items():
            if customer.supplier_outlet_id != (rows[number] or False):
                customer.supplier_outlet_id = rows[number] or False
        existing_records = self.browse([c.id for c in existing.values()])
        existing_records.write({"last_seen_at": now})
        new = self.create([{"company_id": company.id, "customer_number": number,
                            "supplier_outlet_id": outlet or False, "last_seen_at": now}
                           for number, outlet in rows.items() if number not in existing])
        (new | existing_records).filtered(lambda c: not c.partner_id)._auto_link()
        return new | existing_records

    def _auto_link(self):
        """Links bindings to contacts carrying the number (Apicbase number first, then reference)."""
        if not self:
            return
        numbers = self.mapped("customer_number")
        partners = self.env["res.partner"].search([
            "|", ("apicbase_customer_number", "in", numbers), ("ref", "in", numbers),
        ])
        for customer in self:
            company, number = customer.company_id, customer.customer_number
            allowed = partners.filtered(lambda p, company=company: not p.company_id or p.company_id == company)
            match = allowed.filtered(lambda p, number=number: p.apicbase_customer_number == number) \
                or allowed.filtered(lambda p, number=number: p.ref == number)
            if len(match) == 1:
                customer.partner_id = match

    @api.model
    def _cron_pull_catalogue(self, limit=PULL_BATCH):
        """Customers, then their packages (links, drift), for every connected company.

        A run starts by reading each company's customer list (one short call) and marking its
        customers due; then each call reads the packages of ``limit`` of them, and Odoo's
        scheduler commits and calls again while customers remain due.
        """
        customers_sudo = as_system(self)
        if not customers_sudo.search_count([("packages_due", "=", True)], limit=1):
            for company in self.env["res.company"]._apicbase_connected_companies():
                try:
                    with self.env.cr.savepoint():
                        customers_sudo._pull(company).packages_due = True
                except Exception as exc:  # noqa: BLE001 - one company's trouble must not stop the others
                    self._log_pull_failure(company, exc)
        batch = customers_sudo.search([("packages_due", "=", True)], limit=limit, order="company_id, id")
        for company, of_company in batch.grouped("company_id").items():
            try:
                with self.env.cr.savepoint():
                    self.env["apicbase.package"]._pull(company, of_company)
            except Exception as exc:  # noqa: BLE001 - Apicbase in trouble: this company waits for the next run
                self._log_pull_failure(company, exc)
                batch |= customers_sudo.search([("company_id", "=", company.id), ("packages_due", "=", True)])
        batch.packages_due = False
        remaining = customers_sudo.search_count([("packages_due", "=", True)])
        cron_progress(self.env, len(batch), remaining)

    @api.model
    def _log_pull_failure(self, company, exc):
        _logger.warning("Apicbase catalogue pull failed for company %s: %s", company.id, exc,
                        exc_info=not isinstance(exc, (ApicbaseError, UserError)))

    def action_pull(self):
        """Reads the customer list at once (short, and a wrong setting shows here), then leaves
        their packages, which take one call per customer, to the scheduled action."""
        if not is_apicbase_manager(self.env):
            raise AccessError(self.env._("Only sales managers can read customers and packages from Apicbase "
                                         "on demand; they are read every day anyway."))
        try:
            customers = as_system(self)._pull(self.env.company)
        except ApicbaseError as exc:
            raise UserError(self.env._("Reading customers from Apicbase failed: %s", exc)) from None
        customers.packages_due = True
        return run_in_background(self.env, "apicbase_connector.ir_cron_apicbase_pull_catalogue", self.env._(
            "%s customer(s) read from Apicbase. Their packages are being read in the background; "
            "the Packages list fills in within a few minutes.", len(customers)))

    def action_view_packages(self):
        self.ensure_one()
        return open_records("apicbase.package", self.env._("Packages of %s", self.customer_number),
                            domain=[("customer_id", "=", self.id)])
