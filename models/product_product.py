from odoo import api, fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    apicbase_article_number = fields.Char(
        index="btree_not_null", copy=False,
        help="The supplier article number Apicbase sends for this product. "
             "Empty: the internal reference is used.")
    apicbase_event_ids = fields.One2many("apicbase.sync.event", "product_id", string="Apicbase Sync Events")

    @api.model
    def _apicbase_find(self, numbers, company):
        """Products per article number, in one query: explicit Apicbase number first, then internal reference.

        Returns ``{number: products}`` where products may hold 0, 1 or several variants.
        """
        numbers = [number for number in dict.fromkeys(numbers) if number]
        if not numbers:
            return {}
        candidates = self.with_context(active_test=True).search([
            ("company_id", "in", [False, company.id]),
            "|", ("apicbase_article_number", "in", numbers),
            "&", ("apicbase_article_number", "=", False), ("default_code", "in", numbers),
        ])
        explicit, by_reference = {}, {}
        for product in candidates:
            if product.apicbase_article_number:
                explicit.setdefault(product.apicbase_article_number, []).append(product.id)
            else:
                by_reference.setdefault(product.default_code, []).append(product.id)
        # Each result keeps the candidates' prefetch set, so reading one product's fields (its
        # template, sale_ok, names) reads all of them at once instead of one query per article.
        return {number: self.browse(explicit.get(number) or by_reference.get(number) or [])
                .with_prefetch(candidates._prefetch_ids)
                for number in numbers}
