from odoo import fields, models
from odoo.tools import float_compare
from ..const import PRICE_DIGITS


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    apicbase_article_number = fields.Char(string="Apicbase Article", readonly=True, copy=False)
    apicbase_price = fields.Float(
        # Apicbase's own figure, even when the line price was rounded to a lower precision.
        digits=(16, PRICE_DIGITS), readonly=True, copy=False,
        help="Theoretical price per package sent by Apicbase.")
    apicbase_pricelist_price = fields.Float(
        string="Pricelist Price", digits="Product Price", readonly=True, copy=False,
        help="Net price (discount included) Odoo's pricelist gave when the Apicbase order arrived.")
    apicbase_price_mismatch = fields.Boolean(string="Apicbase Price Differs", readonly=True, copy=False)
    apicbase_price_rounded = fields.Boolean(
        readonly=True, copy=False,
        help="Apicbase's price has more decimals than the Product Price precision: the line charges "
             "it rounded, and the restaurant's exact figure is kept in Apicbase Price.")
    apicbase_price_locked = fields.Boolean(
        readonly=True, copy=False,
        help="The line carries Apicbase's net price: no pricelist discount is added on top of it, "
             "until Update Prices prices it from the pricelist.")

    def _compute_discount(self):
        locked = self.filtered("apicbase_price_locked")
        result = super(SaleOrderLine, self - locked)._compute_discount()
        for line in locked:
            line.discount = 0.0
        return result

    def _apicbase_price_vals(self, apicbase_price, tolerance_percent):
        self.ensure_one()
        # Apicbase's price is net: compare it with the pricelist's net price, discount included.
        pricelist_price = self.price_unit * (1 - (self.discount or 0.0) / 100.0)
        vals = {"apicbase_pricelist_price": pricelist_price, "apicbase_price_mismatch": False}
        if apicbase_price is None:
            return vals
        apicbase_price = float(apicbase_price)
        allowed = abs(pricelist_price) * (tolerance_percent or 0.0) / 100.0
        vals["apicbase_price"] = apicbase_price
        # At Apicbase's precision: half a cent of slack would hide 0.125 against 0.13 (4 %).
        vals["apicbase_price_mismatch"] = float_compare(
            abs(apicbase_price - pricelist_price), allowed, precision_digits=PRICE_DIGITS) > 0
        return vals

    def _apicbase_price_rounded(self, apicbase_price):
        """Whether the unit price stored on the line lost decimals of Apicbase's exact ``Decimal`` price."""
        self.ensure_one()
        digits = max(PRICE_DIGITS, -apicbase_price.as_tuple().exponent)
        return float_compare(self.price_unit, float(apicbase_price), precision_digits=digits) != 0
