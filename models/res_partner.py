from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    apicbase_customer_number = fields.Char(
        index="btree_not_null", copy=False,
        help="The number Apicbase sends as supplier_customer_number for this customer.")
