import base64
import json

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.llm_tool.errors import ToolExecutionError, ToolInputError

# A 1x1 PNG.
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
))


class ToolCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, login="llm_tools_user", groups="base.group_user,base.group_partner_manager")
        cls.tag = cls.env["res.partner.category"].create({"name": "LLM tool test tag"})
        cls.acme = cls.env["res.partner"].create({
            "name": "Acme LLM Test", "email": "info@acme-llm.test", "is_company": True, "image_1920": PIXEL,
            "country_id": cls.env.ref("base.be").id, "category_id": [Command.set(cls.tag.ids)],
        })
        cls.bolt = cls.env["res.partner"].create({
            "name": "Bolt LLM Test", "email": "hello@bolt-llm.test", "parent_id": cls.acme.id,
        })
        cls.crane = cls.env["res.partner"].create({"name": "Crane LLM Test", "country_id": cls.env.ref("base.fr").id})

    def run_tool(self, name, arguments, user=None):
        Tool = self.env["llm.tool"].with_user(user or self.user)
        return Tool._run_tool_entry(Tool._tool_catalog()[name], arguments)

    def assertToolError(self, name, arguments, *fragments, user=None):
        with self.assertRaises(ToolExecutionError) as caught:
            self.run_tool(name, arguments, user=user)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        return str(caught.exception)


@tagged("post_install", "-at_install")
class TestSearchTools(ToolCase):
    def names(self, result):
        return sorted(record["display_name"] for record in result["records"])

    def test_or_domain(self):
        result = self.run_tool("odoo_search", {"model": "res.partner", "domain": [
            "|", ["name", "=", "Acme LLM Test"], ["name", "=", "Crane LLM Test"]]})
        self.assertEqual(self.names(result), ["Acme LLM Test", "Crane LLM Test"])
        self.assertEqual((result["total"], result["has_more"]), (2, False))

    def test_not_and_and_operators_and_dotted_paths(self):
        result = self.run_tool("odoo_search", {"model": "res.partner", "domain": [
            "&", ["name", "ilike", "LLM Test"], "!", ["country_id.code", "=", "BE"]]})
        self.assertNotIn("Acme LLM Test", self.names(result))
        self.assertIn("Crane LLM Test", self.names(result))
        result = self.run_tool("odoo_search",
                               {"model": "res.partner", "domain": [["parent_id.email", "=like", "%acme-llm%"]]})
        self.assertEqual(self.names(result), ["Acme LLM Test, Bolt LLM Test"])

    def test_search_without_fields_stays_small(self):
        result = self.run_tool("odoo_search", {"model": "res.partner", "limit": 20})
        self.assertLessEqual(len(result["records"]), 20)
        for record in result["records"]:
            self.assertIn("display_name", record)
            self.assertLessEqual(len(record), 9, f"default fields must be a small set, got {sorted(record)}")
            self.assertNotIn("image_1920", record)
        self.assertLess(len(json.dumps(result)), 10_000)

    def test_value_formats(self):
        result = self.run_tool("odoo_search", {
            "model": "res.partner", "domain": [["id", "=", self.bolt.id]],
            "fields": ["parent_id", "user_id", "image_128", "category_id", "is_company", "website"],
        })
        record = result["records"][0]
        self.assertEqual(record["parent_id"], {"id": self.acme.id, "name": "Acme LLM Test"})
        self.assertIsNone(record["user_id"])
        self.assertIsNone(record["website"])
        self.assertIs(record["is_company"], False)
        acme = self.run_tool("odoo_read", {"model": "res.partner", "ids": [self.acme.id],
                                           "fields": ["image_128", "category_id"]})["records"][0]
        self.assertEqual(acme["image_128"]["binary"], True)
        self.assertIsInstance(acme["image_128"]["size"], str, "binaries are a size marker, not base64")
        self.assertEqual(acme["category_id"], self.tag.ids)

    def test_paging_limit_and_order(self):
        domain = [["name", "like", "LLM Test"]]
        first = self.run_tool("odoo_search", {"model": "res.partner", "domain": domain, "limit": 2, "order": "name"})
        self.assertEqual(self.names(first), ["Acme LLM Test", "Acme LLM Test, Bolt LLM Test"])
        self.assertEqual((first["total"], first["has_more"]), (3, True))
        rest = self.run_tool("odoo_search",
                             {"model": "res.partner", "domain": domain, "limit": 2, "offset": 2, "order": "name"})
        self.assertEqual((self.names(rest), rest["has_more"]), (["Crane LLM Test"], False))

    def test_limit_has_a_hard_cap_and_a_default(self):
        with self.assertRaises(ToolInputError) as caught:
            self.run_tool("odoo_search", {"model": "res.partner", "limit": 201})
        self.assertIn("'limit'", str(caught.exception))
        schema = self.env["llm.tool"]._tool_catalog()["odoo_search"].input_schema
        self.assertEqual(schema["properties"]["limit"]["default"], 20)

    def test_bad_input_gets_clear_errors(self):
        self.assertToolError("odoo_search", {"model": "no.such.model"}, "Unknown model 'no.such.model'")
        self.assertToolError("odoo_search", {"model": "res.partner", "domain": ["+"]}, "domain[0]")
        self.assertToolError("odoo_search", {"model": "res.partner", "fields": ["nope"]}, "nope")
        with self.assertRaises(ToolInputError) as caught:
            self.run_tool("odoo_search", {"model": "res.partner", "filter": []})
        self.assertIn("Unknown argument 'filter'", str(caught.exception))

    def test_read_count_and_missing_records(self):
        result = self.run_tool("odoo_read", {"model": "res.partner", "ids": [self.acme.id], "fields": ["email"]})
        self.assertEqual(result["records"], [{"id": self.acme.id, "email": "info@acme-llm.test"}])
        self.assertToolError("odoo_read", {"model": "res.partner", "ids": [self.acme.id, 999999999]}, "999999999")
        count = self.run_tool("odoo_count", {"model": "res.partner", "domain": [["name", "like", "LLM Test"]]})
        self.assertEqual(count, {"count": 3})

    def test_aggregate_with_date_granularity(self):
        result = self.run_tool("odoo_aggregate", {
            "model": "res.partner", "groupby": ["country_id", "create_date:month"],
            "aggregates": ["__count", "id:count"], "domain": [["name", "like", "LLM Test"]],
        })
        by_country = {group["country_id"]["name"] if group["country_id"] else None: group for group in result["groups"]}
        self.assertEqual(by_country["Belgium"]["__count"], 2)  # Bolt takes its address from Acme
        self.assertEqual(by_country["France"]["id:count"], 1)
        month = by_country["France"]["create_date:month"]
        self.assertRegex(month, r"^\d{4}-\d{2}-01$")
        self.assertToolError("odoo_aggregate", {"model": "res.partner", "groupby": [], "aggregates": ["id:explode"]},
                             "Invalid aggregate")

    def test_aggregate_sales_by_month(self):
        if "sale.order" not in self.env:
            self.skipTest("sale is not installed")
        admin = self.env.ref("base.user_admin")
        result = self.run_tool("odoo_aggregate", {
            "model": "sale.order", "groupby": ["date_order:month"], "aggregates": ["amount_total:sum", "__count"],
        }, user=admin)
        self.assertTrue(result["groups"])
        total = sum(group["__count"] for group in result["groups"])
        self.assertEqual(total, self.env["sale.order"].with_user(admin).search_count([]))


@tagged("post_install", "-at_install")
class TestModelTools(ToolCase):
    def test_list_models_shows_only_readable_models(self):
        models = {m["model"]: m["name"] for m in self.run_tool("odoo_list_models", {})["models"]}
        self.assertEqual(models["res.partner"], "Contact")
        self.assertNotIn("ir.cron", models, "a model the user cannot read is not listed")
        admin_listed = self.run_tool("odoo_list_models", {}, user=self.env.ref("base.user_admin"))["models"]
        admin_models = {m["model"] for m in admin_listed}
        self.assertIn("ir.cron", admin_models)
        self.assertNotIn("ir.config_parameter", admin_models, "a hidden model is listed to nobody")
        filtered = self.run_tool("odoo_list_models", {"query": "partner"})["models"]
        self.assertTrue(filtered and all("partner" in (m["model"] + m["name"]).lower() for m in filtered))

    def test_describe_model(self):
        result = self.run_tool("odoo_describe_model", {"model": "res.partner", "query": "type"})
        fields = result["fields"]
        self.assertEqual(fields["type"]["type"], "selection")
        self.assertIn(["invoice", "Invoice Address"], fields["type"]["selection"])
        self.assertTrue(all("type" in name or "type" in info["string"].lower() for name, info in fields.items()))
        parent = self.run_tool("odoo_describe_model",
                               {"model": "res.partner", "fields": ["parent_id", "name"]})["fields"]
        self.assertEqual(parent["parent_id"]["relation"], "res.partner")
        self.assertEqual(set(parent), {"parent_id", "name"})
        self.assertIn("required", parent["name"])


@tagged("post_install", "-at_install")
class TestWriteTools(ToolCase):
    def test_create_one_and_many(self):
        one = self.run_tool("odoo_create", {"model": "res.partner", "values": {"name": "Delta LLM Test"}})
        self.assertEqual(self.env["res.partner"].browse(one["ids"]).name, "Delta LLM Test")
        many = self.run_tool("odoo_create", {"model": "res.partner", "values": [{"name": "E LLM"}, {"name": "F LLM"}]})
        self.assertEqual(len(many["ids"]), 2)
        self.assertEqual(many["records"][1]["display_name"], "F LLM")

    @mute_logger("odoo.sql_db")
    def test_failing_create_leaves_nothing_behind(self):
        before = self.env["res.partner"].search_count([])
        self.assertToolError("odoo_create", {"model": "res.partner", "values": [{"name": "Good LLM"}, {"name": False}]},
                             "name")
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Good LLM")]))

    def test_update_is_all_or_nothing(self):
        self.run_tool("odoo_update", {"model": "res.partner", "ids": [self.crane.id], "values": {"phone": "+32 1"}})
        self.assertEqual(self.crane.phone, "+32 1")
        self.assertToolError("odoo_update", {"model": "res.partner", "ids": [self.crane.id, 999999999],
                                             "values": {"phone": "+32 2"}}, "999999999")
        self.crane.invalidate_recordset()
        self.assertEqual(self.crane.phone, "+32 1")
        # the second record makes the whole write fail (a partner cannot be its own parent): nothing stays
        self.assertToolError("odoo_update", {"model": "res.partner", "ids": [self.crane.id, self.acme.id],
                                             "values": {"parent_id": self.acme.id}}, "recursive")
        self.crane.invalidate_recordset()
        self.assertFalse(self.crane.parent_id)

    @mute_logger("odoo.sql_db")
    def test_delete_is_all_or_nothing(self):
        self.assertToolError("odoo_delete", {"model": "res.partner", "ids": [self.crane.id, 999999999]}, "999999999")
        self.assertTrue(self.crane.exists())
        # the admin's partner cannot go (its user needs it): crane, deleted in the same call, stays too
        admin_partner = self.env.ref("base.partner_admin")
        self.assertToolError("odoo_delete", {"model": "res.partner", "ids": [self.crane.id, admin_partner.id]})
        self.env.invalidate_all()
        self.assertTrue(self.crane.exists())
        self.assertEqual(self.run_tool("odoo_delete", {"model": "res.partner", "ids": [self.crane.id]})["deleted"], 1)
        self.assertFalse(self.crane.exists())

    def test_call_method_public_only(self):
        self.run_tool("odoo_call_method", {"model": "res.partner", "method": "action_archive", "ids": [self.crane.id]})
        self.assertFalse(self.crane.active)
        created = self.run_tool("odoo_call_method",
                                {"model": "res.partner", "method": "name_create", "args": ["Gamma LLM"]})
        self.assertEqual(created["result"][1], "Gamma LLM")
        self.assertToolError("odoo_call_method", {"model": "res.partner", "method": "_compute_display_name",
                                                  "ids": [self.crane.id]}, "Private methods")
        self.assertToolError("odoo_call_method", {"model": "res.partner", "method": "no_such_method"}, "no_such_method")
        self.assertToolError("odoo_call_method", {"model": "res.users.apikeys", "method": "remove", "ids": [1]},
                             "not available to MCP tools")
        self.assertToolError("odoo_call_method", {"model": "llm.tool", "method": "execute", "ids": [1]},
                             "not available to MCP tools")


@tagged("post_install", "-at_install")
class TestAccessRules(ToolCase):
    def test_access_error_is_a_clear_tool_error(self):
        message = self.assertToolError("odoo_search", {"model": "ir.cron"}, "ir.cron")
        self.assertIn("not allowed", message)
        self.assertNotIn("Traceback", message)

    def test_sales_orders_need_sales_rights(self):
        if "sale.order" not in self.env:
            self.skipTest("sale is not installed")
        self.assertToolError("odoo_search", {"model": "sale.order"}, "not allowed", "sale.order")
        admin_result = self.run_tool("odoo_search", {"model": "sale.order", "limit": 1},
                                     user=self.env.ref("base.user_admin"))
        self.assertGreater(admin_result["total"], 0)

    def test_record_rules_and_companies_apply(self):
        other = self.env["res.company"].create({"name": "LLM Other Company"})
        hidden = self.env["res.partner"].create({"name": "Hidden LLM Partner", "company_id": other.id})
        domain = [["id", "=", hidden.id]]
        self.assertEqual(self.run_tool("odoo_count", {"model": "res.partner", "domain": domain}), {"count": 0})
        self.assertToolError("odoo_read", {"model": "res.partner", "ids": [hidden.id], "fields": ["name"]})
        self.assertToolError("odoo_update", {"model": "res.partner", "ids": [hidden.id], "values": {"name": "x"}})
        self.user.write({"company_ids": [Command.link(other.id)]})
        self.assertEqual(self.run_tool("odoo_count", {"model": "res.partner", "domain": domain}), {"count": 1})
