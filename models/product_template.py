from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..apicbase import content as content_lib
from ..apicbase.errors import ContentError
from .actions import open_records
from ..const import PRICE_UNITS, SYNC_STATES


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # Shown on the template like the internal reference: only for single-variant products.
    apicbase_article_number = fields.Char(
        compute="_compute_apicbase_article_number",
        inverse="_inverse_apicbase_article_number", search="_search_apicbase_article_number",
        help="The supplier article number Apicbase sends for this product. "
             "Empty: the internal reference is used.")

    # What Apicbase needs to know of a package, filled once per product.
    apicbase_content = fields.Char(
        string="Package Content",
        help="Nested content of one sold package, outer levels first: 4 x 6 x 33 cl, 10 x 100 g, 1 kg. "
             "Weight or volume wherever possible, piece only as a fallback.")
    apicbase_content_total = fields.Float(
        string="Total Content", compute="_compute_apicbase_content", store=True, digits=(16, 3))
    apicbase_content_base_unit = fields.Char(
        string="Content Unit", compute="_compute_apicbase_content", store=True)
    apicbase_unit_count = fields.Float(
        string="Units per Package", compute="_compute_apicbase_content", store=True, digits=(16, 3))
    apicbase_brand = fields.Char(string="Brand")
    apicbase_package_type = fields.Char(string="Package Type", help="box, case, bag, bottle...")
    apicbase_price_type = fields.Selection(
        [("package", "Per package"), ("unit", "Per unit of content")],
        default="package", required=True,
        help="Per unit of content: the price is per kg, l, ... (variable-weight goods).")
    apicbase_price_unit = fields.Selection(PRICE_UNITS, string="Price Unit")
    apicbase_weighted = fields.Boolean(string="Variable Weight")
    apicbase_orderable = fields.Boolean(string="Orderable in Apicbase", default=True)
    apicbase_lead_time = fields.Integer(
        string="Apicbase Lead Time (days)",
        help="Days between order and delivery. Empty: the customer lead time of the product, if any.")
    apicbase_order_multiplier = fields.Integer(
        string="Order Multiple", help="Restaurants may order only multiples of this quantity (0: any).")
    apicbase_event_ids = fields.One2many(
        "apicbase.sync.event", "product_tmpl_id", string="Apicbase Sync Events")
    apicbase_sync_state = fields.Selection(
        SYNC_STATES, string="Apicbase Sync", compute="_compute_apicbase_sync_state")

    @api.depends("apicbase_content")
    def _compute_apicbase_content(self):
        for template in self:
            parsed = template._apicbase_parsed_content()
            template.apicbase_content_total = float(parsed.total) if parsed else 0.0
            template.apicbase_content_base_unit = parsed.base_unit if parsed else False
            template.apicbase_unit_count = float(parsed.unit_count) if parsed else 0.0

    def _apicbase_parsed_content(self):
        self.ensure_one()
        if not self.apicbase_content:
            return None
        try:
            return content_lib.parse_label(self.apicbase_content)
        except ContentError:
            return None

    @api.constrains("apicbase_content")
    def _check_apicbase_content(self):
        for template in self.filtered("apicbase_content"):
            try:
                content_lib.parse_label(template.apicbase_content)
            except ContentError as exc:
                raise ValidationError(self.env._("Package content of %(product)s: %(problem)s",
                                                 product=template.display_name, problem=exc)) from None

    @api.constrains("apicbase_price_type", "apicbase_price_unit")
    def _check_apicbase_price_unit(self):
        for template in self:
            if template.apicbase_price_type == "unit" and not template.apicbase_price_unit:
                raise ValidationError(self.env._("%s is priced per unit of content: choose the price unit.",
                                                 template.display_name))

    @api.depends("apicbase_event_ids.event_type", "apicbase_event_ids.current")
    def _compute_apicbase_sync_state(self):
        for template in self:
            template.apicbase_sync_state = template.apicbase_event_ids._worst_state()

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

    def action_open_apicbase_events(self):
        self.ensure_one()
        return open_records("apicbase.sync.event", self.env._("Apicbase Sync Events"),
                            domain=[("product_tmpl_id", "=", self.id)])
