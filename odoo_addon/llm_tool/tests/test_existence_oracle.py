"""An id's answer must not tell whether a record the user may not see exists."""

from odoo.tests import new_test_user, tagged

from .test_builtin_tools import ToolCase


@tagged("post_install", "-at_install", "llm_security")
class TestExistenceOracle(ToolCase):
    def test_existing_and_missing_ids_get_the_same_refusal_without_the_right(self):
        if "sale.order" not in self.env:
            self.skipTest("sale is not installed")
        order = self.env["sale.order"].search([], limit=1)
        self.assertTrue(order, "demo data has sale orders")
        existing = self.assertToolError("odoo_read", {"model": "sale.order", "ids": order.ids})
        missing = self.assertToolError("odoo_read", {"model": "sale.order", "ids": [order.id + 999999]})
        self.assertEqual(existing, missing)
        self.assertIn("not allowed", existing)

    def test_records_hidden_by_a_rule_look_like_missing_ones(self):
        other_company = self.env["res.company"].create({"name": "Oracle Test Co"})
        hidden = self.env["res.partner"].create({"name": "Other company's partner", "company_id": other_company.id})
        user = new_test_user(self.env, login="oracle_user", groups="base.group_user,base.group_partner_manager")
        seen = self.assertToolError("odoo_read", {"model": "res.partner", "ids": hidden.ids}, user=user)
        unseen = self.assertToolError("odoo_read", {"model": "res.partner", "ids": [hidden.id + 999999]}, user=user)
        self.assertEqual(seen.replace(str(hidden.id), "N"), unseen.replace(str(hidden.id + 999999), "N"))

    def test_the_message_about_many_missing_ids_stays_short(self):
        base = self.env["res.partner"].search([], order="id desc", limit=1).id + 1000
        message = self.assertToolError("odoo_read", {"model": "res.partner", "ids": list(range(base, base + 1000))})
        self.assertLess(len(message), 300)
        self.assertIn("990 more", message)
