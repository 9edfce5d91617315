from . import controllers
from . import models
from .models.res_company import _new_webhook_token


def pre_init_hook(env):
    """Gives every existing company its own webhook URL token before the column's default runs.

    Odoo fills a new column with one default value for all existing rows, which would give
    every company the same token and break the unique constraint on a multi-company database.
    """
    env.cr.execute("ALTER TABLE res_company ADD COLUMN IF NOT EXISTS apicbase_webhook_token varchar")
    env.cr.execute("SELECT id FROM res_company WHERE apicbase_webhook_token IS NULL")
    for (company_id,) in env.cr.fetchall():
        env.cr.execute("UPDATE res_company SET apicbase_webhook_token = %s WHERE id = %s",
                       (_new_webhook_token(), company_id))

