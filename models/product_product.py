from odoo import fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    apicbase_article_number = fields.Char(
        string="Apicbase Article Number", index="btree_not_null", copy=False,
        help="The supplier article number Apicbase sends for this product. "
             "Empty: the internal reference is used.")
