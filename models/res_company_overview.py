"""What the company remembers of the integration's health: the last follow-up run, and the API
errors its clients meet (recorded by the client res_company.py makes). The overview reads both."""
from odoo import fields, models

from .actions import error_text
from .system import as_system

FOLLOW_UP_ERROR_MAX = 500


# One concern a file: what the overview reads, apart from the connection settings. Sales managers
# only, as the overview: neither the portal nor salesmen have to know why a run failed.
class ResCompany(models.Model):
    _inherit = "res.company"  # pylint: disable=consider-merging-classes-inherited

    apicbase_follow_up_at = fields.Datetime(
        string="Last Apicbase Follow-up", readonly=True, help="When the last follow-up run started.",
        groups="sales_team.group_sale_manager")
    apicbase_follow_up_result = fields.Json(
        string="Last Apicbase Follow-up Result", readonly=True,
        help="What the last run found: orders updated, recovered, marked in Apicbase, unreadable.",
        groups="sales_team.group_sale_manager")
    apicbase_follow_up_error = fields.Char(
        string="Last Apicbase Follow-up Error", readonly=True, help="Why the last run failed, if it did.",
        groups="sales_team.group_sale_manager")

    def _apicbase_record_follow_up(self, started, totals=None, error=None):
        """Remembers the follow-up run that started at ``started``: its counts, or why it failed."""
        self.ensure_one()
        as_system(self).write({
            "apicbase_follow_up_at": started,
            "apicbase_follow_up_result": dict(totals) if totals is not None else False,
            "apicbase_follow_up_error": error_text(self.env, error)[:FOLLOW_UP_ERROR_MAX] if error is not None
            else False,
        })
