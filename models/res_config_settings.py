from odoo import api, fields, models

from ..apicbase.errors import ApicbaseError
from ..const import PRICE_DIGITS
from .actions import notification


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    apicbase_api_url = fields.Char(related="company_id.apicbase_api_url", readonly=False)
    apicbase_token_url = fields.Char(related="company_id.apicbase_token_url", readonly=False)
    apicbase_client_id = fields.Char(related="company_id.apicbase_client_id", readonly=False)
    apicbase_client_secret = fields.Char(related="company_id.apicbase_client_secret", readonly=False)
    apicbase_webhook_secret = fields.Char(related="company_id.apicbase_webhook_secret", readonly=False)
    apicbase_price_source = fields.Selection(related="company_id.apicbase_price_source", readonly=False)
    apicbase_price_tolerance = fields.Float(related="company_id.apicbase_price_tolerance", readonly=False)
    apicbase_auto_confirm = fields.Boolean(related="company_id.apicbase_auto_confirm", readonly=False)
    apicbase_unmapped_policy = fields.Selection(
        related="company_id.apicbase_unmapped_policy", readonly=False)
    apicbase_user_id = fields.Many2one(related="company_id.apicbase_user_id", readonly=False)
    apicbase_reconcile_days = fields.Integer(related="company_id.apicbase_reconcile_days", readonly=False)
    apicbase_invoice_days = fields.Integer(related="company_id.apicbase_invoice_days", readonly=False)
    apicbase_invoice_user_id = fields.Many2one(related="company_id.apicbase_invoice_user_id", readonly=False)
    apicbase_acknowledge = fields.Boolean(related="company_id.apicbase_acknowledge", readonly=False)
    apicbase_unit_mapping = fields.Char(related="company_id.apicbase_unit_mapping", readonly=False)
    apicbase_price_rise_threshold = fields.Float(related="company_id.apicbase_price_rise_threshold", readonly=False)
    apicbase_webhook_url = fields.Char(compute="_compute_apicbase_webhook_url")
    apicbase_last_publish_at = fields.Datetime(related="company_id.apicbase_last_publish_at")
    apicbase_last_events_poll_at = fields.Datetime(related="company_id.apicbase_last_events_poll_at")
    apicbase_last_catalogue_pull_at = fields.Datetime(related="company_id.apicbase_last_catalogue_pull_at")

    apicbase_price_digits = fields.Integer(
        string="Product Price Precision", compute="_compute_apicbase_price_digits",
        help="Decimals of Odoo's Product Price precision, which applies to every price in the database.")

    def _compute_apicbase_price_digits(self):
        digits = self.env["decimal.precision"].precision_get("Product Price")
        for settings in self:
            settings.apicbase_price_digits = digits

    @api.depends("company_id")
    def _compute_apicbase_webhook_url(self):
        for settings in self:
            settings.apicbase_webhook_url = settings.company_id._apicbase_webhook_url()

    def action_apicbase_test_connection(self):
        """Saves the settings, then asks Apicbase for a token and one page of customers."""
        self.ensure_one()
        self.execute()
        try:
            count = self.company_id._apicbase_client().test_connection()
        except ApicbaseError as exc:
            return notification(str(exc), "danger", title=self.env._("Apicbase connection failed"), next_action=None)
        return notification(self.env._("Apicbase lists %s customer(s) for this supplier.", count), "success",
                            title=self.env._("Apicbase connection works"), next_action=None)

    def action_apicbase_regenerate_webhook_url(self):
        self.company_id._apicbase_reset_webhook_token()
        return {"type": "ir.actions.client", "tag": "reload"}

    def action_apicbase_raise_price_precision(self):
        """Raises Odoo's Product Price precision to Apicbase's decimals, on the administrator's word.

        It is a database-wide choice, never made by installing the addon: every price of every
        company is then rounded to that many decimals, currency conversions included. Written
        with the caller's own rights: only those who may change decimal accuracies can do it.
        """
        precision = self.env.ref("product.decimal_price")
        if precision.digits < PRICE_DIGITS:
            precision.digits = PRICE_DIGITS
        return {"type": "ir.actions.client", "tag": "reload"}
