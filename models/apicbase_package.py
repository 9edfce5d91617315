import json
import logging
from decimal import Decimal, InvalidOperation

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..apicbase import assortment as assortment_lib
from ..apicbase import content as content_lib
from ..apicbase.client import ApiError
from ..apicbase.errors import ContentError
from ..apicbase.payload import identifier
from .actions import open_records
from ..compat import PRODUCT_PURCHASE_UOM, sql_constraints
from ..const import UOM_BY_UNIT
from .system import as_system

_logger = logging.getLogger(__name__)

# Package fields compared on every pull: only changed bindings are written.
SYNCED_FIELDS = ["supplier_outlet_id", "shared_id", "article_name", "brand", "name", "gtin", "price",
                 "price_type_code", "package_type", "package_description", "content_label",
                 "content_total", "content_unit", "unit_count", "content_unreadable", "orderable", "active"]


def _decimal(value):
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


class ApicbasePackage(models.Model):
    """Binding: a package Apicbase holds for one customer, and the Odoo product it is."""

    _name = "apicbase.package"
    _description = "Apicbase Package"
    _order = "customer_number, third_party_id"
    _rec_name = "third_party_id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    customer_id = fields.Many2one("apicbase.customer", required=True, readonly=True, ondelete="cascade",
                                  index=True)
    customer_number = fields.Char(required=True, readonly=True)
    active = fields.Boolean(default=True, help="Unticked when Apicbase no longer lists the package.")
    supplier_outlet_id = fields.Char(string="Distribution Centre", readonly=True)
    third_party_id = fields.Char(string="Article Number", required=True, readonly=True, index=True)
    shared_id = fields.Char(readonly=True)
    article_name = fields.Char(readonly=True)
    brand = fields.Char(readonly=True)
    name = fields.Char(readonly=True)
    gtin = fields.Char(string="GTIN", readonly=True)
    price = fields.Float(readonly=True, digits=(16, 3))
    price_type_code = fields.Selection([("0", "Per package"), ("1", "Per unit")], string="Price Type",
                                       readonly=True)
    package_type = fields.Char(readonly=True)
    package_description = fields.Text(readonly=True)
    content_label = fields.Char(string="Content", readonly=True)
    content_total = fields.Float(readonly=True, digits=(16, 3))
    content_unit = fields.Char(readonly=True)
    unit_count = fields.Float(readonly=True, digits=(16, 3))
    content_unreadable = fields.Boolean(
        readonly=True, help="Apicbase describes the content in a way the connector cannot read (an unknown "
                            "unit, deeper nesting): the package is kept, its content is not compared.")
    orderable = fields.Boolean(readonly=True)
    product_id = fields.Many2one("product.product", index="btree_not_null", check_company=True)
    linked = fields.Boolean(compute="_compute_linked", store=True)
    drift = fields.Text(string="Differences", readonly=True,
                        help="Where Apicbase's package differs from what Odoo would publish.")
    has_drift = fields.Boolean(string="Differs", readonly=True, index=True)
    last_seen_at = fields.Datetime(readonly=True)

    locals().update(sql_constraints(
        ("package_customer_unique", "unique(company_id, customer_number, third_party_id)",
         "A package is bound once per customer."),
    ))

    @api.depends("product_id")
    def _compute_linked(self):
        for package in self:
            package.linked = bool(package.product_id)

    # ------------------------------------------------------------------
    # Pull
    # ------------------------------------------------------------------

    @api.model
    def _pull(self, company, customers=None):
        """Refreshes the package bindings of ``customers`` (default: every bound customer)."""
        customers = customers if customers is not None else self.env["apicbase.customer"].search(
            [("company_id", "=", company.id)])
        client = company._apicbase_client()
        touched = self.browse()
        for customer in customers:
            try:
                items = list(client.iter_packages(customer.customer_number))
            except ApiError as exc:
                if exc.status not in (400, 404):
                    raise  # Apicbase itself is in trouble: the pull stops, the cron says so
                # One customer Apicbase will not list (renamed, removed) must not hide the others.
                _logger.warning("Apicbase packages of customer %s not read: %s", customer.customer_number, exc)
                continue
            touched |= self._store(company, customer, items)
        as_system(company).apicbase_last_catalogue_pull_at = fields.Datetime.now()
        return touched

    @api.model
    def _store(self, company, customer, items):
        """Upserts one customer's packages in a handful of queries; archives the ones gone."""
        rows = {}
        for item in items:
            values = self._values_from_api(item)
            if values:
                rows[values["third_party_id"]] = values
        existing = {p.third_party_id: p for p in self.with_context(active_test=False).search(
            [("company_id", "=", company.id), ("customer_id", "=", customer.id)])}
        current = {p["id"]: p for p in self.browse([p.id for p in existing.values()]).read(
            SYNCED_FIELDS + ["product_id"], load=None)} if existing else {}
        products = self.env["product.product"]._apicbase_find(list(rows), company)
        now = fields.Datetime.now()
        to_create = []
        for tpid, values in rows.items():
            product = products.get(tpid)
            record = existing.get(tpid)
            if record is None:
                to_create.append({**values, "company_id": company.id, "customer_id": customer.id,
                                  "customer_number": customer.customer_number, "last_seen_at": now,
                                  "product_id": product.id if product and len(product) == 1 else False})
                continue
            old = current[record.id]
            changes = {name: value for name, value in values.items() if old.get(name) != value}
            if not old["product_id"] and product and len(product) == 1:
                changes["product_id"] = product.id
            if changes:
                record.write(changes)
        gone = [p.id for tpid, p in existing.items() if tpid not in rows and p.active]
        self.browse(gone).write({"active": False})
        kept = self.browse([p.id for tpid, p in existing.items() if tpid in rows])
        kept.write({"last_seen_at": now})
        created = self.create(to_create)
        touched = kept | created
        touched._refresh_drift()
        return touched

    @api.model
    def _values_from_api(self, item):
        package = item.get("package") if isinstance(item, dict) else None
        if not isinstance(package, dict) or not package.get("third_party_id"):
            return None
        article = package.get("article") if isinstance(package.get("article"), dict) else {}
        description = package.get("package_description")
        label, total, unit, count, problem = _content_summary(description)
        if problem:
            label = self.env._("Unreadable: %s", problem)
        price = _decimal(package.get("price"))
        return {
            "supplier_outlet_id": identifier(item.get("supplier_outlet_id")) or False,
            "third_party_id": str(package["third_party_id"]),
            "shared_id": str(article["shared_id"]) if article.get("shared_id") else False,
            "article_name": article.get("name") or False,
            "brand": article.get("brand") or False,
            "name": package.get("name") or article.get("name") or False,
            "gtin": package.get("gtin") or False,
            "price": float(price) if price is not None else 0.0,
            "price_type_code": "1" if str(package.get("price_type_code")) == "1" else "0",
            "package_type": package.get("package_type") or False,
            "package_description": json.dumps(description, sort_keys=True, default=str)
            if description is not None else False,
            "content_label": label,
            "content_total": total,
            "content_unit": unit,
            "unit_count": count,
            "content_unreadable": bool(problem),
            "orderable": package.get("orderable") is not False,
            "active": True,
        }

    # ------------------------------------------------------------------
    # Drift
    # ------------------------------------------------------------------

    def _refresh_drift(self):
        """Stores, on each package, how it differs from what its customer's assortment would publish.
        Written after a pull or a link rather than computed: it depends on the assortment's
        pricelist and products, which no ``@api.depends`` could follow."""
        for customer, packages in self.grouped("customer_id").items():
            assortment = self.env["apicbase.assortment"]._for_customer(customer)
            linked = packages.filtered("product_id")
            expected = assortment._expected_packages(linked.product_id) if assortment else {}
            changed = {}  # one write per distinct text: "no product" and the like repeat a lot
            for package in packages:
                text = "\n".join(package._differences(expected.get(package.product_id.id), assortment)) or False
                if package.drift != text:
                    changed.setdefault(text, []).append(package.id)
            for text, ids in changed.items():
                self.browse(ids).write({"drift": text, "has_drift": bool(text)})

    def _differences(self, expected, assortment):
        if not self.product_id:
            return [self.env._("Odoo has no product for this article.")]
        if not assortment:
            return [self.env._("No assortment publishes to this customer.")]
        if expected is None:
            return [self.env._("Not in the assortment %s.", assortment.name)]
        if isinstance(expected, list):
            return [self.env._("Odoo would not publish it: %s", "; ".join(f"{f}: {m}" for f, m in expected))]
        differences = []
        odoo_price = Decimal(str(expected["price"]))
        apicbase_price = Decimal(str(self.price)).quantize(assortment_lib.PRICE_STEP)
        if apicbase_price != odoo_price:
            differences.append(self.env._("price: Apicbase %(theirs)s, Odoo %(ours)s",
                                          theirs=_plain(apicbase_price), ours=_plain(odoo_price)))
        if (self.name or "") != expected["name"]:
            differences.append(self.env._("name: Apicbase %(theirs)s, Odoo %(ours)s", theirs=self.name,
                                          ours=expected["name"]))
        if bool(self.orderable) != bool(expected["orderable"]):
            differences.append(self.env._("orderable: Apicbase %(theirs)s, Odoo %(ours)s",
                                          theirs=self.orderable, ours=expected["orderable"]))
        _label, total, unit, count, _problem = _content_summary(expected["package_description"])
        if not self.content_unreadable and \
                (round(self.content_total, 3), self.content_unit, round(self.unit_count, 3)) != \
                (round(total, 3), unit, round(count, 3)):
            differences.append(self.env._("content: Apicbase %(theirs)s, Odoo %(ours)s",
                                          theirs=self.content_label or "?", ours=_label or "?"))
        return differences

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_create_products(self):
        """Creates an Odoo product for each article Apicbase knows and Odoo lacks."""
        missing = self.filtered(lambda p: not p.product_id)
        if not missing:
            raise UserError(self.env._("Every selected package already has a product."))
        templates = self.env["product.template"]
        # Each company's packages make and find that company's products (or shared ones).
        for company, packages in missing.grouped("company_id").items():
            by_tpid = {}
            for package in packages:
                by_tpid.setdefault(package.third_party_id, package)
            found = self.env["product.product"]._apicbase_find(list(by_tpid), company)
            values = [package._product_values() for tpid, package in by_tpid.items() if not found.get(tpid)]
            created = self.env["product.template"].with_company(company).create(values)
            templates |= created
            products = {t.default_code: t.product_variant_id for t in created}
            for package in packages:
                product = products.get(package.third_party_id) or found.get(package.third_party_id)
                if product and len(product) == 1:
                    package.product_id = product
        missing._refresh_drift()
        return open_records("product.template", self.env._("Created Products"), domain=[("id", "in", templates.ids)])

    def _product_values(self):
        self.ensure_one()
        per_unit = self.price_type_code == "1"
        unit = _price_unit_of(self.package_description) if per_unit else False
        uom = self.env.ref(UOM_BY_UNIT[unit]) if unit in UOM_BY_UNIT else self.env.ref("uom.product_uom_unit")
        gtin = self.gtin if self.gtin and content_lib.gtin_is_valid(self.gtin) else False
        if gtin and self.env["product.product"].search_count([("barcode", "=", gtin)], limit=1):
            gtin = False  # barcodes are unique in Odoo; the GTIN stays visible on the package
        return {
            "name": self.article_name or self.name,
            "company_id": self.company_id.id,
            "default_code": self.third_party_id,
            "barcode": gtin,
            "list_price": self.price,
            "sale_ok": True,
            "type": "consu",
            "uom_id": uom.id,
            **({PRODUCT_PURCHASE_UOM: uom.id} if PRODUCT_PURCHASE_UOM else {}),
            "apicbase_content": (not self.content_unreadable and self.content_label) or False,
            "apicbase_brand": self.brand or False,
            "apicbase_package_type": self.package_type or False,
            "apicbase_price_type": "unit" if unit else "package",
            "apicbase_price_unit": unit or False,
            "apicbase_orderable": self.orderable,
        }


def _plain(number):
    """1.950 -> '1.95', 2.000 -> '2': how people write prices in a sentence."""
    return format(number.normalize(), "f")


def _content_summary(description):
    """(label, total, base unit, unit count, problem) of a package_description.

    No description gives blanks; one the connector cannot read gives blanks and the problem.
    """
    blank = (False, 0.0, False, 0.0)
    if isinstance(description, str):
        try:
            description = json.loads(description)
        except ValueError:
            return (*blank, "not JSON")
    if description is None:
        return (*blank, None)
    try:
        parsed = content_lib.parse_description(description)
    except ContentError as exc:
        return (*blank, str(exc))
    return parsed.label, float(parsed.total), parsed.base_unit, float(parsed.unit_count), None


def _price_unit_of(description):
    try:
        parsed = content_lib.parse_description(json.loads(description or "null"))
    except (ValueError, ContentError):
        return False
    return {"mass": "kg", "volume": "l", "piece": "piece"}.get(parsed.dimension, False)
