"""Server actions as tools: who marks them, who runs them, as whom, on what, and never for read-only keys."""

import json

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.llm_tool.errors import ToolInputError

from .test_builtin_tools import ToolCase


@tagged("post_install", "-at_install", "llm_security")
class TestServerActionTools(ToolCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.reader = new_test_user(cls.env, login="llm_action_reader", groups="base.group_user")  # reads contacts only
        cls.action = cls.make_action("Stamp contacts", "records.write({'ref': 'stamped by %s' % env.user.login})")

    @classmethod
    def make_action(cls, name, code, model="base.model_res_partner", **values):
        return cls.env["ir.actions.server"].create({
            "name": name, "model_id": cls.env.ref(model).id, "state": "code", "code": code, **values})

    def make_tool(self, action, **values):
        return self.env["llm.tool"].create({
            "name": values.pop("name", "llm_test_stamp"), "implementation": "server_action",
            "server_action_id": action.id, **values})

    def entries(self, user):
        return self.env["llm.tool"].with_user(user)._available_tool_entries()

    def test_a_server_action_tool_runs_as_the_user_on_the_records_given(self):
        self.make_tool(self.action, description="Stamp contacts.")
        entry = self.env["llm.tool"]._tool_catalog()["llm_test_stamp"]
        self.assertEqual(entry.definition["inputSchema"]["required"], ["record_ids"])
        self.assertEqual(entry.definition["description"], "Stamp contacts.")
        result = self.run_tool("llm_test_stamp", {"record_ids": (self.acme | self.bolt).ids})
        self.assertEqual(result, {"record_ids": (self.acme | self.bolt).ids, "result": None})
        self.assertEqual((self.acme | self.bolt).mapped("ref"), ["stamped by llm_tools_user"] * 2)
        self.assertFalse(self.crane.ref)

    def test_server_action_tools_are_never_read_only(self):
        tool = self.make_tool(self.action)
        self.assertFalse(self.env["llm.tool"]._tool_catalog()["llm_test_stamp"].read_only)
        with self.assertRaises(ValidationError):
            tool.read_only_hint = True
        read_action = self.make_action("Only reads", "action = {'count': len(records)}")
        self.make_tool(read_action, name="llm_test_reads", idempotent_hint=True, destructive_hint=False)
        entry = self.env["llm.tool"]._tool_catalog()["llm_test_reads"]
        self.assertIs(entry.definition["annotations"]["readOnlyHint"], False)

    def test_who_may_run_a_server_action_tool(self):
        self.make_tool(self.action)
        # without groups, as ir.actions.server.run(): those who may write the action's model
        self.assertIn("llm_test_stamp", self.entries(self.user))
        self.assertNotIn("llm_test_stamp", self.entries(self.reader))
        self.assertToolError("llm_test_stamp", {"record_ids": self.acme.ids}, "not allowed", user=self.reader)
        # with groups: their members only
        self.action.groups_id = self.env.ref("base.group_system")
        self.assertNotIn("llm_test_stamp", self.entries(self.user))
        self.assertIn("llm_test_stamp", self.entries(self.admin))
        self.assertToolError("llm_test_stamp", {"record_ids": self.acme.ids}, "access rights", user=self.user)
        self.assertFalse(self.acme.ref)
        # the tool's own groups narrow it further
        self.action.groups_id = False
        self.env["llm.tool"].search([("name", "=", "llm_test_stamp")]).group_ids = self.env.ref("base.group_system")
        self.assertNotIn("llm_test_stamp", self.entries(self.user))
        self.assertIn("llm_test_stamp", self.entries(self.admin))

    def test_records_given_to_a_server_action_must_be_visible(self):
        self.make_tool(self.action)
        other_company = self.env["res.company"].create({"name": "LLM Other Company"})
        hidden = self.env["res.partner"].create({"name": "LLM Hidden", "company_id": other_company.id})
        missing = hidden.id + 100000
        for ids in ([hidden.id], [missing], [self.acme.id, hidden.id]):
            with self.subTest(ids=ids):
                self.assertToolError("llm_test_stamp", {"record_ids": ids}, "or you may not see it")
        self.assertEqual((self.acme | hidden).mapped("ref"), [False, False])
        with self.assertRaises(ToolInputError):
            self.run_tool("llm_test_stamp", {"record_ids": []})

    def test_server_actions_on_protected_models_cannot_become_tools(self):
        system = self.env.ref("base.group_system")
        code = f"env['res.users'].browse({self.user.id}).write({{'groups_id': [(4, {system.id})]}})"
        on_users = self.make_action("Promote", code, model="base.model_res_users")
        on_parameters = self.make_action("Settings", "pass", model="base.model_ir_config_parameter")
        on_actions = self.make_action("Actions", "pass", model="base.model_ir_actions_server")
        child_on_users = self.make_action("Parent", "", state="multi", child_ids=[(6, 0, on_users.ids)])
        creates_groups = self.env["ir.actions.server"].create({
            "name": "New group", "model_id": self.env.ref("base.model_res_partner").id, "state": "object_create",
            "crud_model_id": self.env.ref("base.model_res_groups").id, "value": "Intruders"})
        cron_action = self.env["ir.cron"].search([], limit=1).ir_actions_server_id
        for action in (on_users, on_parameters, on_actions, child_on_users, creates_groups, cron_action):
            with self.subTest(action=action.name), self.assertRaises(ValidationError):
                self.make_tool(action, name="llm_test_protected")
        # a tool made before its action was pointed at such a model leaves the catalog
        tool = self.make_tool(self.action)
        self.action.model_id = self.env.ref("base.model_res_users")
        self.assertNotIn(tool.name, self.env["llm.tool"]._tool_catalog())
        self.assertFalse(self.user.has_group("base.group_system"))

    def test_a_server_action_writing_a_secret_field_cannot_become_a_tool(self):
        if "sale.order" not in self.env:
            self.skipTest("sale is not installed")
        action = self.env["ir.actions.server"].create({
            "name": "Reset token", "model_id": self.env.ref("sale.model_sale_order").id, "state": "object_write",
            "update_path": "access_token", "evaluation_type": "value", "value": "known"})
        with self.assertRaises(ValidationError):
            self.make_tool(action, name="llm_test_token")

    def test_only_llm_managers_make_server_actions_tools(self):
        with self.assertRaises(AccessError):
            self.env["llm.tool"].with_user(self.user).create({
                "name": "llm_test_sneaky", "implementation": "server_action", "server_action_id": self.action.id})
        with self.assertRaises(AccessError):
            self.action.with_user(self.user).action_llm_tool_create()
        opened = self.action.with_user(self.admin).action_llm_tool_create()
        tool = self.env["llm.tool"].browse(opened["res_id"])
        self.assertEqual((tool.name, tool.implementation, tool.server_action_id), ("stamp_contacts", "server_action",
                                                                                   self.action))
        second = self.env["llm.tool"].browse(self.action.with_user(self.admin).action_llm_tool_create()["res_id"])
        self.assertEqual(second.name, f"stamp_contacts_{self.action.id}")

    def test_a_code_action_with_its_own_schema_reads_its_arguments(self):
        action = self.make_action("Greet", "action = {'greeting': 'Hello ' "
                                           "+ env.context['llm_tool_arguments']['name'], "
                                           "'records': len(records or model)}")
        self.make_tool(action, name="llm_test_greet", input_schema=json.dumps({
            "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"],
            "additionalProperties": False}))
        result = self.run_tool("llm_test_greet", {"name": "Ada"})
        self.assertEqual(result, {"record_ids": [], "result": {"greeting": "Hello Ada", "records": 0}})
