import datetime
import logging
from decimal import Decimal

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools.safe_eval import safe_eval

from ..apicbase import assortment as assortment_lib
from ..apicbase.errors import ApicbaseError, ContentError
from ..compat import cron_progress, customer_pricelists_apply, sql_constraints
from ..const import PUBLISH_BATCH, SYNC_STATES
from .actions import error_text, is_apicbase_manager, notification, open_records, run_in_background
from .system import as_system

_logger = logging.getLogger(__name__)

# Fields read for every product of an assortment, in one batch.
PRODUCT_FIELDS = [
    "apicbase_article_number", "default_code", "name", "barcode", "description_sale", "apicbase_lead_time",
    "product_tmpl_id", "apicbase_content", "apicbase_brand", "apicbase_package_type",
    "apicbase_price_type", "apicbase_price_unit", "apicbase_weighted", "apicbase_orderable",
    "apicbase_order_multiplier",
]


class ApicbaseAssortment(models.Model):
    """One assortment file: the products (and prices) a customer number sees in Apicbase."""

    _name = "apicbase.assortment"
    _description = "Apicbase Assortment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    customer_number = fields.Char(
        required=True, tracking=True,
        help="The customer number the file is sent for: one customer's own number, or the number of "
             "the shared assortment all mutual customers use.")
    partner_ids = fields.Many2many("res.partner", string="Customers Served",
                                   help="The restaurants this assortment is for (information and drift report).")
    selection_mode = fields.Selection(
        [("domain", "Products matching a filter"), ("products", "A list of products")],
        default="domain", required=True, string="Products")
    product_domain = fields.Char(string="Product Filter", default="[('sale_ok', '=', True)]")
    product_domain_user_id = fields.Many2one(
        "res.users", string="Filter Written By", readonly=True, copy=False, default=lambda self: self.env.user,
        help="The product filter is applied with this user's rights, whoever publishes: a filter can "
             "never find more than the person who wrote it may read.")
    product_ids = fields.Many2many("product.product", string="Product List", check_company=True)
    pricelist_id = fields.Many2one(
        "product.pricelist", required=True, check_company=True,
        help="Prices the assortment: a customer-specific pricelist gives customer-specific prices.")
    auto_publish = fields.Boolean(
        string="Republish Automatically", default=True,
        help="A scheduled action publishes the assortment again whenever its products or prices change.")
    last_published_at = fields.Datetime(readonly=True)
    publish_pending = fields.Selection(
        [("changed", "If changed"), ("always", "Yes")], readonly=True, index=True, copy=False,
        help="To be published by the scheduled action now running: always (asked for by a person), "
             "or if its file changed (the hourly run).")
    last_published_hash = fields.Char(readonly=True, copy=False)
    # The file itself, what every preview compares with: an attachment of the assortment's own,
    # replaced at each publish (Odoo keeps one per record and field).
    last_file = fields.Binary(
        string="Last File Accepted", attachment=True, readonly=True, copy=False,
        help="The assortment file Apicbase last accepted: what a new publish is compared with.")
    last_file_name = fields.Char(readonly=True, copy=False)
    publish_requested_by_id = fields.Many2one(
        "res.users", readonly=True, copy=False,
        help="Who asked for the publish the scheduled action is about to make (several assortments at once).")
    publish_held = fields.Boolean(
        string="Waiting for a Person", readonly=True, copy=False, index=True, tracking=True,
        help="The hourly republish did not publish this file on its own (a price rise above the "
             "threshold, an article the restaurant ordered lately removed): a sales manager publishes "
             "it by hand after reading what changes.")
    publish_held_reason = fields.Text(string="Why It Waits", readonly=True, copy=False)
    publish_preview = fields.Html(
        string="What Publishing Changes", compute="_compute_publish_preview",
        help="The file a publish would send now, compared with the last one Apicbase accepted.")
    last_file_reference = fields.Char(string="Apicbase File", readonly=True, copy=False)
    last_package_count = fields.Integer(string="Packages Sent", readonly=True)
    last_rejected_count = fields.Integer(string="Products Left Out", readonly=True)
    sync_state = fields.Selection(
        [("never", "Never published"), ("pending", "Waiting for Apicbase")] + SYNC_STATES[1:],
        default="never", readonly=True, tracking=True)
    validation_report = fields.Html(readonly=True, sanitize=True)
    validation_checked_at = fields.Datetime(readonly=True)
    event_ids = fields.One2many("apicbase.sync.event", "assortment_id", string="Sync Events")
    event_count = fields.Integer(compute="_compute_event_count")
    pricelists_off = fields.Boolean(
        compute="_compute_pricelists_off",
        help="Odoo prices sale orders without customer pricelists (the Pricelists feature is off).")

    locals().update(sql_constraints(
        ("customer_number_company_unique", "unique(company_id, customer_number)",
         "Each Apicbase customer number has one assortment per company."),
    ))

    def _compute_event_count(self):
        counts = dict(self.env["apicbase.sync.event"]._read_group(
            [("assortment_id", "in", self.ids), ("current", "=", True)], ["assortment_id"], ["__count"]))
        for assortment in self:
            assortment.event_count = counts.get(assortment, 0)

    def _compute_pricelists_off(self):
        # 19.0 prices sale orders from the customer's pricelist only with the Pricelists feature on:
        # off, the file carries this pricelist's prices and each order arrives at the sales price.
        self.pricelists_off = not customer_pricelists_apply(self.env)

    def _compute_publish_preview(self):
        for assortment in self:
            assortment.publish_preview = assortment._preview_html()

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals["product_domain_user_id"] = self.env.uid  # the author's rights, not a default anyone sets
        return super().create(vals_list)

    def write(self, vals):
        if "product_domain" in vals:
            vals = {**vals, "product_domain_user_id": self.env.uid}
        return super().write(vals)

    @api.constrains("product_domain", "product_domain_user_id")
    def _check_product_domain(self):
        """A filter is refused on save when it is not a domain or names fields its author may not read
        (a comparison on a secret would otherwise answer yes or no about it at every publish)."""
        for assortment in self.filtered(lambda a: a.selection_mode == "domain"):
            try:
                assortment._filter_products(limit=1)
            except AccessError as exc:
                raise ValidationError(self.env._(
                    "The product filter of %(name)s uses fields you may not read: %(error)s",
                    name=assortment.name, error=exc.args[0])) from None
            except (ValueError, SyntaxError, NameError, TypeError, KeyError) as exc:
                raise ValidationError(self.env._("The product filter of %(name)s is not a valid filter: %(error)s",
                                                 name=assortment.name, error=exc)) from None

    def _products(self):
        self.ensure_one()
        if self.selection_mode == "products":
            return self.product_ids.with_company(self.company_id)
        return self._filter_products()

    def _filter_products(self, limit=None):
        """The products the filter finds, searched with its author's rights (see product_domain_user_id),
        whoever asks: the scheduled publish and the package pull run as the system. Returned in the
        caller's environment."""
        author = self.product_domain_user_id or self.create_uid
        products = self.env["product.product"].with_user(author).with_company(self.company_id).search(
            self._product_domain() + [("company_id", "in", [False, self.company_id.id])], order="id", limit=limit)
        return products.with_env(self.env).with_company(self.company_id)

    def _product_domain(self):
        domain = safe_eval(self.product_domain or "[]")
        if not isinstance(domain, list):
            raise ValueError(self.env._("a filter is a list of conditions"))
        return domain

    def _articles(self, products):
        """Plain articles for the pure builder: one batched read, one batched price computation."""
        self.ensure_one()
        prices = self.pricelist_id._get_products_price(products, 1.0)
        # The customer lead time field comes with the stock app, which this addon does not require.
        extra = ["sale_delay"] if "sale_delay" in products._fields else []
        rows = products.read(PRODUCT_FIELDS + extra, load=None)
        return [self._article(row, prices.get(row["id"])) for row in rows]

    def _article(self, row, price):
        unit_priced = row["apicbase_price_type"] == "unit"
        return assortment_lib.Article(
            third_party_id=row["apicbase_article_number"] or row["default_code"] or "",
            name=row["name"] or "",
            price=Decimal(repr(price)) if price is not None else None,
            content_label=row["apicbase_content"] or None,
            shared_id=str(row["product_tmpl_id"]) if row["product_tmpl_id"] else None,
            brand=row["apicbase_brand"] or None,
            description=row["description_sale"] or None,
            package_type=row["apicbase_package_type"] or None,
            price_type_code=1 if unit_priced else 0,
            price_unit=row["apicbase_price_unit"] if unit_priced else None,
            orderable=row["apicbase_orderable"],
            lead_time_days=int(row["apicbase_lead_time"] or row.get("sale_delay") or 0) or None,
            weighted=row["apicbase_weighted"],
            gtin=row["barcode"] or None,
            order_multiplier=row["apicbase_order_multiplier"] or None,
            extra={"product_id": row["id"]},
        )

    def _build(self):
        """Returns ``(packages, rejected, articles)`` for this assortment."""
        self.ensure_one()
        articles = self._articles(self._products())
        packages, rejected = assortment_lib.build_assortment(articles, unit_map=self._unit_map())
        return packages, rejected, articles

    @api.model
    def _for_customer(self, customer):
        """The assortment that publishes to an Apicbase customer binding (own number, else as a partner)."""
        domain = [("company_id", "=", customer.company_id.id)]
        own = self.search(domain + [("customer_number", "=", customer.customer_number)], limit=1)
        if own or not customer.partner_id:
            return own
        return self.search(domain + [("partner_ids", "in", customer.partner_id.ids)], limit=1)

    def _expected_packages(self, products):
        """What this assortment would publish for ``products``: {product id: package dict or problems}.

        Products outside the assortment are left out of the answer.
        """
        self.ensure_one()
        products = products & self._products()
        expected = {}
        for article in self._articles(products):
            try:
                expected[article.extra["product_id"]] = assortment_lib.build_package(article, self._unit_map())
            except ContentError as exc:
                expected[article.extra["product_id"]] = exc.problems
        return expected

    def _unit_map(self):
        return self.company_id._apicbase_unit_map()

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_validate(self):
        self.ensure_one()
        packages, rejected, articles = self._build()
        diff = self._changes(packages)
        report = self._report_html(packages, rejected, articles)
        # What a publish would change, with the file checked: one step shows both.
        report += Markup("<h5>%s</h5>") % self.env._("What publishing changes") + self._changes_html(
            diff, self._hold_reasons(diff))
        self.write({"validation_report": report, "validation_checked_at": fields.Datetime.now()})
        if rejected:
            return notification(self.env._("%(bad)s of %(total)s product(s) would be rejected: see the Validation tab.",
                             bad=len(rejected), total=len(articles)), "warning")
        return notification(self.env._("All %s product(s) are ready for Apicbase.", len(packages)), "success")

    def _report_html(self, packages, rejected, articles):
        warnings = {article.third_party_id or article.name: found for article in articles
                    if (article.third_party_id or article.name) not in rejected
                    and (found := assortment_lib.package_warnings(article))}
        names = {article.third_party_id or article.name: article.name for article in articles}
        if not rejected:
            head = Markup("<p>%s</p>") % self.env._("All %s product(s) are valid.", len(packages))
        else:
            head = Markup("<p>%s</p>") % self.env._("%(bad)s of %(total)s product(s) would be rejected by Apicbase:",
                                                    bad=len(rejected), total=len(articles))
            head += self._problem_table(rejected, names)
        if warnings:
            head += Markup("<p>%s</p>") % self.env._("Accepted, but Apicbase's quality check asks for better data:")
            head += self._problem_table(warnings, names)
        return head

    def _problem_table(self, problems_by_key, names):
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td><ul>%s</ul></td></tr>") % (
                key, names.get(key, ""),
                Markup("").join(Markup("<li><b>%s</b>: %s</li>") % (field, message)
                                for field, message in problems))
            for key, problems in sorted(problems_by_key.items()))
        return Markup("<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th><th>%s</th></tr>"
                      "</thead><tbody>%s</tbody></table>") % (
            self.env._("Article"), self.env._("Product"), self.env._("Problems"), rows)

    def action_publish(self):
        """One assortment is published at once; several are left to the scheduled action, which
        builds and uploads a few at a time instead of holding the browser for minutes."""
        # Checked before anything is built or sent: the upload cannot be taken back.
        if not is_apicbase_manager(self.env):
            raise AccessError(self.env._("Only sales managers can publish assortments to Apicbase."))
        # Marked as the system below, so the caller's own right to each one is checked first.
        self.check_access("write")
        if len(self) > 1:
            as_system(self).write({"publish_pending": "always", "publish_requested_by_id": self.env.uid})
            return run_in_background(self.env, "apicbase_connector.ir_cron_apicbase_publish_changed", self.env._(
                "%s assortments are being published in the background; each one's chatter tells when "
                "it is done, or why not.", len(self)))
        published_before = bool(self.last_published_hash)
        diff = self._publish()
        return notification(self.env._("Published. %(changes)s Apicbase processes the file in the background; "
                                       "its events appear here once read.",
                                       changes=self._changes_head(diff, published_before)),
                            "success")

    def _publish(self, packages=None, rejected=None, diff=None, by=None):
        """Sends the file (built now unless given), keeps it as the one Apicbase holds and says in the
        chatter who published it and what it changed; returns what it changed (a FileDiff). ``by``:
        who published, when it is not the user (the scheduled action publishing for someone)."""
        self.ensure_one()
        if packages is None:
            packages, rejected, _articles = self._build()
        if not packages:
            raise UserError(self.env._("Nothing to publish in %s: no product is valid (use Validate).", self.name))
        client = self.company_id._apicbase_client()
        sent_at = fields.Datetime.now()  # before the upload: its events may come while it runs
        try:
            answer = client.post_assortment_file(self.customer_number, assortment_lib.dumps(packages))
        except ApicbaseError as exc:
            raise UserError(self.env._("Apicbase refused the assortment %(name)s: %(error)s", name=self.name,
                                       error=exc)) from None
        # Compared before the kept file is replaced by this one.
        diff = diff or self._changes(packages)
        published_before = bool(self.last_published_hash)
        self._keep_file(packages)
        # Events of earlier files no longer describe what Apicbase holds.
        self.event_ids.filtered("current").write({"current": False})
        self.write({
            "last_published_at": sent_at,
            "last_published_hash": assortment_lib.file_hash(packages),
            "last_file_reference": str(answer.get("id") or "") if isinstance(answer, dict) else "",
            "last_package_count": len(packages),
            "last_rejected_count": len(rejected or {}),
            "sync_state": "pending",
        })
        as_system(self.company_id).apicbase_last_publish_at = sent_at
        # Apicbase processes the file in the background: read its events a little later.
        poll = self.env.ref("apicbase_connector.ir_cron_apicbase_poll_events", raise_if_not_found=False)
        if poll:
            as_system(poll)._trigger(fields.Datetime.now() + datetime.timedelta(minutes=2))
        by = by or self.env.user.name
        self._release(self.env._("Published by %s.", by))
        self.message_post(body=self._published_note(packages, rejected, diff, by, published_before))
        return diff

    def action_view_events(self):
        self.ensure_one()
        return open_records("apicbase.sync.event", self.env._("Sync Events"), domain=[("assortment_id", "=", self.id)],
                            context={"search_default_current": 1})

    def action_poll_events(self):
        if not is_apicbase_manager(self.env):
            raise AccessError(self.env._("Only sales managers can read Apicbase's events on demand; they are "
                                         "read every 15 minutes anyway."))
        for company in self.company_id:
            try:
                self.env["apicbase.sync.event"]._poll(company)
            except ApicbaseError as exc:
                raise UserError(self.env._("Reading Apicbase's events failed: %s", exc)) from None
        return notification(self.env._("Events read from Apicbase."), "success")

    def _update_sync_state(self):
        for assortment in self:
            state = assortment.event_ids._worst_state()
            if state != "none":
                assortment.sync_state = state

    # ------------------------------------------------------------------
    # Scheduled
    # ------------------------------------------------------------------

    def _publish_if_nothing_holds(self, packages, rejected):
        """The hourly republish of a changed file: sent, unless what it changes should be seen by a
        person first (see _hold_reasons), in which case the assortment waits for one."""
        diff = self._changes(packages)
        reasons = self._hold_reasons(diff)
        if reasons:
            self._hold(diff, reasons)
        else:
            self._publish(packages, rejected, diff=diff, by=self.env._("the hourly republish"))

    @api.model
    def _cron_publish_changed(self, limit=PUBLISH_BATCH):
        """Publishes the assortments people asked for, and each automatic one whose file would
        differ from the last one sent: ``limit`` a call, Odoo's scheduler calling again while some
        remain."""
        assortments_sudo = as_system(self)
        if not assortments_sudo.search_count([("publish_pending", "!=", False)], limit=1):
            assortments_sudo.search([("auto_publish", "=", True)]).publish_pending = "changed"
        batch = assortments_sudo.search([("publish_pending", "!=", False)], limit=limit, order="id")
        for assortment in batch:
            assortment._publish_pending()
        batch.write({"publish_pending": False, "publish_requested_by_id": False})
        remaining = assortments_sudo.search_count([("publish_pending", "!=", False)])
        cron_progress(self.env, len(batch), remaining)

    def _publish_pending(self):
        try:
            with self.env.cr.savepoint():
                packages, rejected, _articles = self._build()
                if self.publish_pending == "always":  # a person asked for it
                    self._publish(packages, rejected, by=self.publish_requested_by_id.name)
                elif packages and assortment_lib.file_hash(packages) != self.last_published_hash:
                    self._publish_if_nothing_holds(packages, rejected)
                elif self.publish_held:
                    self._release(self.env._("Nothing left to publish: the file is again the one Apicbase holds."))
        except Exception as exc:  # noqa: BLE001 - one broken assortment must not stop the others
            _logger.warning("Apicbase assortment %s not published: %s", self.id, exc,
                            exc_info=not isinstance(exc, (ApicbaseError, UserError)))
            if self.publish_pending == "always":  # someone waits for it: tell them where they look
                self.message_post(body=self.env._("Not published: %s", error_text(self.env, exc)))
