from odoo import api, fields, models

from ..apicbase.errors import ApicbaseError
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
    apicbase_acknowledge = fields.Boolean(related="company_id.apicbase_acknowledge", readonly=False)
    apicbase_unit_mapping = fields.Char(related="company_id.apicbase_unit_mapping", readonly=False)
    apicbase_webhook_url = fields.Char(compute="_compute_apicbase_webhook_url")
    apicbase_last_publish_at = fields.Datetime(related="company_id.apicbase_last_publish_at")
    apicbase_last_events_poll_at = fields.Datetime(related="company_id.apicbase_last_events_poll_at")
    apicbase_last_catalogue_pull_at = fields.Datetime(related="company_id.apicbase_last_catalogue_pull_at")

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
