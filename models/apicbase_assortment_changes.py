"""What a publish changes for the restaurants of an assortment: the last file Apicbase accepted is
kept, each new file is compared with it (in the pure core, apicbase/assortment.py), the preview
and the chatter say what changes, and the hourly republish leaves what a person should see first
(a price rise above the company's threshold, an article the restaurant ordered lately removed) to a
sales manager."""
import base64
import datetime
import logging

from markupsafe import Markup

from odoo import fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..apicbase import assortment as assortment_lib
from ..apicbase.errors import ApicbaseError
from ..compat import USER_GROUPS
from ..const import CHANGES_SHOWN, RECENT_ORDER_DAYS
from .actions import error_text
from .system import as_system

_logger = logging.getLogger(__name__)

# What building a file may raise that a person can act on (a filter that no longer reads, a
# product rule): said in the preview instead of breaking the form.
BUILD_ERRORS = (UserError, AccessError, ValidationError, ApicbaseError, ValueError, SyntaxError, NameError,
                TypeError, KeyError)


# One concern a file (what a publish changes, apart from building and sending), as the inbox's follow-up.
class ApicbaseAssortment(models.Model):
    _inherit = "apicbase.assortment"  # pylint: disable=consider-merging-classes-inherited

    publish_review_activity_id = fields.Many2one(
        "mail.activity", readonly=True, copy=False, ondelete="set null",
        help="The to-do given to a sales manager while the file waits for a person.")

    # ------------------------------------------------------------------
    # The kept file
    # ------------------------------------------------------------------

    def _last_packages(self):
        """The packages of the last file Apicbase accepted; None when none was kept."""
        self.ensure_one()
        if not self.last_file:
            return None
        try:
            return assortment_lib.loads(base64.b64decode(self.last_file))
        except ValueError:  # not ours any more (replaced by hand): compared with nothing
            _logger.warning("Apicbase assortment %s: the kept file is not an assortment file", self.id)
            return None

    def _keep_file(self, packages):
        """Keeps ``packages`` as the file Apicbase holds, replacing the previous one. Written as the
        system: it is the connector's record of what it sent, after the publisher's rights were
        checked (see action_publish)."""
        self.ensure_one()
        as_system(self).write({
            "last_file": base64.b64encode(assortment_lib.dumps(packages)),
            "last_file_name": f"apicbase-{self.customer_number}.json",
        })

    def _changes(self, packages):
        """What ``packages`` change against the kept file (apicbase.assortment.FileDiff)."""
        return assortment_lib.diff_files(self._last_packages(), packages)

    # ------------------------------------------------------------------
    # What holds a file for a person
    # ------------------------------------------------------------------

    def _served_partners(self):
        """The restaurants the assortment is for: those it names, else the contacts that carry its
        customer number."""
        self.ensure_one()
        if self.partner_ids:
            return self.partner_ids
        return as_system(self.env["res.partner"]).search([
            ("apicbase_customer_number", "=", self.customer_number),
            ("company_id", "in", [False, self.company_id.id])])

    def _recently_ordered(self, numbers):
        """Which article ``numbers`` the assortment's restaurants ordered in the last RECENT_ORDER_DAYS
        days (on any sale order not cancelled, archived products too). Read as the system: a
        salesman's preview must say what the scheduled republish would decide, whoever's orders
        they were. Two queries whatever the number of articles."""
        numbers = set(numbers)
        partners = self._served_partners() if numbers else None
        if not numbers or not partners:
            return set()
        since = fields.Datetime.now() - datetime.timedelta(days=RECENT_ORDER_DAYS)
        lines_sudo = as_system(self.env["sale.order.line"]).with_context(active_test=False)
        wanted = list(numbers)
        groups = lines_sudo._read_group([
            ("company_id", "=", self.company_id.id), ("state", "!=", "cancel"), ("display_type", "=", False),
            ("order_id.date_order", ">=", since),
            ("order_id.partner_id.commercial_partner_id", "in", partners.commercial_partner_id.ids),
            "|", "|", ("apicbase_article_number", "in", wanted), ("product_id.apicbase_article_number", "in", wanted),
            ("product_id.default_code", "in", wanted),
        ], ["apicbase_article_number", "product_id"], [])
        found = set()
        for number, product in groups:
            # The number Apicbase sent on the line, and the one the product is published under now.
            found.update({number, product.apicbase_article_number or product.default_code})
        return found & numbers

    def _hold_reasons(self, diff):
        """Why the hourly republish should not send the file ``diff`` describes on its own, one
        sentence each; empty when it may."""
        self.ensure_one()
        reasons = []
        threshold = self.company_id.apicbase_price_rise_threshold
        for change in diff.rises_above(threshold):
            if change.percent is None:
                reasons.append(self.env._("%(article)s (%(name)s): price from 0 to %(new)s.",
                                          article=change.third_party_id, name=change.name, new=change.new))
            else:
                reasons.append(self.env._(
                    "%(article)s (%(name)s): price %(old)s → %(new)s, +%(percent)s %% (the threshold is "
                    "%(threshold)s %%).", article=change.third_party_id, name=change.name, old=change.old,
                    new=change.new, percent=change.percent, threshold=_percent(threshold)))
        ordered = self._recently_ordered(ref.third_party_id for ref in diff.removed)
        if ordered:
            restaurants = ", ".join(self._served_partners().mapped("display_name"))
            for ref in diff.removed:
                if ref.third_party_id in ordered:
                    reasons.append(self.env._(
                        "%(article)s (%(name)s): removed from the file, but %(restaurants)s ordered it in the "
                        "last %(days)s days.", article=ref.third_party_id, name=ref.name,
                        restaurants=restaurants, days=RECENT_ORDER_DAYS))
        if not diff.known and self.last_published_hash:
            reasons.append(self.env._(
                "The file Apicbase holds was published before the connector kept its files: what this one "
                "changes cannot be shown."))
        return reasons

    def _hold(self, diff, reasons):
        """Leaves the file to a sales manager: the assortment waits, with a to-do saying why and
        a note in the chatter; said once, and again only when the reasons change."""
        self.ensure_one()
        reason_text = "\n".join(reasons)
        activity = self._open_review_activity()
        if self.publish_held and self.publish_held_reason == reason_text and activity:
            return
        self.write({"publish_held": True, "publish_held_reason": reason_text})
        intro = self.env._("The hourly republish did not publish %s on its own. Read what changes on the "
                           "assortment, then publish it by hand (or change the prices or products).", self.name)
        note = Markup("<p>%s</p>%s") % (intro, _list(reasons))
        if activity:
            activity.write({"note": note})
        else:
            todo = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
            if todo:
                self.publish_review_activity_id = self.with_context(mail_activity_quick_update=True).activity_schedule(
                    activity_type_id=todo.id, summary=self.env._("Apicbase: check the changes before publishing"),
                    note=note, user_id=self._reviewer().id or self.env.uid)
        self.message_post(body=Markup("<p>%s</p>%s%s") % (
            self.env._("Not published by the hourly republish: waits for a sales manager."), _list(reasons),
            self._changes_html(diff)))
        _logger.info("Apicbase assortment %s waits for a person: %s", self.id, diff.summary)

    def _release(self, feedback):
        """The assortment no longer waits: its to-do is done with ``feedback``."""
        if not self.publish_held and not self.publish_review_activity_id:
            return
        activity = self._open_review_activity()
        self.write({"publish_held": False, "publish_held_reason": False, "publish_review_activity_id": False})
        if activity:
            as_system(activity).action_feedback(feedback=feedback)

    def _open_review_activity(self):
        """The to-do while nobody has marked it done. A done to-do is deleted, or kept archived when
        its type keeps done activities (19.0's to-do does): either way it is no longer open."""
        return as_system(self.publish_review_activity_id).exists().filtered("active")

    def _reviewer(self):
        """Who is given the to-do: the company's Apicbase responsible when a sales manager, else the
        company's first sales manager."""
        self.ensure_one()
        company = self.company_id
        responsible = as_system(company)._apicbase_responsible_user()
        if responsible.active and responsible.has_group("sales_team.group_sale_manager"):
            return responsible
        manager = as_system(self.env["res.users"]).search([
            ("share", "=", False), ("company_ids", "in", company.id),
            (USER_GROUPS, "in", self.env.ref("sales_team.group_sale_manager").id)], order="id", limit=1)
        return manager or responsible

    # ------------------------------------------------------------------
    # The preview, the validation step and the chatter
    # ------------------------------------------------------------------

    def _preview_html(self):
        self.ensure_one()
        if not isinstance(self.id, int):  # a new record, unsaved (its id a NewId on 18.0 and 19.0)
            return Markup("<p class='text-muted'>%s</p>") % self.env._(
                "Save the assortment to see what publishing it changes.")
        try:
            packages, _rejected, _articles = self._build()
            diff = self._changes(packages)
            reasons = self._hold_reasons(diff)
        except BUILD_ERRORS as exc:
            return Markup("<p class='text-danger'>%s</p>") % self.env._(
                "The file cannot be built: %s", error_text(self.env, exc))
        return self._changes_html(diff, reasons)

    def _changes_html(self, diff, reasons=None, published_before=None):
        """What ``diff`` changes, for people: the counts, why it would wait (``reasons``), then each
        change. Every name and value is escaped: product names and prices are anyone's text.
        ``published_before``: whether a file was published before the one ``diff`` compares (default:
        whether one is now)."""
        html = Markup("<p>%s</p>") % self._changes_head(diff, published_before)
        if reasons:
            html += Markup("<div class='alert alert-warning' role='alert'><p>%s</p>%s</div>") % (
                self.env._("The hourly republish would leave this file to a sales manager:"), _list(reasons))
        if not diff.known:
            return html
        html += self._changes_table(self.env._("Added"), [self.env._("Article"), self.env._("Name")],
                                    [(ref.third_party_id, ref.name) for ref in diff.added])
        html += self._changes_table(self.env._("Removed"), [self.env._("Article"), self.env._("Name")],
                                    [(ref.third_party_id, ref.name) for ref in diff.removed])
        html += self._changes_table(
            self.env._("Prices"), [self.env._("Article"), self.env._("Name"), self.env._("Old"), self.env._("New"),
                                   self.env._("Difference")],
            [(change.third_party_id, change.name, change.old, change.new,
              f"{change.percent:+} %" if change.percent is not None else "-") for change in diff.price_changes])
        html += self._changes_table(
            self.env._("Other changes"), [self.env._("Article"), self.env._("Name"), self.env._("Field"),
                                          self.env._("Old"), self.env._("New")],
            [(change.third_party_id, change.name, self._field_label(change.field),
              self._describe(change.field, change.old), self._describe(change.field, change.new))
             for change in diff.field_changes])
        return html

    def _changes_head(self, diff, published_before=None):
        if published_before is None:
            published_before = bool(self.last_published_hash)
        if not diff.known and published_before:
            return self.env._("The file Apicbase holds was not kept (published before the connector kept its "
                              "files): what changes cannot be shown. The new file holds %s article(s).",
                              len(diff.added))
        if not diff.known:
            return self.env._("Never published: the first file will hold %s article(s).", len(diff.added))
        if not diff.changed:
            return self.env._("Publishing now changes nothing: the file is the one Apicbase holds.")
        head = self.env._(
            "%(added)s article(s) added, %(removed)s removed, %(prices)s price(s) changed (%(up)s up, %(down)s "
            "down), %(other)s other change(s) on %(articles)s article(s).", added=len(diff.added),
            removed=len(diff.removed), prices=len(diff.price_changes), up=len(diff.rises), down=len(diff.falls),
            other=len(diff.field_changes), articles=diff.changed_articles)
        if diff.largest_rise is not None:
            head += " " + self.env._("The largest rise is +%s %%.", diff.largest_rise)
        return head

    def _changes_table(self, title, headers, rows):
        if not rows:
            return Markup()
        shown = rows[:CHANGES_SHOWN]
        body = Markup("").join(
            Markup("<tr>%s</tr>") % Markup("").join(Markup("<td>%s</td>") % cell for cell in row) for row in shown)
        html = Markup("<p><b>%s</b> (%s)</p><table class='table table-sm'><thead><tr>%s</tr></thead>"
                      "<tbody>%s</tbody></table>") % (
            title, len(rows), Markup("").join(Markup("<th>%s</th>") % header for header in headers), body)
        if len(rows) > len(shown):
            html += Markup("<p class='text-muted'>%s</p>") % self.env._("… and %s more.", len(rows) - len(shown))
        return html

    def _field_label(self, field_name):
        labels = {
            "name": self.env._("name"), "package_description": self.env._("content"),
            "orderable": self.env._("orderable"), "order_multiplier": self.env._("order multiple"),
            "lead_time": self.env._("lead time"), "price_type_code": self.env._("price type"),
            "price_unit": self.env._("price unit"), "weighted": self.env._("variable weight"),
            "brand": self.env._("brand"), "package_type": self.env._("package type"), "gtin": self.env._("GTIN"),
            "description": self.env._("description"), "shared_id": self.env._("shared id"),
        }
        return labels.get(field_name, field_name)

    def _describe(self, field_name, value):
        """A value of a file as people read it, in their language."""
        if value is None or value == "":
            return "-"
        if isinstance(value, bool):
            return self.env._("yes") if value else self.env._("no")
        if field_name == "price_type_code":
            return self.env._("per unit") if value == 1 else self.env._("per package")
        if field_name == "lead_time" and isinstance(value, str) and value.endswith(" 00:00:00"):
            return self.env._("%s day(s)", value.split(" ", 1)[0])
        return assortment_lib.describe_value(field_name, value)

    def _published_note(self, packages, rejected, diff, by, published_before):
        """The chatter note of a publish: who, what was sent, and what it changed."""
        body = Markup("<p>%s</p>") % self.env._(
            "Published by %(who)s: %(count)s package(s) to Apicbase for customer number %(number)s.",
            who=by, count=len(packages), number=self.customer_number)
        if rejected:
            body += Markup("<p>%s</p>") % self.env._("Left out (invalid): %s.", ", ".join(sorted(rejected)))
        return body + self._changes_html(diff, published_before=published_before)


def _list(items):
    return Markup("<ul>%s</ul>") % Markup("").join(Markup("<li>%s</li>") % item for item in items)


def _percent(value):
    """A threshold as people wrote it: 10, not 10.0."""
    return f"{value:g}"
