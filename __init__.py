from . import controllers
from . import models


def post_init_hook(env):
    """Give every existing company its own webhook URL token.

    A column default is evaluated once for all existing rows, which would give
    every company the same token; new companies get theirs from the default.
    """
    env["res.company"].search([])._apicbase_reset_webhook_token()
