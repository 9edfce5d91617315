import logging

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..apicbase.payload import naive_utc
from ..compat import LINE_TAXES, LINE_UOM, sql_constraints
from ..const import PRICE_DIGITS
from ..exceptions import ApicbaseMappingError
from .actions import open_records

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    apicbase_order_id = fields.Many2one(
        "apicbase.order", readonly=True, copy=False, index="btree_not_null")
    apicbase_id = fields.Char(related="apicbase_order_id.apicbase_id", string="Apicbase ID")
    apicbase_ordered_on = fields.Datetime(related="apicbase_order_id.ordered_on", string="Ordered in Apicbase")
    apicbase_remarks = fields.Text(readonly=True, copy=False)
    apicbase_owner = fields.Char(string="Ordered By (Apicbase)", readonly=True, copy=False)
    apicbase_status = fields.Selection(related="apicbase_order_id.apicbase_status")
    apicbase_delivery_closed = fields.Boolean(related="apicbase_order_id.delivery_closed",
                                              string="Delivery Closed in Apicbase")
    apicbase_invoice_status = fields.Selection(related="apicbase_order_id.invoice_status",
                                               string="Apicbase Invoice Status")
    apicbase_invoice_number = fields.Char(related="apicbase_order_id.invoice_number")
    apicbase_invoice_disagreement = fields.Char(related="apicbase_order_id.invoice_disagreement")
    apicbase_invoice_disagreement_text = fields.Text(related="apicbase_order_id.invoice_disagreement_text")
    apicbase_price_mismatch = fields.Boolean(
        string="Apicbase Price Differs", compute="_compute_apicbase_price_mismatch", store=True)
    apicbase_amount = fields.Float(
        string="Apicbase Total", digits=(16, PRICE_DIGITS), readonly=True, copy=False,
        help="The order's total as the restaurant saw it in Apicbase, untaxed and to Apicbase's own "
             "decimals, whatever Odoo's Product Price precision.")
    apicbase_price_rounded = fields.Boolean(
        compute="_compute_apicbase_price_rounded",
        help="Some lines charge Apicbase's price rounded to the Product Price precision.")

        # An inbox record yields at most one sale order, whatever races happen.
    locals().update(sql_constraints(
        ("apicbase_order_unique", "unique(apicbase_order_id)",
         "This Apicbase order already has a sale order."),
    ))

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("apicbase_order_id") for vals in vals_list):
            self._apicbase_check_link_is_ours()
        return super().create(vals_list)

    def write(self, vals):
        if "apicbase_order_id" in vals:
            self._apicbase_check_link_is_ours()
        return super().write(vals)

    def _apicbase_check_link_is_ours(self):
        """Only the connector links a sale order to an Apicbase order (as the system, see system.py):
        a link set by hand would mark another order done here, and maybe acknowledged in Apicbase."""
        if not self.env.su:
            raise AccessError(self.env._("Only the Apicbase connector links a sale order to an Apicbase order."))

    @api.depends("order_line.apicbase_price_mismatch")
    def _compute_apicbase_price_mismatch(self):
        for sale in self:
            sale.apicbase_price_mismatch = any(sale.order_line.mapped("apicbase_price_mismatch"))

    @api.depends("order_line.apicbase_price_rounded")
    def _compute_apicbase_price_rounded(self):
        for sale in self:
            sale.apicbase_price_rounded = any(sale.order_line.mapped("apicbase_price_rounded"))

    def action_open_apicbase_order(self):
        self.ensure_one()
        return open_records("apicbase.order", res_id=self.apicbase_order_id.id)

    # ------------------------------------------------------------------
    # From an Apicbase purchase order (the mapper)
    # ------------------------------------------------------------------

    @api.model
    def _apicbase_create_from(self, inbox, po):
        """The sale order of ``po`` (a parsed purchase order) stored as ``inbox``.

        Raises ApicbaseMappingError listing every customer or article Odoo cannot resolve.
        """
        company = inbox.company_id
        partner, problems = self._apicbase_partner(company, po.customer_number)
        products, product_problems = self._apicbase_products(company, po)
        problems += product_problems
        if problems:
            raise ApicbaseMappingError("\n".join(staff for staff, _restaurant in problems),
                                       "\n".join(restaurant for _staff, restaurant in problems), partner=partner)
        # Our chatter note says where the order came from, so Odoo's "Quotation created" log and the
        # system user as a follower are left out; the salesperson follows the order, without the
        # rendered "you have been assigned" e-mail per order, which also had Odoo rewrite the
        # customer's signup data on every order (concurrent orders of a restaurant then conflict).
        sale = self.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_auto_subscribe_no_notify=True,
        ).create(self._apicbase_values(inbox, po, partner))
        lines = sale.env["sale.order.line"].create(sale._apicbase_line_values(po, products))
        sale._apicbase_flag_prices(lines, po)
        sale._apicbase_check_delivery_date(notify=True)
        sale._apicbase_log_origin(inbox, po)
        if company.apicbase_auto_confirm:
            sale._apicbase_try_confirm()
        return sale

    @api.model
    def _apicbase_partner(self, company, number):
        """(contact, problems) for an Apicbase customer number: the binding first, then the contact field.

        Each problem is a pair: what staff read, with our contacts' names, and what the restaurant
        may read, its own number only.
        """
        if not number:
            return self.env["res.partner"], [(
                self.env._("Apicbase sent no customer number, so Odoo cannot tell which restaurant ordered. "
                           "Ask Apicbase to set the restaurant's customer number; enter this order by hand "
                           "meanwhile."),
                self.env._("The order has no customer number: the supplier cannot tell which restaurant "
                           "ordered."))]
        bound = self.env["apicbase.customer"]._partner_for(company, number)
        if bound:
            return bound, []
        partners = self.env["res.partner"].search([
            ("apicbase_customer_number", "=", number),
            ("company_id", "in", [False, company.id]),
        ])
        if len(partners) == 1:
            return partners, []
        if not partners:
            return partners, [(
                self.env._("Customer number %s: no contact has this Apicbase customer number.", number),
                self.env._("Customer number %s is not known to the supplier.", number))]
        return partners.browse(), [(
            self.env._("Customer number %(number)s: several contacts have it (%(names)s); keep it on one.",
                       number=number, names=", ".join(partners.mapped("display_name"))),
            self.env._("Customer number %s cannot be matched to one customer of the supplier.", number))]

    @api.model
    def _apicbase_products(self, company, po):
        """({article number: product}, problems): explicit Apicbase number first, then internal reference.

        Problems are pairs, as in _apicbase_partner: staff read our products' names, the restaurant
        its article numbers only.
        """
        found_by_number = self.env["product.product"]._apicbase_find(po.article_numbers, company)
        names = {line.article_number: line.stock_item_name for line in po.lines}
        products, problems = {}, []
        for number, found in found_by_number.items():
            label = f"{number} ({names[number]})" if names.get(number) else number
            if not found:
                problems.append((
                    self.env._("Article %s: no product has this Apicbase article number or internal reference.",
                               label),
                    self.env._("Article %s is not known to the supplier.", number)))
            elif len(found) > 1:
                problems.append((
                    self.env._("Article %(label)s: several products match (%(names)s).",
                               label=label, names=", ".join(found.mapped("display_name"))),
                    self.env._("Article %s cannot be matched to one article of the supplier.", number)))
            elif not found.sale_ok:
                problems.append((
                    self.env._("Article %(label)s: product %(name)s cannot be sold.",
                               label=label, name=found.display_name),
                    self.env._("Article %s cannot be ordered from the supplier.", number)))
            else:
                products[number] = found
        return products, problems

    @api.model
    def _apicbase_values(self, inbox, po, partner):
        company = inbox.company_id
        salesperson = partner.user_id or partner.commercial_partner_id.user_id
        responsible = None
        if not salesperson:
            responsible = salesperson = company._apicbase_responsible_user()
        # The time zone only for a date Apicbase sent without an offset; the responsible looked up once.
        tz = company._apicbase_tz(responsible) if po.has_local_times else None
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "user_id": salesperson.id,
            "client_order_ref": po.order_number,
            "origin": self.env._("Apicbase %s", po.order_number),
            "date_order": naive_utc(po.ordered_on, tz),
            "commitment_date": naive_utc(po.expected_delivery_date, tz),
            "apicbase_order_id": inbox.id,
            "apicbase_remarks": po.remarks or False,
            "apicbase_owner": po.owner or False,
            "apicbase_amount": _po_total(po),
        }

    def _apicbase_log_origin(self, inbox, po):
        # The link is Markup: the translation around it is escaped, never trusted as HTML.
        details = [self.env._("Created from Apicbase purchase order %(link)s (Apicbase id %(id)s).",
                              link=inbox._get_html_link(), id=inbox.apicbase_id)]
        if po.owner:
            details.append(self.env._("Ordered by %s.", po.owner))
        if po.remarks:
            details.append(self.env._("Remarks: %s", po.remarks))
        # A log note: nobody is notified of it, so the notification machinery is skipped.
        self._message_log(body=Markup("<br/>").join(details))

    def _apicbase_line_values(self, po, products):
        """The values of ``po``'s lines at their final price, with the price check's outcome, for one
        create: Odoo computes the amounts once instead of pricing the lines, then rewriting every one.
        The reference Apicbase's price is compared with is the pricelist's: what Odoo's own
        computation gives each line unsaved (as create itself would), discount included."""
        self.ensure_one()
        company = self.company_id
        use_apicbase = company.apicbase_price_source == "apicbase"
        vals_list = [{
            "order_id": self.id,
            "product_id": products[line.article_number].id,
            "product_uom_qty": line.quantity,
            "sequence": index,
            "apicbase_article_number": line.article_number,
        } for index, line in enumerate(po.lines, start=1)]
        if not self._apicbase_analytic_models_exist():
            # Odoo searches the analytic distribution models once per line; with none that could
            # apply to this company, every search would find nothing and leave the line without a
            # distribution: one query says so for all lines.
            for vals in vals_list:
                vals["analytic_distribution"] = False
        lines = self.env["sale.order.line"]
        drafts = lines.concat(*(lines.new(vals) for vals in vals_list))  # priced together, in one batch
        for vals, draft, po_line in zip(vals_list, drafts, po.lines, strict=True):
            # The pricelist's price and discount, given so that create does not compute them again.
            # technical_price_unit is the price Odoo computed: a line whose price differs from it
            # counts as priced by hand, so a new quantity keeps Apicbase's price below.
            vals.update(price_unit=draft.price_unit, technical_price_unit=draft.price_unit,
                        discount=draft.discount)
            # What else Odoo computed on the unsaved line (none of it depends on the price), given
            # too, so that create does not compute it a second time.
            vals.update(draft._convert_to_write({name: draft[name] for name in (
                "name", LINE_UOM, LINE_TAXES, "analytic_distribution", "customer_lead")}))
            vals.update(draft._apicbase_price_vals(po_line.price_per_package, company.apicbase_price_tolerance))
            if use_apicbase and po_line.price_per_package is not None:
                # A pricelist discount is already in Apicbase's net price: not a second time.
                vals.update(price_unit=float(po_line.price_per_package), discount=0.0,
                            apicbase_price_locked=True)
        return vals_list

    def _apicbase_flag_prices(self, lines, po):
        """Tells, in the chatter, which of ``lines`` (created from ``po``'s lines, in their order)
        disagree with the pricelist, and flags those whose Apicbase price the Product Price
        precision rounded."""
        rounded = {}  # line: Apicbase's exact price
        for line, po_line in zip(lines, po.lines, strict=True):
            # The field's precision may have rounded the price just stored: check what was stored.
            if line.apicbase_price_locked and line._apicbase_price_rounded(po_line.price_per_package):
                rounded[line] = po_line.price_per_package
        mismatched = lines.filtered("apicbase_price_mismatch")
        if mismatched:
            self._message_log(body=self.env._(
                "Apicbase and the pricelist disagree on the price of: %s",
                ", ".join(mismatched.mapped("product_id.display_name"))))
        if rounded:
            # Flagged too: the line no longer charges the price Apicbase sent.
            self.env["sale.order.line"].union(*rounded).write(
                {"apicbase_price_mismatch": True, "apicbase_price_rounded": True})
            self._message_log(body=self.env._(
                "Apicbase's price was rounded to the Product Price precision (see Settings → Sales → "
                "Apicbase → Order line prices) on: %s",
                ", ".join(f"{line.product_id.display_name} ({price} → {line.price_unit})"
                          for line, price in rounded.items())))

    def _apicbase_analytic_models_exist(self):
        """Whether a distribution model could apply to a line of this order (any of the company's,
        or one for all companies); the criteria themselves are left to Odoo's own computation."""
        return bool(self.env["account.analytic.distribution.model"].search_count(
            [("company_id", "in", [self.company_id.id, False])], limit=1))

    def _action_cancel(self):
        result = super()._action_cancel()
        # The restaurant may still expect these orders in Apicbase: someone must tell it.
        self.apicbase_order_id._flag_contradictions()
        return result

    def _recompute_prices(self):
        # Asked for the pricelist's prices (Update Prices), the user gets them as on any other line,
        # discount included: Apicbase's net price no longer holds.
        self._get_update_prices_lines().filtered("apicbase_price_locked").apicbase_price_locked = False
        return super()._recompute_prices()

    def _apicbase_try_confirm(self):
        """Confirms, but keeps the quotation when confirmation is refused."""
        try:
            with self.env.cr.savepoint():
                self.action_confirm()
        except UserError as exc:
            self.message_post(body=self.env._("Not confirmed automatically: %s", exc.args[0]))


def _po_total(po):
    """The restaurant's untaxed total, exactly as Apicbase computed it: the order's own figure, else
    the lines' totals, else their prices times quantities; False when Apicbase sent no price."""
    if po.theoretical_price is not None:
        return float(po.theoretical_price)
    totals = [line.total_price if line.total_price is not None
              else (line.price_per_package * line.quantity if line.price_per_package is not None else None)
              for line in po.lines]
    return float(sum(totals)) if totals and None not in totals else False
