import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .actions import open_records

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    apicbase_order_id = fields.Many2one(
        "apicbase.order", string="Apicbase Order", readonly=True, copy=False, index="btree_not_null")
    apicbase_id = fields.Char(related="apicbase_order_id.apicbase_id", string="Apicbase ID")
    apicbase_ordered_on = fields.Datetime(related="apicbase_order_id.ordered_on", string="Ordered in Apicbase")
    apicbase_remarks = fields.Text(string="Apicbase Remarks", readonly=True, copy=False)
    apicbase_owner = fields.Char(string="Ordered By (Apicbase)", readonly=True, copy=False)
    apicbase_status = fields.Selection(related="apicbase_order_id.apicbase_status")
    apicbase_delivery_closed = fields.Boolean(related="apicbase_order_id.delivery_closed",
                                              string="Delivery Closed in Apicbase")
    apicbase_invoice_status = fields.Selection(related="apicbase_order_id.invoice_status",
                                               string="Apicbase Invoice Status")
    apicbase_price_mismatch = fields.Boolean(
        string="Apicbase Price Differs", compute="_compute_apicbase_price_mismatch", store=True)

    _sql_constraints = [
        # An inbox record yields at most one sale order, whatever races happen.
        ("apicbase_order_unique", "unique(apicbase_order_id)",
         "This Apicbase order already has a sale order."),
    ]

    @api.depends("order_line.apicbase_price_mismatch")
    def _compute_apicbase_price_mismatch(self):
        for order in self:
            order.apicbase_price_mismatch = any(order.order_line.mapped("apicbase_price_mismatch"))

    def action_open_apicbase_order(self):
        self.ensure_one()
        return open_records("apicbase.order", res_id=self.apicbase_order_id.id)

    def _apicbase_apply_prices(self, po):
        """Puts the configured price on each line and flags lines whose prices disagree, or whose
        Apicbase price the Product Price precision rounded.

        The lines were created without a price, so Odoo priced them from the
        pricelist: that is the reference Apicbase's price is compared with.
        """
        self.ensure_one()
        company = self.company_id
        use_apicbase = company.apicbase_price_source == "apicbase"
        lines = self.order_line.sorted("sequence")
        rounded = {}  # line: Apicbase's exact price
        for line, po_line in zip(lines, po.lines):
            vals = line._apicbase_price_vals(po_line.price_per_package, company.apicbase_price_tolerance)
            if use_apicbase and po_line.price_per_package is not None:
                # A pricelist discount is already in Apicbase's net price: not a second time.
                vals.update(price_unit=float(po_line.price_per_package), discount=0.0,
                            apicbase_price_locked=True)
            line.write(vals)
            # The field's precision may have rounded the price just written: check what was stored.
            if line.apicbase_price_locked and line._apicbase_price_rounded(po_line.price_per_package):
                rounded[line] = po_line.price_per_package
        mismatched = self.order_line.filtered("apicbase_price_mismatch")
        if mismatched:
            self._message_log(body=_(
                "Apicbase and the pricelist disagree on the price of: %s",
                ", ".join(mismatched.mapped("product_id.display_name"))))
        if rounded:
            # Flagged too: the line no longer charges the price Apicbase sent.
            self.env["sale.order.line"].union(*rounded).apicbase_price_mismatch = True
            self._message_log(body=_(
                "Apicbase's price was rounded to the Product Price precision (Settings → Technical → "
                "Decimal Accuracy) on: %s",
                ", ".join(f"{line.product_id.display_name} ({price} → {line.price_unit})"
                          for line, price in rounded.items())))

    def _recompute_prices(self):
        # Asked for the pricelist's prices (Update Prices), the user gets them as on any other line,
        # discount included: Apicbase's net price no longer holds.
        self._get_update_prices_lines().filtered("apicbase_price_locked").apicbase_price_locked = False
        return super()._recompute_prices()

    def _apicbase_try_confirm(self):
        """Confirms, but keeps the quotation when confirmation is refused."""
        try:
            with self.env.cr.savepoint():
                self.action_confirm()
        except UserError as exc:
            self.message_post(body=_("Not confirmed automatically: %s", exc.args[0]))
