"""Attacks on the generic tools by a key holder, admin included: secrets, credentials and the tools
themselves stay out of reach, and records that run code or grant rights cannot be made or changed."""

from odoo.tests import tagged

from odoo.addons.llm_tool.models.llm_tool_builtin import HIDDEN_MODELS, READ_ONLY_MODELS

from .test_builtin_tools import ToolCase


@tagged("post_install", "-at_install", "llm_security")
class TestProtectedModels(ToolCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.tool_record = cls.env["llm.tool"].search([("name", "=", "odoo_delete")])

    def every_tool_on(self, model, record_id):
        """Each generic tool's attempt on ``model``: (tool, arguments)."""
        return [
            ("odoo_search", {"model": model}),
            ("odoo_read", {"model": model, "ids": [record_id]}),
            ("odoo_count", {"model": model}),
            ("odoo_aggregate", {"model": model, "groupby": []}),
            ("odoo_describe_model", {"model": model}),
            ("odoo_create", {"model": model, "values": {"name": "x"}}),
            ("odoo_update", {"model": model, "ids": [record_id], "values": {"name": "x"}}),
            ("odoo_delete", {"model": model, "ids": [record_id]}),
            ("odoo_call_method", {"model": model, "method": "read", "ids": [record_id]}),
        ]

    def test_admin_reaches_no_hidden_model_with_any_tool(self):
        secret = self.env["ir.config_parameter"].sudo().search([("key", "=", "database.secret")])
        for model, record_id in [("ir.config_parameter", secret.id), ("llm.tool", self.tool_record.id),
                                 ("res.users.apikeys", 1), ("llm.tool.builtin", 1)]:
            for tool, arguments in self.every_tool_on(model, record_id):
                with self.subTest(model=model, tool=tool):
                    message = self.assertToolError(tool, arguments, model, user=self.admin)
                    self.assertNotIn(secret.value, message)
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param("database.secret"), secret.value)
        self.assertTrue(self.tool_record.exists())

    def test_hidden_models_are_listed_to_nobody(self):
        listed = {m["model"] for m in self.run_tool("odoo_list_models", {}, user=self.admin)["models"]}
        self.assertFalse(listed & HIDDEN_MODELS)

    def test_a_write_tool_cannot_be_marked_read_only_through_the_tools(self):
        self.assertToolError("odoo_update", {"model": "llm.tool", "ids": self.tool_record.ids,
                                             "values": {"read_only_hint": True}}, "llm.tool", user=self.admin)
        self.assertFalse(self.tool_record.read_only_hint)

    def test_record_edits_cannot_make_a_writing_method_read_only(self):
        self.tool_record.sudo().write({"read_only_hint": True})  # a manager's edit in the web client
        entry = self.env["llm.tool"]._tool_catalog()["odoo_delete"]
        self.assertFalse(entry.read_only, "the decorator says odoo_delete writes: that decides")
        self.assertIs(entry.definition["annotations"]["readOnlyHint"], False)

    def test_paths_through_relations_to_hidden_models_are_refused(self):
        admin = self.admin
        attempts = [
            ("odoo_search", {"model": "res.users", "fields": ["api_key_ids"]}),
            ("odoo_search", {"model": "res.users", "domain": [["api_key_ids.name", "ilike", "a"]]}),
            ("odoo_count", {"model": "res.users", "domain": [["api_key_ids", "!=", False]]}),
            ("odoo_read", {"model": "res.users", "ids": admin.ids, "fields": ["api_key_ids"]}),
            ("odoo_aggregate", {"model": "res.users", "groupby": ["api_key_ids"]}),
            ("odoo_search", {"model": "res.partner", "domain": [["user_ids.api_key_ids.name", "ilike", "a"]]}),
            ("odoo_search", {"model": "res.partner", "order": "user_ids.api_key_ids desc"}),
        ]
        for tool, arguments in attempts:
            with self.subTest(tool=tool, arguments=arguments):
                self.assertToolError(tool, arguments, "MCP tools", user=admin)
        # a relation to a hidden model whose name says nothing secret: the model decides
        for arguments in ({"model": "res.users", "fields": ["log_ids"]},
                          {"model": "res.users", "domain": [["log_ids.create_date", "!=", False]]}):
            self.assertToolError("odoo_search", arguments, "res.users.log", user=admin)

    def test_records_that_run_code_or_grant_rights_cannot_be_made_or_changed(self):
        admin = self.admin
        system = self.env.ref("base.group_system")
        code = "env['res.users'].browse(%d).write({'groups_id': [(4, %d)]})" % (self.user.id, system.id)
        attempts = [
            ("odoo_create", {"model": "ir.actions.server", "values": {
                "name": "x", "model_id": self.env.ref("base.model_res_partner").id, "state": "code", "code": code}}),
            ("odoo_create", {"model": "ir.cron", "values": {"name": "x", "code": code}}),
            ("odoo_update", {"model": "res.groups", "ids": system.ids, "values": {"users": [[4, self.user.id]]}}),
            ("odoo_update", {"model": "res.users", "ids": admin.ids, "values": {"password": "owned"}}),
            ("odoo_update", {"model": "ir.rule", "ids": [1], "values": {"active": False}}),
            ("odoo_call_method", {"model": "ir.module.module", "method": "button_immediate_install", "ids": [1]}),
            # the same through a writable model's relational field
            ("odoo_update", {"model": "res.partner", "ids": self.acme.ids, "values": {
                "user_ids": [[0, 0, {"login": "intruder", "name": "I", "groups_id": [[4, system.id]]}]]}}),
        ]
        for tool, arguments in attempts:
            with self.subTest(tool=tool, arguments=arguments):
                message = self.assertToolError(tool, arguments, user=admin)
                self.assertIn("MCP tools", message)
        self.assertFalse(self.user.has_group("base.group_system"))
        self.assertFalse(self.env["res.users"].search([("login", "=", "intruder")]))

    def test_read_only_models_stay_readable(self):
        for model in ("ir.cron", "res.groups", "ir.model"):
            with self.subTest(model=model):
                self.assertGreater(self.run_tool("odoo_count", {"model": model}, user=self.admin)["count"], 0)
        self.assertLessEqual({"res.users", "ir.actions.server", "ir.rule"}, READ_ONLY_MODELS)

    def test_credential_methods_cannot_be_called_on_any_model(self):
        for method in ("change_password", "preference_change_password", "action_reset_password",
                       "api_key_wizard", "action_totp_disable"):
            with self.subTest(method=method):
                self.assertToolError("odoo_call_method", {"model": "res.partner", "method": method,
                                                          "ids": self.acme.ids}, method, user=self.admin)

    def test_secret_fields_are_never_read_searched_or_written(self):
        admin = self.admin
        attempts = [
            ("odoo_search", {"model": "res.users", "fields": ["password"]}),
            ("odoo_search", {"model": "res.partner", "domain": [["user_ids.password", "!=", False]]}),
        ]
        if "sale.order" in self.env:  # portal access tokens open a document to anyone who has them
            order = self.env["sale.order"].search([], limit=1)
            attempts += [
                ("odoo_read", {"model": "sale.order", "ids": order.ids, "fields": ["access_token"]}),
                ("odoo_count", {"model": "sale.order", "domain": [["access_token", "!=", False]]}),
                ("odoo_aggregate", {"model": "sale.order", "groupby": ["access_token"]}),
                ("odoo_search", {"model": "sale.order", "order": "access_token"}),
                ("odoo_update", {"model": "sale.order", "ids": order.ids, "values": {"access_token": "known"}}),
            ]
        for tool, arguments in attempts:
            with self.subTest(tool=tool, arguments=arguments):
                self.assertToolError(tool, arguments, "holds a secret", user=admin)

    def test_the_orms_own_methods_cannot_bypass_the_dedicated_tools(self):
        system = self.env.ref("base.group_system")
        attempts = [
            ("write", self.acme.ids, [{"user_ids": [[0, 0, {"login": "intruder2", "name": "I",
                                                            "groups_id": [[4, system.id]]}]]}]),
            ("search_read", None, [[["user_ids.api_key_ids.name", "ilike", "a"]]]),
            ("web_read", self.acme.ids, [{"user_ids": {"fields": {"api_key_ids": {"fields": {"name": {}}}}}}]),
            ("read", self.acme.ids, [["user_ids"]]),
            ("copy", self.acme.ids, []),
        ]
        for method, ids, args in attempts:
            with self.subTest(method=method):
                arguments = {"model": "res.partner", "method": method, "args": args, **({"ids": ids} if ids else {})}
                self.assertToolError("odoo_call_method", arguments, "not a business method", user=self.admin)
        self.assertFalse(self.env["res.users"].search([("login", "=", "intruder2")]))

    def test_a_context_cannot_smuggle_default_values_into_a_method(self):
        system = self.env.ref("base.group_system")
        self.assertToolError("odoo_call_method", {
            "model": "res.partner", "method": "name_create", "args": ["Smuggler"],
            "kwargs": {"context": {"default_user_ids": [[0, 0, {"login": "intruder3", "name": "I",
                                                                "groups_id": [[4, system.id]]}]]}},
        }, "context", user=self.admin)
        self.assertFalse(self.env["res.users"].search([("login", "=", "intruder3")]))

    def test_wizards_are_out_of_reach_the_import_wizard_writes_any_model(self):
        """Red team: base_import.import + execute_import created a group and would have made a user admin."""
        attempts = [
            ("odoo_create", {"model": "base_import.import", "values": {
                "res_model": "res.groups", "file": "name\nPWNED\n", "file_type": "text/csv", "file_name": "x.csv"}}),
            ("odoo_call_method", {"model": "base_import.import", "method": "get_fields_tree", "args": ["llm.mcp.key"]}),
            ("odoo_search", {"model": "res.config"}),
        ]
        for tool, arguments in attempts:
            with self.subTest(tool=tool):
                self.assertToolError(tool, arguments, "not available to MCP tools", user=self.admin)
        listed = {m["model"] for m in self.run_tool("odoo_list_models", {}, user=self.admin)["models"]}
        self.assertNotIn("base_import.import", listed)

    def test_secrets_in_urls_are_withheld_from_results(self):
        """Red team: sale.order.get_portal_url() handed out the order's portal access_token."""
        if "sale.order" not in self.env:
            self.skipTest("sale is not installed")
        order = self.env["sale.order"].search([], limit=1)
        order._portal_ensure_token()
        result = self.run_tool("odoo_call_method", {"model": "sale.order", "method": "get_portal_url",
                                                    "ids": order.ids}, user=self.admin)["result"]
        self.assertIn("access_token=[redacted]", result)
        self.assertNotIn(order.access_token, result)
        self.acme.comment = f"See https://erp.example.com/my/orders/1?access_token={order.access_token}&x=1"
        rows = self.run_tool("odoo_read", {"model": "res.partner", "ids": self.acme.ids, "fields": ["comment"]},
                             user=self.admin)["records"]
        self.assertNotIn(order.access_token, rows[0]["comment"])
