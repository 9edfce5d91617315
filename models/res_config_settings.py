from odoo import fields, models


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
    apicbase_webhook_url = fields.Char(compute="_compute_apicbase_webhook_url")

    def _compute_apicbase_webhook_url(self):
        for settings in self:
            settings.apicbase_webhook_url = settings.company_id._apicbase_webhook_url()

    def action_apicbase_regenerate_webhook_url(self):
        self.company_id._apicbase_reset_webhook_token()
        return {"type": "ir.actions.client", "tag": "reload"}
