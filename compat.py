"""What differs between Odoo 18.0 and 19.0, decided here once; the rest of the addon asks.

Where both versions accept the same thing, the addon uses it and nothing is decided here: ``_read_group``,
a bare ``<group>`` in search views, ``ir.cron._notify_progress`` (19.0 keeps it with the same meaning;
its ``_commit_progress`` would commit in the middle of a batch), ``self.env._``.
"""
from odoo import models, release

SERIES = release.version_info[0]
ODOO_19 = SERIES >= 19

# Field names Odoo 19.0 renamed.
USER_GROUPS = "group_ids" if ODOO_19 else "groups_id"  # res.users, ir.actions.*: their groups
LINE_UOM = "product_uom_id" if ODOO_19 else "product_uom"  # sale.order.line: its unit of measure
LINE_TAXES = "tax_ids" if ODOO_19 else "tax_id"  # sale.order.line: its taxes


def sql_constraints(*constraints):
    """The class attributes declaring ``constraints`` ((name, definition, message), ...) on the model
    whose body calls ``locals().update(sql_constraints(...))``. 18.0 reads ``_sql_constraints``; 19.0
    ignores it (with a warning) and reads ``models.Constraint`` attributes instead. The constraint
    gets the same name in the database either way (``<table>_<name>``), so the guarantees, the
    inbox's uniqueness first, are the same on both and survive an upgrade from one to the other."""
    if ODOO_19:
        return {f"_{name}": models.Constraint(definition, message) for name, definition, message in constraints}
    return {"_sql_constraints": list(constraints)}


def domain_or(domains):
    """The union of ``domains`` (lists), as a list both versions' ORMs take."""
    if ODOO_19:
        from odoo.fields import Domain  # noqa: PLC0415 - 19.0 only; its odoo.osv warns on import

        return list(Domain.OR(domains))
    from odoo.osv import expression  # noqa: PLC0415 - 18.0 only

    return expression.OR(domains)
