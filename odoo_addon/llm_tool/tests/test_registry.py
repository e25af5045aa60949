import json

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.llm_tool.decorators import llm_tool
from odoo.addons.llm_tool.errors import ToolExecutionError, ToolInputError

READ_TOOLS = {"odoo_search", "odoo_read", "odoo_count", "odoo_aggregate", "odoo_list_models", "odoo_describe_model"}
WRITE_TOOLS = {"odoo_create", "odoo_update", "odoo_delete", "odoo_call_method"}


@tagged("post_install", "-at_install")
class TestToolRegistry(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Tool = cls.env["llm.tool"]
        cls.user = new_test_user(cls.env, login="llm_registry_user", groups="base.group_user")
        cls.portal = new_test_user(cls.env, login="llm_registry_portal", groups="base.group_portal")

    def test_builtin_tools_are_registered_from_their_decorators(self):
        catalog = self.Tool._tool_catalog()
        self.assertLessEqual(READ_TOOLS | WRITE_TOOLS, set(catalog))
        tool = self.Tool.search([("name", "=", "odoo_search")])
        self.assertEqual((tool.implementation, tool.decorator_model, tool.decorator_method),
                         ("function", "llm.tool.builtin", "odoo_search"))

    def test_annotations_are_honest(self):
        catalog = self.Tool._tool_catalog()
        for name in READ_TOOLS:
            annotations = catalog[name].definition["annotations"]
            self.assertIs(annotations["readOnlyHint"], True, name)
            self.assertIs(annotations["destructiveHint"], False, name)
        for name in WRITE_TOOLS:
            self.assertIs(catalog[name].definition["annotations"]["readOnlyHint"], False, name)
        self.assertIs(catalog["odoo_delete"].definition["annotations"]["destructiveHint"], True)

    def test_every_definition_is_mcp_shaped(self):
        for name, entry in self.Tool._tool_catalog().items():
            definition = entry.definition
            self.assertRegex(definition["name"], r"^[A-Za-z0-9_.-]{1,128}$")
            schema = definition["inputSchema"]
            self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", name)
            self.assertEqual(schema["type"], "object", name)
            text = json.dumps(dict(definition))
            self.assertNotIn("anyOf", text, name)
            self.assertNotIn("oneOf", text, name)
            self.assertTrue(definition["description"], name)

    def test_fixed_shapes_have_an_output_schema(self):
        catalog = self.Tool._tool_catalog()
        self.assertEqual(catalog["odoo_search"].definition["outputSchema"]["required"],
                         ["records", "total", "has_more"])
        self.assertNotIn("outputSchema", catalog["odoo_call_method"].definition)

    def test_catalog_is_cached_until_a_tool_changes(self):
        first = self.Tool._tool_catalog()
        self.assertIs(self.Tool._tool_catalog(), first, "the catalog must not be rebuilt per request")
        tool = self.Tool.search([("name", "=", "odoo_count")])
        tool.description = "Count things."
        second = self.Tool._tool_catalog()
        self.assertIsNot(second, first)
        self.assertEqual(second["odoo_count"].definition["description"], "Count things.")

    def test_archived_tools_leave_the_catalog(self):
        self.Tool.search([("name", "=", "odoo_count")]).active = False
        self.assertNotIn("odoo_count", self.Tool._tool_catalog())

    def test_names_are_mcp_safe_and_unique(self):
        with self.assertRaises(ValidationError):
            self.Tool.create({"name": "bad name!", "implementation": "function"})
        with self.assertRaises(ValidationError):
            self.Tool.create({"name": "x" * 129, "implementation": "function"})
        with mute_logger("odoo.sql_db"), self.assertRaises(Exception), self.env.cr.savepoint():
            self.Tool.create({"name": "odoo_search", "implementation": "function"})

    def test_input_schema_override(self):
        tool = self.Tool.search([("name", "=", "odoo_count")])
        tool.input_schema = json.dumps({"type": "object", "properties": {"model": {"type": "string"}},
                                        "required": ["model"], "additionalProperties": False})
        entry = self.Tool._tool_catalog()["odoo_count"]
        self.assertEqual(list(entry.input_schema["properties"]), ["model"])
        with self.assertRaises(ToolInputError):
            self.Tool._run_tool_entry(entry, {"model": "res.partner", "domain": []})
        with self.assertRaises(ValidationError):
            tool.input_schema = "{not json"
        with self.assertRaises(ValidationError):
            tool.input_schema = json.dumps({"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}]}}})

    def test_a_schema_outside_the_contracts_subset_is_neither_saved_nor_published(self):
        # Odoo's validator ignores $ref/allOf/if..., the sidecar's Ajv applies them: such a tool would be judged
        # two ways, so it is not saved, and one that got into the database anyway is left out of the catalog
        tool = self.Tool.search([("name", "=", "odoo_count")])
        for schema in ({"type": "object", "properties": {"model": {"$ref": "#/$defs/model"}}},
                       {"type": "object", "allOf": [{"required": ["model"]}]},
                       {"type": "object", "properties": {"ids": {"type": "array", "items": {"if": {}}}}}):
            with self.subTest(schema=schema), self.assertRaises(ValidationError) as caught:
                tool.input_schema = json.dumps(schema)
            self.assertIn("outside the subset", str(caught.exception))
        self.assertIn("odoo_count", self.Tool._tool_catalog())
        self.env.cr.execute("UPDATE llm_tool SET input_schema = %s WHERE id = %s",
                            [json.dumps({"type": "object", "not": {"required": ["model"]}}), tool.id])
        tool.invalidate_recordset()
        self.env.registry.clear_cache()
        with mute_logger("odoo.addons.llm_tool.models.llm_tool"):
            self.assertNotIn("odoo_count", self.Tool._tool_catalog())

    def test_decorated_methods_sync_without_duplicates_or_reactivation(self):
        @llm_tool(read_only_hint=True, destructive_hint=False, title="Test tool")
        def llm_test_tool(self, name: str) -> dict:
            """A tool for the test.

            Args:
                name: Who.
            """

        found = {("res.partner", "llm_test_tool"): llm_test_tool}
        self.Tool._sync_decorated_tools(found)
        tool = self.Tool.search([("name", "=", "llm_test_tool")])
        self.assertEqual(len(tool), 1)
        self.assertEqual((tool.title, tool.read_only_hint, tool.destructive_hint, tool.description),
                         ("Test tool", True, False, "A tool for the test."))
        tool.active = False
        self.Tool._sync_decorated_tools(found)
        self.assertEqual(self.Tool.with_context(active_test=False).search_count([("name", "=", "llm_test_tool")]), 1)
        self.assertFalse(tool.active, "registration must not undo an archive")

    def test_xml_managed_tools_are_left_to_data_files(self):
        @llm_tool(xml_managed=True)
        def llm_xml_tool(self, name: str) -> dict:
            """XML owns me."""

        self.Tool._sync_decorated_tools({("res.partner", "llm_xml_tool"): llm_xml_tool})
        self.assertFalse(self.Tool.with_context(active_test=False).search([("name", "=", "llm_xml_tool")]))

    def test_available_tools_are_computed_for_the_user(self):
        self.assertLessEqual(READ_TOOLS | WRITE_TOOLS, set(self.Tool.with_user(self.user)._available_tool_entries()))
        self.assertEqual(self.Tool.with_user(self.portal)._available_tool_entries(), {},
                         "a portal user has no LLM access and sees no tool")

    def test_tool_groups_restrict_who_sees_a_tool(self):
        tool = self.Tool.search([("name", "=", "odoo_count")])
        tool.group_ids = self.env.ref("base.group_system")
        self.assertNotIn("odoo_count", self.Tool.with_user(self.user)._available_tool_entries())
        self.assertIn("odoo_count", self.Tool.with_user(self.env.ref("base.user_admin"))._available_tool_entries())

    def test_a_change_of_the_users_groups_shows_at_once(self):
        # the user's group ids come from Odoo's ormcache (res.users._get_group_ids), which a write of
        # groups_id clears: joining or leaving a tool's group is seen by the very next check
        tool = self.Tool.search([("name", "=", "odoo_count")])
        tool.group_ids = self.env.ref("base.group_system")
        Tool = self.Tool.with_user(self.user)
        self.assertIsNone(Tool._available_tool_entry("odoo_count"))
        self.user.groups_id = [(4, self.env.ref("base.group_system").id)]
        self.assertTrue(Tool._available_tool_entry("odoo_count"))
        self.assertIn("odoo_count", Tool._available_tool_entries())
        self.user.groups_id = [(3, self.env.ref("base.group_system").id)]
        self.assertIsNone(Tool._available_tool_entry("odoo_count"))
        self.assertNotIn("odoo_count", Tool._available_tool_entries())

    def test_tools_on_a_model_the_user_cannot_read_are_not_theirs(self):
        @llm_tool(read_only_hint=True)
        def llm_test_settings_tool(self, key: str) -> dict:
            """Read a system parameter."""
            return {"value": self.get_param(key)}

        model_class = type(self.env["ir.config_parameter"])
        model_class.llm_test_settings_tool = llm_test_settings_tool
        self.addCleanup(delattr, model_class, "llm_test_settings_tool")
        self.Tool._sync_decorated_tools({("ir.config_parameter", "llm_test_settings_tool"): llm_test_settings_tool})
        self.assertIn("llm_test_settings_tool", self.Tool._tool_catalog())
        self.assertNotIn("llm_test_settings_tool", self.Tool.with_user(self.user)._available_tool_entries())
        self.assertIsNone(self.Tool.with_user(self.user)._available_tool_entry("llm_test_settings_tool"))
        admin_tools = self.Tool.with_user(self.env.ref("base.user_admin"))._available_tool_entries()
        self.assertIn("llm_test_settings_tool", admin_tools)
        result = self.Tool.with_user(self.env.ref("base.user_admin"))._run_tool_entry(
            admin_tools["llm_test_settings_tool"], {"key": "web.base.url"})
        self.assertTrue(result["value"])

    def patch_tool(self, model, func):
        """Put ``func`` (a decorated function) on ``model``'s class for this test and register it."""
        model_class = type(self.env[model])
        setattr(model_class, func.__name__, func)
        self.addCleanup(delattr, model_class, func.__name__)
        self.Tool._sync_decorated_tools({(model, func.__name__): func})

    def test_tools_on_a_holder_without_access_rules_are_listed_and_run_as_the_user(self):
        @llm_tool(read_only_hint=True)
        def llm_test_open_holder_tool(self) -> dict:
            """Count system parameters."""
            return {"holder_records": len(self), "uid": self.env.uid,
                    "parameters": self.env["ir.config_parameter"].search_count([])}

        self.patch_tool("res.country.group", llm_test_open_holder_tool)
        self.assertNotIn("llm_test_open_holder_tool", self.Tool.with_user(self.portal)._available_tool_entries())
        self.env["ir.model.access"].search([("model_id.model", "=", "res.country.group")]).unlink()
        # nobody but the superuser may read the holder now: its tools are every tool user's, run as them
        user_tools = self.Tool.with_user(self.user)._available_tool_entries()
        self.assertIn("llm_test_open_holder_tool", user_tools)
        self.assertEqual(self.Tool.with_user(self.portal)._available_tool_entries(), {}, "still only tool users")
        with self.assertRaises(ToolExecutionError) as caught:  # the body's own ORM call refuses the user
            self.Tool.with_user(self.user)._run_tool_entry(user_tools["llm_test_open_holder_tool"], {})
        self.assertIn("ir.config_parameter", str(caught.exception))
        admin = self.env.ref("base.user_admin")
        result = self.Tool.with_user(admin)._run_tool_entry(user_tools["llm_test_open_holder_tool"], {})
        self.assertEqual((result["holder_records"], result["uid"]), (0, admin.id))
        self.assertGreater(result["parameters"], 0)

    def test_a_holder_whose_access_rules_are_archived_stays_closed(self):
        @llm_tool(read_only_hint=True)
        def llm_test_archived_rules_tool(self) -> dict:
            """Answer pong."""
            return {"pong": True}

        self.patch_tool("res.country.group", llm_test_archived_rules_tool)
        self.assertIn("llm_test_archived_rules_tool", self.Tool.with_user(self.user)._available_tool_entries())
        self.env["ir.model.access"].search([("model_id.model", "=", "res.country.group")]).active = False
        self.assertNotIn("llm_test_archived_rules_tool", self.Tool.with_user(self.user)._available_tool_entries())

    def test_an_undeclared_read_only_hint_counts_as_writing(self):
        @llm_tool(destructive_hint=False)
        def llm_test_undeclared_tool(self, name: str) -> dict:
            """Does it write? Its code does not say."""
            return {"name": name}

        self.patch_tool("res.partner", llm_test_undeclared_tool)
        tool = self.Tool.search([("name", "=", "llm_test_undeclared_tool")])
        self.assertFalse(tool.read_only_hint)
        tool.write({"read_only_hint": True})  # a manager's edit, or a module's data file
        entry = self.Tool._tool_catalog()["llm_test_undeclared_tool"]
        self.assertFalse(entry.read_only)
        self.assertIs(entry.definition["annotations"]["readOnlyHint"], False)

    def test_a_record_naming_an_undecorated_method_never_runs(self):
        for method in ("unlink", "write", "_set_password", "no_such_method"):
            self.Tool.create({"name": f"llm_test_bare_{method.strip('_')}", "implementation": "function",
                              "decorator_model": "res.users", "decorator_method": method,
                              "input_schema": json.dumps({"type": "object", "properties": {}})})
        catalog = self.Tool._tool_catalog()
        self.assertFalse([name for name in catalog if name.startswith("llm_test_bare_")])
        tool = self.Tool.search([("name", "=", "llm_test_bare_unlink")])
        with self.assertRaises(UserError):
            tool.with_user(self.env.ref("base.user_admin")).execute({})

    def test_auto_update_off_keeps_a_managers_edits(self):
        @llm_tool(read_only_hint=True, title="From the code")
        def llm_test_manual_tool(self) -> dict:
            """From the code."""
            return {}

        self.patch_tool("res.partner", llm_test_manual_tool)
        tool = self.Tool.search([("name", "=", "llm_test_manual_tool")])
        self.assertTrue(tool.auto_update)
        tool.write({"auto_update": False, "description": "Edited by a manager.", "title": "Edited"})
        self.Tool._sync_decorated_tools({("res.partner", "llm_test_manual_tool"): llm_test_manual_tool})
        self.assertEqual((tool.description, tool.title), ("Edited by a manager.", "Edited"))
        tool.auto_update = True
        self.Tool._sync_decorated_tools({("res.partner", "llm_test_manual_tool"): llm_test_manual_tool})
        self.assertEqual((tool.description, tool.title), ("From the code.", "From the code"))

    def test_apexive_fields_are_accepted(self):
        tool = self.Tool.search([("name", "=", "odoo_count")])
        tool.write({"default": True, "auto_update": True})
        self.assertIn(("server_action", "Server Action"), self.Tool._get_available_implementations())
        self.assertEqual(tool._get_implementation_method().__name__, "odoo_count")

    def test_execute_is_the_apexive_entry_point(self):
        tool = self.Tool.search([("name", "=", "odoo_count")])
        result = tool.with_user(self.user).execute(
            {"model": "res.partner", "domain": [["id", "=", self.user.partner_id.id]]})
        self.assertEqual(result, {"count": 1})


@tagged("post_install", "-at_install")
class TestToolForm(TransactionCase):
    """The tool form keeps what a decorator declares read-only while the sync would overwrite it."""

    def test_decorator_owned_fields_are_read_only_until_auto_update_is_off(self):
        tool = self.env["llm.tool"].search([("name", "=", "odoo_search")])
        owned = ("name", "title", "description", "input_schema", "destructive_hint", "decorator_method")
        with Form(tool) as form:
            for field in owned:
                with self.assertRaises(AssertionError, msg=f"{field} is editable while auto_update is on"):
                    setattr(form, field, "x" if field not in ("destructive_hint",) else True)
            form.auto_update = False
            form.description = "Edited by a manager."
        self.assertEqual(tool.description, "Edited by a manager.")
