"""A delivery date the lead times cannot meet: an Apicbase order asking for delivery before its
slowest line's lead time allows (working days from the day it was ordered, the pure core's
apicbase/lead_times.py) is accepted like any other, since the restaurant was told it went through,
but its sale order says so and the salesperson is asked to call the restaurant."""
import logging

from markupsafe import Markup

from odoo import fields, models
from odoo.tools import format_date

from ..apicbase import lead_times

_logger = logging.getLogger(__name__)


# One concern a file (the delivery date check, apart from the mapping), as the inbox's follow-up.
class SaleOrder(models.Model):
    _inherit = "sale.order"  # pylint: disable=consider-merging-classes-inherited

    apicbase_delivery_too_early = fields.Boolean(
        string="Delivery Asked Too Early", readonly=True, copy=False,
        help="The restaurant asks for delivery before the lead time of some lines allows (working days "
             "from the day it ordered).")
    apicbase_earliest_delivery = fields.Date(
        string="Earliest Possible Delivery", readonly=True, copy=False,
        help="The first day every line's lead time allows, counted in the company's working days from "
             "the day the restaurant ordered.")
    apicbase_delivery_warning = fields.Text(readonly=True, copy=False)

    def write(self, vals):
        result = super().write(vals)
        if "commitment_date" in vals:
            # A date agreed with the restaurant since: said again whether the lines can make it.
            self.filtered("apicbase_order_id")._apicbase_check_delivery_date()
        return result

    def _apicbase_check_delivery_date(self, notify=False):
        """Stores whether each order's delivery date leaves every line its lead time; with
        ``notify``, an order that asks too early gives its salesperson a to-do to call the
        restaurant."""
        for sale in self:
            try:
                check = sale._apicbase_delivery_check()
            except ValueError as exc:  # a calendar without working days: nothing can be said
                _logger.warning("Delivery date of sale order %s not checked: %s", sale.id, exc)
                check = None
            values = sale._apicbase_delivery_values(check)
            if any(sale[name] != value for name, value in values.items()):
                sale.write(values)
            if notify and check and check.too_early:
                sale._apicbase_schedule_delivery_call()

    def _apicbase_delivery_check(self):
        """The pure core's DeliveryCheck of this order, None when it asks for no date. The order's
        moment is Apicbase's (date_order becomes the confirmation's), the requested day is the
        delivery date; both are the restaurant's local days."""
        self.ensure_one()
        if not self.commitment_date:
            return None
        lines, seen = [], set()
        for line in self.order_line.filtered(lambda line: line.product_id and not line.display_type):
            product = line.product_id
            if product not in seen:
                seen.add(product)
                lines.append(lead_times.LineLeadTime(product.display_name, _lead_days(product)))
        tz = self.company_id._apicbase_tz()
        ordered_day = lead_times.local_day(self.apicbase_order_id.ordered_on or self.date_order, tz)
        requested_day = lead_times.local_day(self.commitment_date, tz)
        if not any(line.days for line in lines):  # nothing to count: the calendar is not read
            return lead_times.DeliveryCheck(ordered_day, requested_day, ordered_day)
        working_day = self.company_id._apicbase_working_days(ordered_day, tz)
        return lead_times.check_delivery(ordered_day, requested_day, lines, working_day)

    def _apicbase_delivery_values(self, check):
        if not check or not check.too_early:
            return {"apicbase_delivery_too_early": False, "apicbase_earliest_delivery": False,
                    "apicbase_delivery_warning": False}
        return {"apicbase_delivery_too_early": True, "apicbase_earliest_delivery": check.earliest_day,
                "apicbase_delivery_warning": self._apicbase_delivery_text(check)}

    def _apicbase_delivery_text(self, check):
        late = ", ".join(self.env._("%(product)s (%(days)s working day(s))", product=line.label, days=line.days)
                         for line in check.late_lines)
        return self.env._(
            "The restaurant asks for delivery on %(requested)s, but counted in working days from the order on "
            "%(ordered)s the earliest possible date is %(earliest)s. Cannot make it: %(lines)s.",
            requested=format_date(self.env, check.requested_day), ordered=format_date(self.env, check.ordered_day),
            earliest=format_date(self.env, check.earliest_day), lines=late)

    def _apicbase_schedule_delivery_call(self):
        """A to-do for the salesperson: call the restaurant and agree a date (the note is HTML, the
        product names anyone's text: escaped)."""
        self.ensure_one()
        todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        if not todo:
            return
        user = self.user_id or self.company_id._apicbase_responsible_user()
        note = Markup("<p>%s</p><p>%s</p>") % (self.apicbase_delivery_warning, self.env._(
            "Call the restaurant to agree a date, then set it as the delivery date (the order was accepted: "
            "Apicbase told the restaurant it went through)."))
        # Seen in the salesperson's activities at once; no e-mail per order.
        self.with_context(mail_activity_quick_update=True).activity_schedule(
            activity_type_id=todo.id, summary=self.env._("Call the restaurant: delivery asked too early"),
            note=note, user_id=user.id or self.env.uid)


def _lead_days(product):
    """A product's lead time in days: the one the catalogue publishes to Apicbase, else Odoo's
    customer lead time (Inventory's field, when it is installed)."""
    days = product.apicbase_lead_time
    if not days and "sale_delay" in product._fields:
        days = product.sale_delay
    return int(days or 0)
