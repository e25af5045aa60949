"""Each way apexive's tool modules define tools, listed and run through the MCP server's real endpoints."""

from odoo.tests import new_test_user, tagged

from odoo.addons.llm_mcp_server.tests.common import TOOLS, McpHttpCase

PATTERNS = {
    "test_llm_partner_card": "a decorated method on a regular model",
    "test_llm_partner_rename": "a decorated write method declaring no read_only_hint",
    "test_llm_days_between": "a decorated method on a TransientModel",
    "test_llm_system_parameter_count": "a holder model without access rules",
    "test_llm_contact_count": "a holder model without access rules",
    "test_llm_guarded_ping": "a holder model with an access rule for administrators",
    "test_llm_xml_partner_count": "a tool defined in a data file",
    "test_llm_echo": "a non-function implementation (<implementation>_execute)",
    "test_llm_partner_check": "a server action",
}


@tagged("post_install", "-at_install")
class TestToolModulePatterns(McpHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # an employee without contact-management rights: may read contacts, not write them
        cls.employee = new_test_user(cls.env, login="compat_employee", groups="base.group_user")
        cls.employee_key = cls.make_key(cls.employee, "employee key")
        cls.contact = cls.env["res.partner"].create({"name": "Compat Contact", "email": "compat@example.com"})

    def definitions(self, key):
        response = self.post(TOOLS, key=key)
        self.assertEqual(response.status_code, 200, response.text)
        return {tool["name"]: tool for tool in response.json()["tools"] if tool["name"] in PATTERNS}

    def result(self, key, name, arguments=None):
        response = self.call(key, name, arguments)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def test_admin_lists_every_pattern_with_a_good_schema(self):
        listed = self.definitions(self.admin_key)
        self.assertEqual(set(listed), set(PATTERNS))
        self.assertEqual(listed["test_llm_partner_card"]["inputSchema"]["required"], ["partner_id"])
        self.assertEqual(listed["test_llm_days_between"]["inputSchema"]["properties"]["start"],
                         {"type": "string", "description": "The first day."})
        times = listed["test_llm_echo"]["inputSchema"]["properties"]["times"]
        self.assertEqual(times, {"type": "integer", "default": 1, "description": "How many times."})
        self.assertEqual(listed["test_llm_echo"]["description"], "Repeat a text.")
        self.assertEqual(listed["test_llm_partner_check"]["inputSchema"]["required"], ["record_ids"])
        read_only = {name for name, tool in listed.items() if tool["annotations"]["readOnlyHint"]}
        self.assertEqual(read_only, {"test_llm_partner_card", "test_llm_days_between",
                                     "test_llm_system_parameter_count", "test_llm_contact_count",
                                     "test_llm_guarded_ping", "test_llm_xml_partner_count"})

    def test_what_an_employee_is_offered_follows_the_holder_models_rights(self):
        listed = set(self.definitions(self.employee_key))
        self.assertIn("test_llm_system_parameter_count", listed, "a holder without access rules hides nothing")
        self.assertNotIn("test_llm_guarded_ping", listed, "its holder's rule is for administrators")
        self.assertNotIn("test_llm_partner_check", listed, "without groups, the action needs write access to contacts")
        self.assertEqual(listed, set(PATTERNS) - {"test_llm_guarded_ping", "test_llm_partner_check"})

    def test_every_pattern_runs_as_the_calling_user(self):
        calls = {
            "test_llm_partner_card": {"partner_id": self.contact.id},
            "test_llm_days_between": {"start": "2026-01-01", "end": "2026-01-31"},
            "test_llm_contact_count": {},
            "test_llm_xml_partner_count": {"name": "Compat Contact"},
            "test_llm_echo": {"text": "hi", "times": 2},
        }
        for key, user in ((self.admin_key, self.admin), (self.employee_key, self.employee)):
            results = {}
            for name, arguments in calls.items():
                body = self.result(key, name, arguments)
                self.assertIs(body["isError"], False, (name, body))
                results[name] = body["structuredContent"]
            self.assertEqual(results["test_llm_partner_card"],
                             {"name": "Compat Contact", "email": "compat@example.com"})
            self.assertEqual(results["test_llm_days_between"], {"days": 30, "records": 0})
            self.assertEqual(results["test_llm_contact_count"]["uid"], user.id)
            self.assertEqual(results["test_llm_xml_partner_count"], {"count": 1})
            self.assertEqual(results["test_llm_echo"], {"echo": "hi hi", "tool": "test_llm_echo", "uid": user.id})

    def test_a_tool_on_an_open_holder_gets_the_rights_of_the_user(self):
        admin = self.result(self.admin_key, "test_llm_system_parameter_count")
        self.assertIs(admin["isError"], False, admin)
        self.assertEqual((admin["structuredContent"]["holder_records"], admin["structuredContent"]["uid"]),
                         (0, self.admin.id))
        employee = self.result(self.employee_key, "test_llm_system_parameter_count")
        self.assertIs(employee["isError"], True)
        self.assertIn("not allowed", employee["content"][0]["text"])
        self.assertIn("ir.config_parameter", employee["content"][0]["text"])
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")

    def test_the_guarded_holders_tool_is_refused_to_the_employee(self):
        self.assertIs(self.result(self.admin_key, "test_llm_guarded_ping")["structuredContent"]["pong"], True)
        self.assertContractError(self.call(self.employee_key, "test_llm_guarded_ping"), 404, "unknown_tool")
        self.assertEqual(self.audit_rows()[-1].outcome, "denied")

    def test_the_server_action_tool_runs_on_the_records_given(self):
        body = self.result(self.admin_key, "test_llm_partner_check", {"record_ids": self.contact.ids})
        self.assertIs(body["isError"], False, body)
        self.assertEqual(body["structuredContent"], {"record_ids": self.contact.ids, "result": {
            "checked": self.contact.ids, "arguments": {"record_ids": self.contact.ids}}})
        self.env.invalidate_all()
        self.assertEqual(self.contact.ref, f"Checked by {self.admin.login}")
        row = self.audit_rows()[-1]
        self.assertEqual((row.outcome, row.tool_name, row.user_id), ("ok", "test_llm_partner_check", self.admin))

    def test_a_write_tool_without_a_read_only_hint_is_kept_from_read_only_keys(self):
        read_only_key = self.make_key(self.admin, "read only", read_only=True)
        listed = set(self.definitions(read_only_key))
        self.assertFalse(listed & {"test_llm_partner_rename", "test_llm_echo", "test_llm_partner_check"})
        self.assertIn("test_llm_partner_card", listed)
        self.assertContractError(self.call(read_only_key, "test_llm_partner_rename",
                                           {"partner_id": self.contact.id, "name": "Renamed"}), 404, "unknown_tool")
        self.env.invalidate_all()
        self.assertEqual(self.contact.name, "Compat Contact")
