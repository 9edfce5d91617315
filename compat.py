"""What differs between Odoo 18.0 and 19.0, decided here once; the rest of the addon asks.

Where both versions accept the same thing, the addon uses it and nothing is decided here: ``_read_group``,
a bare ``<group>`` in search views, ``self.env._``.
"""
import contextlib

from odoo import models, release

SERIES = release.version_info[0]
ODOO_19 = SERIES >= 19

# Field names Odoo 19.0 renamed.
USER_GROUPS = "group_ids" if ODOO_19 else "groups_id"  # res.users, ir.actions.*: their groups
GROUP_USERS = "user_ids" if ODOO_19 else "users"  # res.groups: its members
LINE_UOM = "product_uom_id" if ODOO_19 else "product_uom"  # sale.order.line: its unit of measure
LINE_TAXES = "tax_ids" if ODOO_19 else "tax_id"  # sale.order.line: its taxes

# 18.0 rounds a sale order line's unit price to the Product Price precision; 19.0 keeps the price as
# given (the precision is only the fewest decimals it shows).
LINE_PRICE_ROUNDED = not ODOO_19
# 19.0's products have one unit of measure (and packagings as units); 18.0's a purchase unit too.
PRODUCT_PURCHASE_UOM = None if ODOO_19 else "uom_po_id"


def customer_pricelists_apply(env):
    """Whether Odoo prices a customer's sale orders from the pricelist set on the customer. 19.0
    does only with the Pricelists feature on (Settings > Sales); 18.0 always does."""
    if ODOO_19:
        return env["res.groups"]._is_feature_enabled("product.group_product_pricelist")
    return True


def sql_constraints(*constraints):
    """The class attributes declaring ``constraints`` ((name, definition, message), ...) on the model
    whose body calls ``locals().update(sql_constraints(...))``. 18.0 reads ``_sql_constraints``; 19.0
    ignores it (with a warning) and reads ``models.Constraint`` attributes instead. The constraint
    gets the same name in the database either way (``<table>_<name>``), so the guarantees, the
    inbox's uniqueness first, are the same on both and survive an upgrade from one to the other."""
    if ODOO_19:
        return {f"_{name}": models.Constraint(definition, message) for name, definition, message in constraints}
    return {"_sql_constraints": list(constraints)}


def declared_constraints(model):
    """The names in the database (``<table>_<name>``) of the SQL constraints ``model`` declares."""
    if ODOO_19:
        return [name for name, obj in model._table_objects.items() if isinstance(obj, models.Constraint)]
    return [f"{model._table}_{name}" for name, _definition, _message in model._sql_constraints]


def cron_progress(env, done, remaining):
    """Tells Odoo's scheduler what this call of a scheduled action did (``done``) and what is left
    (``remaining``); it calls again while both are above zero. 18.0 records it (``_notify_progress``);
    19.0 deprecates that for ``_commit_progress``, which records it and commits: each call of the
    addon's scheduled actions ends here, its batch finished, where 19.0's scheduler commits anyway.
    Called outside a scheduled action (no progress to record), it does nothing on either version:
    whether the caller's transaction is committed is the caller's business."""
    if not env.context.get("ir_cron_progress_id"):
        return
    if ODOO_19:
        env["ir.cron"]._commit_progress(done, remaining=remaining)
    else:
        env["ir.cron"]._notify_progress(done=done, remaining=remaining)


def in_a_test_transaction(registry):
    """Whether a test is running in this process and a new cursor of ``registry`` would be a real
    connection beside the test's one transaction (a TransactionCase): there nothing may commit beside
    the test, nor wait for a row the test holds; the caller shares the test's transaction instead."""
    from odoo.modules import module  # noqa: PLC0415 - current_test is set while tests run

    return bool(module.current_test) and not registry_in_test_mode(registry)


def registry_in_test_mode(registry):
    """Whether the running test hands its own transaction out as each new cursor of ``registry``
    (HttpCase and its tours do): a cursor opened there is a savepoint, never a commit. 18.0 puts the
    registry in a test mode it can be asked about; 19.0's tests patch its ``cursor`` instead."""
    if ODOO_19:
        from odoo.modules import module  # noqa: PLC0415 - current_test is set while tests run

        test = module.current_test
        return bool(test) and bool(getattr(type(test), "_registry_patched", False))
    return registry.in_test_mode()


def enter_registry_test_mode(case):
    """Puts the registry in test mode for the rest of the TransactionCase ``case`` (its tests of what
    happens where HttpCase runs)."""
    if ODOO_19:
        case.registry_enter_test_mode()  # left by a cleanup it registers
        return
    case.registry.enter_test_mode(case.cr)
    case.addCleanup(case.registry.leave_test_mode)


def requests_from_outside(case):
    """A context in which the HttpCase ``case`` serves requests that are not its own (the simulator's,
    as Apicbase's would be): 19.0 refuses those without its test cookie unless told; 18.0 serves them."""
    if ODOO_19:
        return case.allow_requests(all_requests=True)
    return contextlib.nullcontext()


def domain_or(domains):
    """The union of ``domains`` (lists), as a list both versions' ORMs take."""
    if ODOO_19:
        from odoo.fields import Domain  # noqa: PLC0415 - 19.0 only; its odoo.osv warns on import

        return list(Domain.OR(domains))
    from odoo.osv import expression  # noqa: PLC0415 - 18.0 only

    return expression.OR(domains)
