from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    apicbase_article_number = fields.Char(string="Apicbase Article", readonly=True, copy=False)
    apicbase_price = fields.Float(
        string="Apicbase Price", digits="Product Price", readonly=True, copy=False,
        help="Theoretical price per package sent by Apicbase.")
    apicbase_pricelist_price = fields.Float(
        string="Pricelist Price", digits="Product Price", readonly=True, copy=False,
        help="Net price (discount included) Odoo's pricelist gave when the Apicbase order arrived.")
    apicbase_price_mismatch = fields.Boolean(string="Apicbase Price Differs", readonly=True, copy=False)
    apicbase_price_locked = fields.Boolean(
        readonly=True, copy=False,
        help="The line carries Apicbase's net price: no pricelist discount is added on top of it.")

    def _compute_discount(self):
        locked = self.filtered("apicbase_price_locked")
        super(SaleOrderLine, self - locked)._compute_discount()
        for line in locked:
            line.discount = 0.0

    def _apicbase_price_vals(self, apicbase_price, tolerance_percent):
        self.ensure_one()
        # Apicbase's price is net: compare it with the pricelist's net price, discount included.
        pricelist_price = self.price_unit * (1 - (self.discount or 0.0) / 100.0)
        vals = {"apicbase_pricelist_price": pricelist_price, "apicbase_price_mismatch": False}
        if apicbase_price is None:
            return vals
        apicbase_price = float(apicbase_price)
        allowed = abs(pricelist_price) * (tolerance_percent or 0.0) / 100.0
        rounding = self.currency_id.rounding or 0.01
        vals["apicbase_price"] = apicbase_price
        vals["apicbase_price_mismatch"] = abs(apicbase_price - pricelist_price) > allowed + rounding / 2
        return vals
