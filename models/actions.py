"""What the addon's buttons share: the client actions they return, and who may press the ones that
talk to Apicbase (no model here)."""
from psycopg2 import errorcodes

from odoo.exceptions import UserError

from ..apicbase.errors import ApicbaseError
from .system import as_system

RELOAD = {"type": "ir.actions.client", "tag": "soft_reload"}


def is_apicbase_manager(env):
    """Whether ``env`` may make Apicbase calls on demand: sales managers and the superuser (scheduled
    actions run as it), not salesmen."""
    return env.su or env.user.has_group("sales_team.group_sale_manager")


def notification(message, kind="success", title=None, next_action=RELOAD):
    """A toast; errors and warnings stay until closed. ``next_action`` runs after it (default: reload)."""
    params = {"message": message, "type": kind, "sticky": kind != "success"}
    if title:
        params["title"] = title
    if next_action:
        params["next"] = next_action
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}


def open_records(model, name=None, res_id=None, domain=None, context=None):
    """Opens one record's form (``res_id``) or a list filtered by ``domain``."""
    action = {"type": "ir.actions.act_window", "res_model": model,
              "view_mode": "form" if res_id else "list,form"}
    optional = {"name": name, "res_id": res_id, "domain": domain, "context": context}
    action.update({key: value for key, value in optional.items() if value is not None})
    return action


def run_in_background(env, cron_xmlid, message):
    """Asks Odoo's scheduler to run the scheduled action ``cron_xmlid`` now and says so: long work
    runs there, in committed batches, instead of holding the browser inside one request."""
    cron_sudo = as_system(env.ref(cron_xmlid, raise_if_not_found=False) or env["ir.cron"])
    if not cron_sudo.active:
        raise UserError(env._("The scheduled action that does this (%s) is archived or missing: ask an "
                          "administrator to restore it in Settings > Technical > Scheduled Actions.",
                          cron_sudo.name or cron_xmlid))
    cron_sudo._trigger()
    return notification(message, "info", title=env._("Started in the background"))


def error_text(env, exc):
    """What people are told of ``exc``: the words of our own errors; of anything else, only its kind
    (its text may be anything, a database message say): the server log has the rest."""
    if isinstance(exc, (ApicbaseError, UserError)) and exc.args:
        return str(exc.args[0])
    return env._("an unexpected error (%s); see the server log.", type(exc).__name__)


def error_kind(exc):
    """The kind of ``exc`` in words: a database error's condition ("numeric value out of range"), never
    its message (which may quote anything); the exception's type otherwise."""
    code = getattr(exc, "pgcode", None)
    if not code:
        return type(exc).__name__
    try:
        return errorcodes.lookup(code).replace("_", " ").lower()
    except KeyError:  # a condition this psycopg2 does not name
        return f"{type(exc).__name__} {code}"
