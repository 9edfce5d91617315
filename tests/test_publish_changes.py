"""What a publish changes: the file Apicbase accepted is kept, the next one is compared with it,
and the hourly republish leaves price rises and removals of ordered articles to a sales manager."""
import base64
import importlib.util
import json
import os
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import ApicbaseCase, SimulatorMixin

ASSORTMENT_LOGGER = "odoo.addons.apicbase_connector.models.apicbase_assortment_changes"


@tagged("post_install", "-at_install")
class TestPublishChanges(SimulatorMixin, ApicbaseCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start_simulator(cls.company)
        cls.manager = cls.sales_manager("Pia Publisher", "apicbase_changes_manager", email="pia@example.com")
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Public", "currency_id": cls.company.currency_id.id})
        cls.tomatoes.write({"apicbase_content": "1 kg", "barcode": "4006381333931"})
        cls.cola.write({"apicbase_content": "4 x 6 x 33 cl"})
        cls.beef = cls.env["product.product"].create({
            "name": "Beef", "default_code": "BEEF-KG", "list_price": 24.5, "apicbase_content": "1 kg"})
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")

    def make_assortment(self, products=None, number="CUST-7", **values):
        return self.env["apicbase.assortment"].create({
            "name": f"Assortment {number}", "customer_number": number, "pricelist_id": self.pricelist.id,
            "selection_mode": "products", "product_ids": [(6, 0, (products or self.tomatoes | self.cola).ids)],
            "partner_ids": [(6, 0, self.customer.ids)], **values})

    def published(self, products=None, **values):
        assortment = self.make_assortment(products, **values)
        assortment.with_user(self.manager).action_publish()
        self.sim.wait_until_processed()
        return assortment

    def kept_file(self, assortment):
        return json.loads(base64.b64decode(assortment.last_file))

    def order_lately(self, product, days_ago=10, partner=None):
        sale = self.env["sale.order"].create({
            "partner_id": (partner or self.customer).id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 2})]})
        sale.date_order = fields.Datetime.now() - timedelta(days=days_ago)
        return sale

    def preview(self, assortment, user=None):
        """The preview as a form opened now shows it (computed afresh, as in every request)."""
        assortment.invalidate_recordset(["publish_preview"])
        return str((assortment.with_user(user) if user else assortment).publish_preview)

    def last_note(self, assortment):
        """The newest message with a text (tracking messages of the same publish have none)."""
        return assortment.message_ids.filtered("body")[:1]

    def hourly(self):
        self.env["apicbase.assortment"]._cron_publish_changed()
        self.sim.wait_until_processed()

    # -- the kept file, the preview, the validation step and the chatter ------------------------

    def test_the_accepted_file_is_kept_and_the_preview_compares_the_next_one_with_it(self):
        assortment = self.published()
        self.assertEqual(self.kept_file(assortment), json.loads(json.dumps(self.sim.files[-1]["content"])))
        self.assertEqual(assortment.last_file_name, "apicbase-CUST-7.json")
        self.assertIn("Publishing now changes nothing", self.preview(assortment))

        self.tomatoes.list_price = 3.12  # +30 %
        assortment.product_ids = self.tomatoes | self.beef  # cola out, beef in
        preview = self.preview(assortment)
        self.assertIn("1 article(s) added, 1 removed, 1 price(s) changed (1 up, 0 down), 0 other change(s)", preview)
        self.assertIn("The largest rise is +30.0 %", preview)
        self.assertIn("<td>TOM-1KG</td><td>Tomatoes 1 kg</td><td>2.4</td><td>3.12</td><td>+30.0 %</td>", preview)
        self.assertIn("<td>BEEF-KG</td><td>Beef</td>", preview.split("Added")[1].split("Removed")[0])
        self.assertIn("<td>COLA-24</td>", preview.split("Removed")[1])
        self.assertIn("would leave this file to a sales manager", preview)
        self.assertIn("+30.0 % (the threshold is 10 %)", preview)
        # One attachment per assortment, replaced at each publish.
        assortment.with_user(self.manager).action_publish()
        files = self.env["ir.attachment"].search([("res_model", "=", "apicbase.assortment"),
                                                  ("res_id", "=", assortment.id), ("res_field", "=", "last_file")])
        self.assertEqual(len(files), 1)
        self.assertEqual({package["third_party_id"] for package in self.kept_file(assortment)}, {"TOM-1KG", "BEEF-KG"})
        self.assertIn("Publishing now changes nothing", self.preview(assortment))

    def test_other_changed_fields_are_named_with_their_old_and_new_value(self):
        assortment = self.published(self.cola)
        self.cola.write({"name": "Cola Zero", "apicbase_content": "6 x 33 cl", "apicbase_orderable": False,
                         "apicbase_order_multiplier": 6, "apicbase_lead_time": 2})
        preview = self.preview(assortment)
        self.assertIn("5 other change(s) on 1 article(s)", preview)
        for row in ("<td>name</td><td>Cola 24 x 33 cl</td><td>Cola Zero</td>",
                    "<td>content</td><td>4 × 6 × 330 cubic_centimeter</td><td>6 × 330 cubic_centimeter</td>",
                    "<td>orderable</td><td>yes</td><td>no</td>", "<td>order multiple</td><td>-</td><td>6</td>",
                    "<td>lead time</td><td>-</td><td>2 day(s)</td>"):
            self.assertIn(row, preview)
        self.assertNotIn("would leave this file", preview, "only prices and removals wait for a person")

    def test_the_validation_step_and_the_publish_say_what_changes(self):
        assortment = self.published()
        self.tomatoes.list_price = 2.52  # +5 %
        assortment.with_user(self.manager).action_validate()
        report = str(assortment.validation_report)
        self.assertIn("All 2 product(s) are valid", report)
        self.assertIn("What publishing changes", report)
        self.assertIn("<td>2.4</td><td>2.52</td><td>+5.0 %</td>", report)
        result = assortment.with_user(self.manager).action_publish()
        self.assertIn("Published. 0 article(s) added, 0 removed, 1 price(s) changed", result["params"]["message"])

    def test_the_chatter_says_who_published_and_what_changed(self):
        assortment = self.published()
        first = self.last_note(assortment).body
        self.assertIn("Published by Pia Publisher: 2 package(s)", first)
        self.assertIn("Never published: the first file will hold 2 article(s)", first)
        self.cola.list_price = 16.65  # -10 %
        assortment.with_user(self.manager).action_publish()
        note = self.last_note(assortment)
        self.assertIn("Published by Pia Publisher", note.body)
        self.assertIn("<td>COLA-24</td><td>Cola 24 x 33 cl</td><td>18.5</td><td>16.65</td><td>-10.0 %</td>", note.body)
        self.assertEqual(note.author_id, self.manager.partner_id)

    def test_several_assortments_published_at_once_name_who_asked(self):
        assortments = self.make_assortment() | self.make_assortment(number="CUST-8")
        assortments.with_user(self.manager).action_publish()
        self.run_scheduled("ir_cron_apicbase_publish_changed")
        for assortment in assortments:
            self.assertIn("Published by Pia Publisher", self.last_note(assortment).body)
            self.assertTrue(assortment.last_file)
        self.assertFalse(assortments.filtered("publish_requested_by_id"))

    def test_restaurant_and_product_text_is_escaped(self):
        assortment = self.published(self.cola)
        self.cola.name = "<img src=x onerror=alert(1)> Cola & Co"
        preview = self.preview(assortment)
        self.assertNotIn("<img", preview)
        self.assertIn("&lt;img src=x onerror=alert(1)&gt; Cola &amp; Co", preview)
        assortment.with_user(self.manager).action_publish()
        self.assertNotIn("<img", self.last_note(assortment).body)

    def test_a_salesman_reads_the_preview_and_may_not_publish(self):
        assortment = self.published()
        self.tomatoes.list_price = 3.12
        preview = self.preview(assortment, self.salesman)
        self.assertIn("<td>2.4</td><td>3.12</td><td>+30.0 %</td>", preview)
        with self.assertRaises(AccessError):
            assortment.with_user(self.salesman).action_publish()

    def test_the_preview_costs_the_same_queries_at_any_size(self):
        self.order_lately(self.tomatoes)
        counts = []
        for size in (3, 30):
            products = self.tomatoes | self.env["product.product"].create([{
                "name": f"Bulk {size} {index}", "default_code": f"BULK-{size}-{index}", "list_price": 1 + index,
                "apicbase_content": "1 kg"} for index in range(size)])
            assortment = self.published(products, number=f"CUST-Q{size}")
            products.list_price = 50.0  # every price rises
            assortment.product_ids = products - self.tomatoes  # an ordered article removed
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            preview = self.preview(assortment)
            counts.append(self.env.cr.sql_log_count - before)
            self.assertIn(f"{size} price(s) changed", preview)
            self.assertIn("ordered it in the last 90 days", preview)
        self.assertEqual(counts[0], counts[1], counts)
        self.assertLessEqual(counts[1], 25, counts)

    # -- the hourly republish -----------------------------------------------------------------

    def test_a_price_rise_above_the_threshold_waits_for_a_sales_manager(self):
        self.company.apicbase_user_id = self.manager
        assortment = self.published()
        self.assertFalse(assortment.publish_held)
        files = len(self.sim.files)
        self.tomatoes.list_price = 3.12  # +30 %, above the default 10 %
        with self.assertLogs(ASSORTMENT_LOGGER) as logs:
            self.hourly()
        self.assertEqual(len(self.sim.files), files, "not published on its own")
        self.assertIn("1 price(s) changed (1 up, 0 down, largest rise +30.0 %)", logs.output[0])
        self.assertTrue(assortment.publish_held)
        self.assertIn("TOM-1KG (Tomatoes 1 kg): price 2.4 → 3.12, +30.0 %", assortment.publish_held_reason)
        activity = assortment.publish_review_activity_id
        self.assertEqual((activity.user_id, activity.activity_type_id, activity.res_id),
                         (self.manager, self.todo, assortment.id))
        self.assertIn("publish it by hand", str(activity.note))
        self.assertIn("Not published by the hourly republish", self.last_note(assortment).body)
        self.assertEqual(self.env["apicbase.assortment"].search([("publish_held", "=", True)]), assortment)
        # The next hours: still waiting, the same one to-do, nothing said again.
        messages = len(assortment.message_ids)
        self.hourly()
        self.assertEqual((len(self.sim.files), len(assortment.activity_ids), len(assortment.message_ids)),
                         (files, 1, messages))
        # The manager reads the changes and publishes by hand.
        assortment.with_user(self.manager).action_publish()
        self.sim.wait_until_processed()
        self.assertEqual(len(self.sim.files), files + 1)
        self.assertFalse(assortment.publish_held or assortment.publish_held_reason or assortment.activity_ids)
        self.assertFalse(activity.exists().filtered("active"), "done")
        done = self.env["mail.message"].search([("model", "=", "apicbase.assortment"), ("res_id", "=", assortment.id),
                                                ("mail_activity_type_id", "=", self.todo.id)])
        self.assertTrue(done, "the to-do is marked done in the chatter")

    def test_without_a_responsible_sales_manager_the_first_sales_manager_gets_the_todo(self):
        self.assertFalse(self.company.apicbase_user_id.has_group("sales_team.group_sale_manager"))
        assortment = self.published()
        self.tomatoes.list_price = 3.12
        self.hourly()
        user = assortment.publish_review_activity_id.user_id
        self.assertTrue(user.has_group("sales_team.group_sale_manager"), user.name)

    def test_a_rise_within_the_threshold_or_with_the_check_off_is_published(self):
        assortment = self.published()
        files = len(self.sim.files)
        self.tomatoes.list_price = 2.64  # +10 %: at the threshold, not above
        self.hourly()
        self.assertEqual(len(self.sim.files), files + 1)
        self.assertFalse(assortment.publish_held)
        self.assertIn("Published by the hourly republish", self.last_note(assortment).body)
        self.company.apicbase_price_rise_threshold = 0
        self.tomatoes.list_price = 5.0
        self.hourly()
        self.assertEqual(len(self.sim.files), files + 2, "0: prices are not checked")
        self.assertFalse(assortment.publish_held)

    def test_removing_an_article_the_restaurant_ordered_lately_waits(self):
        assortment = self.published(self.tomatoes | self.cola | self.beef)
        files = len(self.sim.files)
        self.order_lately(self.tomatoes, days_ago=10)
        self.order_lately(self.cola, days_ago=100)  # too long ago
        other = self.env["res.partner"].create({"name": "Another restaurant"})
        self.order_lately(self.beef, days_ago=1, partner=other)  # not this assortment's restaurant
        assortment.product_ids = self.env["product.product"].create({
            "name": "Lettuce", "default_code": "LETTUCE", "list_price": 1, "apicbase_content": "1 kg"})
        self.hourly()
        self.assertEqual(len(self.sim.files), files)
        self.assertTrue(assortment.publish_held)
        self.assertEqual(assortment.publish_held_reason, "TOM-1KG (Tomatoes 1 kg): removed from the file, "
                                                         "but Bistro Anna ordered it in the last 90 days.")

    def test_a_removal_of_articles_nobody_ordered_lately_is_published(self):
        assortment = self.published(self.tomatoes | self.cola)
        files = len(self.sim.files)
        self.order_lately(self.cola, days_ago=100)
        cancelled = self.order_lately(self.tomatoes, days_ago=1)
        cancelled.action_cancel()
        assortment.product_ids = self.beef
        self.hourly()
        self.assertEqual(len(self.sim.files), files + 1)
        self.assertFalse(assortment.publish_held)

    def test_a_waiting_file_brought_back_to_the_one_apicbase_holds_no_longer_waits(self):
        assortment = self.published()
        files = len(self.sim.files)
        self.tomatoes.list_price = 3.12
        self.hourly()
        activity = assortment.publish_review_activity_id
        self.assertTrue(assortment.publish_held and activity)
        self.tomatoes.list_price = 2.40  # the rise taken back
        self.hourly()
        self.assertEqual(len(self.sim.files), files)
        self.assertFalse(assortment.publish_held or assortment.publish_review_activity_id)
        self.assertFalse(activity.exists().filtered("active"))

    def test_a_file_whose_reasons_change_says_so_once_more(self):
        assortment = self.published()
        self.tomatoes.list_price = 3.12
        self.hourly()
        messages = len(assortment.message_ids)
        self.cola.list_price = 30.0
        self.hourly()
        self.assertEqual(len(assortment.message_ids), messages + 1)
        self.assertEqual(len(assortment.publish_held_reason.splitlines()), 2)
        self.assertIn("COLA-24", str(assortment.publish_review_activity_id.note))
        self.assertEqual(len(assortment.activity_ids), 1)

    def test_a_todo_marked_done_while_the_file_still_waits_comes_back_at_the_next_run(self):
        # Marked done, a to-do is deleted, or kept archived when its type keeps done activities
        # (18.0's "keep_done", both tried) or always (19.0, which has no such choice).
        assortment = self.published()
        choices = (False, True) if "keep_done" in self.todo._fields else (None,)
        for keep_done in choices:
            with self.subTest(keep_done=keep_done):
                if keep_done is not None:
                    self.todo.keep_done = keep_done
                self.tomatoes.list_price = 3.12
                self.hourly()
                activity = assortment.publish_review_activity_id
                activity.with_user(self.manager).action_feedback(feedback="seen")
                self.assertFalse(assortment.activity_ids)
                self.hourly()
                reopened = assortment.publish_review_activity_id
                self.assertTrue(assortment.publish_held)
                self.assertEqual(assortment.activity_ids, reopened)
                self.assertNotEqual(reopened, activity)
                self.hourly()  # open again: not repeated
                self.assertEqual(assortment.activity_ids, reopened)
                self.tomatoes.list_price = 2.40  # back to the file Apicbase holds: no longer waits
                self.hourly()
                self.assertFalse(assortment.publish_held or assortment.activity_ids)

    # -- the setting and the upgrade ----------------------------------------------------------

    def test_the_threshold_is_a_company_setting(self):
        self.assertEqual(self.company.apicbase_price_rise_threshold, 10.0)
        settings = self.env["res.config.settings"].create({"apicbase_price_rise_threshold": 25.0})
        settings.execute()
        self.assertEqual(self.company.apicbase_price_rise_threshold, 25.0)
        with self.assertRaisesRegex(ValidationError, "a percentage of 0 or more"):
            self.company.apicbase_price_rise_threshold = -1

    def test_the_upgrade_to_1_3_keeps_the_file_of_each_assortment_whose_file_is_unchanged(self):
        unchanged, changed = self.published(self.tomatoes), self.published(self.cola, number="CUST-8")
        for assortment in unchanged | changed:  # as 1.2 left them: a hash, no file
            assortment.sudo().last_file = False
        self.cola.list_price = 30.0
        migration = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations", "1.3.0", "post-migrate.py")
        spec = importlib.util.spec_from_file_location("apicbase_post_migrate_1_3", migration)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual([package["third_party_id"] for package in self.kept_file(unchanged)], ["TOM-1KG"])
        self.assertFalse(changed.last_file, "what Apicbase holds is not what Odoo would build: unknown")
        self.assertIn("The file Apicbase holds was not kept", self.preview(changed))
        # Unknown changes are not sent unseen.
        files = len(self.sim.files)
        self.hourly()
        self.assertEqual(len(self.sim.files), files)
        self.assertIn("published before the connector kept its files", changed.publish_held_reason)
        self.assertFalse(unchanged.publish_held)
