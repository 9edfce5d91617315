"""How the connector acts as the system: one way, for one reason (no model here)."""
from odoo import SUPERUSER_ID


def as_system(records):
    """``records`` as the superuser itself (OdooBot), not merely with its rights (``sudo()``).

    Signed orders arrive as the public user; retries, buttons and settings come from salesmen and
    managers. What the connector then does on their behalf (inbox rows, sale orders, chatter notes,
    activities, defaults such as the salesperson, the secrets and timestamps it reads and writes)
    must neither bear their name nor stop at their access rights. Callers name the result
    ``*_sudo``, as Odoo does.
    """
    return records.with_user(SUPERUSER_ID)
