from odoo import api, fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # Shown on the template like the internal reference: only for single-variant products.
    apicbase_article_number = fields.Char(
        string="Apicbase Article Number", compute="_compute_apicbase_article_number",
        inverse="_inverse_apicbase_article_number", search="_search_apicbase_article_number",
        help="The supplier article number Apicbase sends for this product. "
             "Empty: the internal reference is used.")

    @api.depends("product_variant_ids.apicbase_article_number")
    def _compute_apicbase_article_number(self):
        for template in self:
            variants = template.product_variant_ids
            template.apicbase_article_number = variants.apicbase_article_number if len(variants) == 1 else False

    def _inverse_apicbase_article_number(self):
        for template in self:
            if len(template.product_variant_ids) == 1:
                template.product_variant_ids.apicbase_article_number = template.apicbase_article_number

    def _search_apicbase_article_number(self, operator, value):
        return [("product_variant_ids.apicbase_article_number", operator, value)]

    def _get_related_fields_variant_template(self):
        # Lets `create` hand the value to the first variant once it exists.
        return super()._get_related_fields_variant_template() + ["apicbase_article_number"]
