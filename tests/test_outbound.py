from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..const import DEFAULT_API_URL, DEFAULT_TOKEN_URL
from .common import ApicbaseCase


@tagged("post_install", "-at_install")
class TestOutboundUrls(ApicbaseCase):
    """An administrator learns in Settings, on save, that a URL would not be used."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")

    def test_a_plain_http_url_to_another_host_is_refused_on_save(self):
        company = self.company.with_user(self.admin)
        for field_name, label in (("apicbase_api_url", "Apicbase API URL"),
                                  ("apicbase_token_url", "Apicbase Token URL")):
            with self.subTest(field_name), self.assertRaises(ValidationError) as caught:
                company.write({field_name: "http://api.apicbase.com/api/v2/integrations/suppliers/"})
            self.assertEqual(str(caught.exception), f"The {label} must use https:// (plain http:// only to this "
                                                    f"machine: localhost, 127.0.0.1 or [::1]).")
        self.assertEqual((company.apicbase_api_url, company.apicbase_token_url), (DEFAULT_API_URL, DEFAULT_TOKEN_URL))

    def test_the_settings_refuse_a_url_with_a_password_without_showing_it(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["res.config.settings"].with_user(self.admin).create({
                "apicbase_token_url": "https://client:hunter2@api.apicbase.com/oauth/token/"}).execute()
        self.assertIn("The Apicbase Token URL must not carry a user name or password", str(caught.exception))
        self.assertNotIn("hunter2", str(caught.exception))
        self.assertEqual(self.company.apicbase_token_url, DEFAULT_TOKEN_URL)

    def test_https_and_plain_http_to_this_machine_are_saved(self):
        company = self.company.with_user(self.admin)
        for url in ("https://sandbox.apicbase.com/api/v2/integrations/suppliers/", "http://127.0.0.1:8090/api/",
                    "http://localhost:8090/api/", "http://[::1]:8090/api/"):
            company.write({"apicbase_api_url": url, "apicbase_token_url": url})
            self.assertEqual((company.apicbase_api_url, company.apicbase_token_url), (url, url))
        company.write({"apicbase_api_url": False})  # empty: Apicbase's production URL
        self.assertEqual(company._apicbase_client().api_url, DEFAULT_API_URL)

    def test_a_url_stored_before_the_check_is_a_clear_error_when_the_client_is_made(self):
        # A database upgraded from a version without the check may hold one.
        self.env.cr.execute("UPDATE res_company SET apicbase_api_url = %s WHERE id = %s",
                            ["http://apicbase.example/api/", self.company.id])
        self.company.invalidate_recordset(["apicbase_api_url"])
        with self.assertRaises(UserError) as caught:
            self.company.with_user(self.admin)._apicbase_client()
        self.assertEqual(str(caught.exception), "The Apicbase API URL must use https:// (plain http:// only to this "
                                                "machine: localhost, 127.0.0.1 or [::1]). Correct it in Settings → "
                                                "Sales → Apicbase.")
