"""1.1: Apicbase's three-decimal prices. Installs since get it from post_init_hook; a database that
had the addon before gets the same "Product Price" precision here."""
from odoo import SUPERUSER_ID, api

from odoo.addons.apicbase_connector import post_init_hook


def migrate(cr, version):
    post_init_hook(api.Environment(cr, SUPERUSER_ID, {}))
