"""Red team F4: odoo_update's preview said only "Change S00021" while its x2many command deleted a line of
another order. Such values are refused at the first call, before anyone is asked."""

from odoo.tests import tagged

from .common import McpHttpCase


@tagged("post_install", "-at_install", "llm_security")
class TestPreviewCommands(McpHttpCase):
    confirmations = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["llm.tool"].search([("name", "=", "odoo_update")]).requires_confirmation = True
        cls.partner = cls.env["res.partner"].create({"name": "Confirm Target Ltd"})

    def test_an_update_that_would_delete_another_records_line_is_refused_before_anyone_is_asked(self):
        other = self.env["res.partner"].create({"name": "Other Parent Ltd"})
        line = self.env["res.partner"].create({"name": "Line Of Other", "parent_id": other.id})
        for command in ([2, line.id, 0], [1, line.id, {"name": "HIJACKED"}], [3, line.id, 0], [4, line.id]):
            with self.subTest(command=command):
                body = self.call(self.admin_key, "odoo_update", {
                    "model": "res.partner", "ids": [self.partner.id],
                    "values": {"comment": "harmless note", "child_ids": [command]}}).json()
                self.assertIs(body["isError"], True)
                self.assertNotIn("Confirmation needed", body["content"][0]["text"])
                self.assertIn("res.partner.child_ids", body["content"][0]["text"])
                self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")
        self.env.invalidate_all()
        self.assertEqual((line.exists().name, line.parent_id), ("Line Of Other", other))
        self.assertFalse(self.partner.comment)
