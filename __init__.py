from . import controllers
from . import models
from .models.res_company import _new_webhook_token
from .const import PRICE_DIGITS


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


def post_init_hook(env):
    """Raises the "Product Price" precision to Apicbase's three decimals, never lowers it.

    At Odoo's default of two, a line of 100 x 0.125 would be stored at 0.13 and total 13.00
    instead of 12.50. Databases that had the addon before get it through migrations/18.0.1.1.0.
    """
    precision = env.ref("product.decimal_price", raise_if_not_found=False)
    if precision and precision.digits < PRICE_DIGITS:
        precision.digits = PRICE_DIGITS
