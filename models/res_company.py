import datetime as dt
import functools
import logging
import secrets
import zoneinfo

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..apicbase import content as content_lib
from ..apicbase import lead_times
from ..apicbase.client import ApicbaseClient, ApiError, url_problem
from ..apicbase.errors import ContentError
from ..compat import USER_GROUPS, sql_constraints
from ..const import (DEFAULT_API_URL, DEFAULT_TOKEN_URL, PRICE_RISE_THRESHOLD, REQUESTS_PER_MINUTE,
                     REQUESTS_PER_MINUTE_PARAM, WEBHOOK_ROUTE, WEBHOOK_TOKEN_PATTERN)
from .apicbase_api_error import ErrorRecordingClient
from .system import as_system

_logger = logging.getLogger(__name__)


def _new_webhook_token():
    return secrets.token_urlsafe(24)


class ResCompany(models.Model):
    _inherit = "res.company"

    # Connection and secrets: Settings administrators only.
    apicbase_api_url = fields.Char(
        string="Apicbase API URL", default=DEFAULT_API_URL, groups="base.group_system")
    apicbase_token_url = fields.Char(
        string="Apicbase Token URL", default=DEFAULT_TOKEN_URL, groups="base.group_system")
    apicbase_client_id = fields.Char(string="Apicbase Client ID", groups="base.group_system")
    apicbase_client_secret = fields.Char(
        groups="base.group_system", copy=False)
    apicbase_webhook_secret = fields.Char(
        groups="base.group_system", copy=False,
        help="Key of the order webhook signature. Leave empty to use the client secret.")
    apicbase_webhook_token = fields.Char(
        groups="base.group_system", copy=False,
        default=lambda self: _new_webhook_token(),
        help="Part of the webhook URL that tells which company an order is for. It identifies, "
             "it does not authenticate: every order must carry a valid signature.")

    # Order intake behaviour: readable by the internal users who handle orders, not by the portal.
    apicbase_price_source = fields.Selection(
        [("apicbase", "Apicbase price"), ("pricelist", "Odoo pricelist")],
        string="Apicbase Line Price", default="apicbase", required=True,
        help="Price put on the sale order lines: the theoretical price per package Apicbase "
             "sends, or the price of the customer's pricelist in Odoo.", groups="base.group_user")
    apicbase_price_tolerance = fields.Float(
        string="Apicbase Price Tolerance (%)", default=1.0,
        help="A line whose Apicbase price differs from the pricelist price by more than this "
             "percentage is flagged on the sale order.", groups="base.group_user")
    apicbase_auto_confirm = fields.Boolean(
        string="Confirm Apicbase Orders",
        help="Confirm the sale order as soon as an Apicbase order is fully resolved.", groups="base.group_user")
    apicbase_unmapped_policy = fields.Selection(
        [("accept", "Accept and queue for review"), ("refuse", "Refuse (the restaurant is told at once)")],
        string="Unresolved Apicbase Orders", default="accept", required=True,
        help="What to answer Apicbase when an order names an unknown customer or article.", groups="base.group_user")
    apicbase_reconcile_days = fields.Integer(
        string="Apicbase Follow-up (days)", default=30,
        help="Orders of the last days whose Apicbase state (delivered, closed, invoiced) is followed, "
             "and where orders whose webhook never arrived are looked for.", groups="base.group_user")
    apicbase_acknowledge = fields.Boolean(
        string="Acknowledge Confirmed Orders",
        help="Mark orders as viewed in Apicbase once their sale order is confirmed: the restaurant "
             "then sees the order acknowledged and expects delivery on the requested date.", groups="base.group_user")
    apicbase_user_id = fields.Many2one(
        "res.users", string="Apicbase Responsible",
        help="Receives the activities of orders that need a person. Defaults to the company's "
             "first sales team leader.", groups="base.group_user")

    apicbase_invoice_days = fields.Integer(
        string="Invoice Registration Delay (days)", default=7,
        help="An invoice posted this many days ago that Apicbase still has as not received was not "
             "registered by the restaurant: someone is asked to send it again.", groups="base.group_user")
    apicbase_invoice_user_id = fields.Many2one(
        "res.users", string="Apicbase Invoice Responsible", domain=lambda self: [
            ("share", "=", False), (USER_GROUPS, "in", self.env.ref("account.group_account_invoice").id)],
        help="Receives the to-dos of invoices that disagree with Apicbase. Empty: the Apicbase responsible. "
             "Only someone who may read invoices gets them.", groups="base.group_user")

    apicbase_price_rise_threshold = fields.Float(
        string="Price Rise Threshold (%)", default=PRICE_RISE_THRESHOLD,
        help="The hourly republish does not publish a file that raises a price by more than this "
             "percentage, or removes an article a restaurant ordered in the last 90 days: the "
             "assortment waits for a sales manager, who publishes it by hand after reading what changes. "
             "0: prices are not checked.", groups="base.group_user")
    apicbase_unit_mapping = fields.Char(
        default="ml=cubic_centimeter, cl=cubic_centimeter, dl=cubic_centimeter",
        help="Units Apicbase does not take and the unit sent instead, e.g. cl=cubic_centimeter "
             "(33 cl is sent as 330 cubic_centimeter). Empty: these defaults.", groups="base.group_user")
    apicbase_last_publish_at = fields.Datetime(string="Last Apicbase Publish", readonly=True, groups="base.group_user")
    apicbase_last_events_poll_at = fields.Datetime(
        string="Last Apicbase Events Poll", readonly=True, groups="base.group_user")
    apicbase_last_event_at = fields.Datetime(
        string="Newest Apicbase Event", readonly=True,
        help="created_at of the newest event read: the next poll asks for events from there on.",
        groups="base.group_user")
    apicbase_last_catalogue_pull_at = fields.Datetime(
        string="Last Customers and Packages Pull", readonly=True, groups="base.group_user")
    apicbase_follow_up_run = fields.Json(
        string="Apicbase Follow-up in Progress", groups="base.group_system", readonly=True, copy=False,
        help="The window, next page and findings of the follow-up the scheduled action is running.")

    locals().update(sql_constraints(
        ("apicbase_webhook_token_unique", "unique(apicbase_webhook_token)",
         "Each company needs its own Apicbase webhook token."),
    ))

    def _apicbase_client(self):
        """An API client for this company, which records the API errors it meets (apicbase.api.error);
        UserError when the connection is not configured. Every client of the connector is made here."""
        self.ensure_one()
        company_sudo = as_system(self)
        if not (company_sudo.apicbase_client_id and company_sudo.apicbase_client_secret):
            raise UserError(self.env._("Set the Apicbase client id and client secret of %s in Settings → Sales → "
                                       "Apicbase first.", self.name))
        api_url, client_id = company_sudo.apicbase_api_url or DEFAULT_API_URL, company_sudo.apicbase_client_id
        # Apicbase's limit is per client: every client of the account, in every process, shares one budget.
        try:
            client = ApicbaseClient(api_url, company_sudo.apicbase_token_url or DEFAULT_TOKEN_URL,
                                    client_id, company_sudo.apicbase_client_secret,
                                    requests_per_minute=self._apicbase_requests_per_minute(),
                                    pacer=self.env["apicbase.api.budget"]._pacer(api_url, client_id))
        except ApiError as exc:  # a URL stored before it was checked on save
            raise UserError(self.env._("%(error)s Correct it in Settings → Sales → Apicbase.", error=exc)) from None
        return ErrorRecordingClient(client, functools.partial(self.env["apicbase.api.error"]._record, self))

    @api.model
    def _apicbase_requests_per_minute(self):
        """The system parameter's budget (a positive whole number), else the default, said in the log."""
        value = as_system(self.env["ir.config_parameter"]).get_param(REQUESTS_PER_MINUTE_PARAM)
        if not value:
            return REQUESTS_PER_MINUTE
        try:
            limit = int(value)
        except ValueError:
            limit = 0
        if limit < 1:
            _logger.warning("System parameter %s is %r, not a positive whole number: %s requests a minute.",
                            REQUESTS_PER_MINUTE_PARAM, value, REQUESTS_PER_MINUTE)
            return REQUESTS_PER_MINUTE
        return limit

    @api.model
    def _apicbase_connected_companies(self):
        return as_system(self).search([("apicbase_client_id", "!=", False), ("apicbase_client_secret", "!=", False)])

    @api.constrains("apicbase_unit_mapping")
    def _check_apicbase_unit_mapping(self):
        for company in self:
            try:
                content_lib.unit_map_from_text(company.apicbase_unit_mapping)
            except ContentError as exc:
                raise ValidationError(self.env._("Apicbase unit mapping: %s", exc)) from None

    @api.constrains("apicbase_api_url", "apicbase_token_url")
    def _check_apicbase_urls(self):
        """The client refuses these URLs anyway; said on save, the administrator learns it in Settings."""
        for company_sudo in as_system(self):  # whoever creates a company, these fields are the system's
            for field_name in ("apicbase_api_url", "apicbase_token_url"):
                problem = company_sudo[field_name] and url_problem(company_sudo[field_name])
                if problem:
                    raise ValidationError(self.env._(
                        "The %(field)s %(problem)s.", field=self._fields[field_name].get_description(
                            self.env, ["string"])["string"], problem=problem))

    @api.constrains("apicbase_reconcile_days")
    def _check_apicbase_reconcile_days(self):
        if any(company.apicbase_reconcile_days < 1 for company in self):
            raise ValidationError(self.env._("The Apicbase follow-up covers at least one day."))

    @api.constrains("apicbase_price_rise_threshold")
    def _check_apicbase_price_rise_threshold(self):
        if any(company.apicbase_price_rise_threshold < 0 for company in self):
            raise ValidationError(self.env._("The price rise threshold is a percentage of 0 or more (0: no check)."))

    @api.constrains("apicbase_invoice_days")
    def _check_apicbase_invoice_days(self):
        if any(company.apicbase_invoice_days < 1 for company in self):
            raise ValidationError(self.env._("A restaurant needs at least one day to register an invoice."))

    def _apicbase_unit_map(self):
        self.ensure_one()
        return content_lib.unit_map_from_text(self.apicbase_unit_mapping)

    def _apicbase_reset_webhook_token(self):
        for company in self:
            as_system(company).apicbase_webhook_token = _new_webhook_token()

    def _apicbase_signing_secret(self):
        """The key of the webhook signature: its own secret, else the client secret."""
        self.ensure_one()
        company_sudo = as_system(self)
        return company_sudo.apicbase_webhook_secret or company_sudo.apicbase_client_secret or ""

    def _apicbase_webhook_url(self):
        self.ensure_one()
        base_url = as_system(self.env["ir.config_parameter"]).get_param("web.base.url", "")
        return f"{base_url.rstrip('/')}{WEBHOOK_ROUTE}{as_system(self).apicbase_webhook_token}"

    @api.model
    def _apicbase_company_from_token(self, token):
        """The company whose webhook URL carries ``token``, as the system (see as_system)."""
        # Anything a URL can carry reaches here (a NUL breaks the query): only a token's shape is looked up.
        if not token or not WEBHOOK_TOKEN_PATTERN.fullmatch(token):
            return self.browse()
        return as_system(self).search([("apicbase_webhook_token", "=", token)], limit=1)

    def _apicbase_tz(self, responsible=None):
        """The time zone of a date or time Apicbase sends without an offset: the company's.

        res.company has no time zone of its own in Odoo 18: its contact's, else the Apicbase
        responsible's, else UTC. ``responsible``: that user, when the caller has looked it up already.
        """
        self.ensure_one()
        name = self.partner_id.tz or (responsible or as_system(self)._apicbase_responsible_user()).tz or "UTC"
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def _apicbase_working_days(self, first_day, tz):
        """Whether a day is one of the company's working days, from ``first_day`` on: its working
        hours' weekdays (Monday to Friday without working hours, every day with flexible hours)
        and not one of its public holidays, whose days are read in ``tz``. Read as the system: the
        calendar is the company's, whoever's order is checked."""
        self.ensure_one()
        calendar = as_system(self).resource_calendar_id
        if not calendar:
            return lead_times.weekdays_and_holidays(range(5))
        if calendar.flexible_hours:
            weekdays = range(7)
        else:  # a calendar without hours is one nobody set up: the usual week
            weekdays = {int(attendance.dayofweek) for attendance in calendar.attendance_ids
                        if attendance.display_type != "line_section"} or range(5)
        start = dt.datetime.combine(first_day, dt.time.min)
        holidays = set()
        for leave in calendar.global_leave_ids.filtered(lambda leave: leave.date_to >= start):
            first, last = (lead_times.local_day(moment, tz) for moment in (leave.date_from, leave.date_to))
            if lead_times.local_day(leave.date_to - dt.timedelta(microseconds=1), tz) < last:
                last -= dt.timedelta(days=1)  # ends at midnight: that day is worked
            holidays.update(first + dt.timedelta(days=offset) for offset in range((last - first).days + 1))
        return lead_times.weekdays_and_holidays(weekdays, holidays)

    def _apicbase_invoice_responsible(self, sale=None):
        """Who is given the to-dos of invoices that disagree with Apicbase: the invoice responsible,
        else the Apicbase responsible, else the salesperson, the first of them who may read invoices;
        else the company's first invoicing user; an empty recordset when there is none."""
        self.ensure_one()
        company_sudo = as_system(self)
        for user in (company_sudo.apicbase_invoice_user_id, company_sudo._apicbase_responsible_user(),
                     sale.user_id if sale else self.env["res.users"]):
            if user and user.active and self in user.company_ids and user.has_group("account.group_account_invoice"):
                return user
        return as_system(self.env["res.users"]).search([
            ("company_ids", "in", self.id), ("share", "=", False),
            (USER_GROUPS, "in", self.env.ref("account.group_account_invoice").id)], order="id", limit=1)

    def _apicbase_responsible_user(self):
        self.ensure_one()
        if self.apicbase_user_id:
            return self.apicbase_user_id
        team = as_system(self.env["crm.team"]).search(
            [("company_id", "in", [False, self.id]), ("user_id", "!=", False)], limit=1)
        return team.user_id or self.env.ref("base.user_admin", raise_if_not_found=False) \
            or self.env["res.users"]
