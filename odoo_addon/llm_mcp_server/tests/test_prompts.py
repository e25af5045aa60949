"""Prompts, completions and the chatter tools through the real endpoints, with real keys and users.

The built-in prompts' apps (sale, stock, crm) are installed by scripts/test-odoo.sh; a prompt whose app is
missing is not listed, and the tests expect exactly the prompts whose models are installed.
"""

import json

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import McpHttpCase

PROMPTS, PROMPT, COMPLETE = "/llm_mcp/v1/prompts", "/llm_mcp/v1/prompt", "/llm_mcp/v1/complete"
BUILT_IN = {
    "sales_quotations_to_confirm": {"sale.order", "res.partner"},
    "sales_customer_situation": {"sale.order", "res.partner", "account.move"},
    "accounting_overdue_invoices": {"account.move", "res.partner"},
    "inventory_below_reorder_point": {"stock.warehouse.orderpoint", "stock.warehouse"},
    "accounting_vendor_bills_to_validate": {"account.move", "res.partner"},
    "crm_pipeline_review": {"crm.lead", "res.users"},
    "explain_record": set(),
}


@tagged("post_install", "-at_install")
class TestPrompts(McpHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "sale.order" not in cls.env.registry:
            cls.skipTest(cls, "the prompt tests need the sale app")
        groups = ["base.group_user", "sales_team.group_sale_salesman_all_leads"]
        if "stock.warehouse.orderpoint" in cls.env.registry:
            groups.append("stock.group_stock_user")
        cls.seller = new_test_user(cls.env, login="mcp_seller", name="Sam Seller", groups=",".join(groups))
        cls.own_seller = new_test_user(cls.env, login="mcp_own_seller", name="Olga Own",
                                       groups="base.group_user,sales_team.group_sale_salesman")
        cls.plain = new_test_user(cls.env, login="mcp_plain", name="Paul Plain", groups="base.group_user")
        cls.seller_key = cls.make_key(cls.seller, "seller key")
        cls.own_key = cls.make_key(cls.own_seller, "own key")
        cls.plain_key = cls.make_key(cls.plain, "plain key")
        Partner = cls.env["res.partner"]
        cls.customer = Partner.create({"name": "Quokka Quarries", "email": "q@example.com"})
        cls.other_customer = Partner.create({"name": "Wombat Works"})
        product = cls.env["product.product"].create({"name": "Prompt widget", "list_price": 10})
        Order = cls.env["sale.order"]
        cls.own_order = Order.create({"partner_id": cls.customer.id, "user_id": cls.own_seller.id,
                                      "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]})
        cls.foreign_order = Order.create({"partner_id": cls.customer.id, "user_id": cls.seller.id,
                                          "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 2})]})

    def prompt_names(self, key):
        response = self.post(PROMPTS, {}, key=key)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["contract"], 1)
        self.assertNotIn("nextCursor", body)
        return {prompt["name"]: prompt for prompt in body["prompts"]}

    def get(self, key, name, arguments=None):
        return self.post(PROMPT, {"name": name, "arguments": arguments or {}, "request_id": "7"}, key=key)

    def complete(self, key, ref, name, value, context=None):
        body = {"ref": ref, "argument": {"name": name, "value": value}}
        if context:
            body["context"] = {"arguments": context}
        response = self.post(COMPLETE, body, key=key)
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()["completion"]

    # -- listing ------------------------------------------------------------------------------------------

    def test_every_built_in_prompt_is_listed_for_a_sales_user(self):
        installed = {name for name, models in BUILT_IN.items() if all(m in self.env.registry for m in models)}
        listed = self.prompt_names(self.seller_key)
        self.assertEqual(set(listed) & set(BUILT_IN), installed)
        self.assertGreaterEqual(len(installed), 5)
        situation = listed["sales_customer_situation"]
        self.assertEqual(situation["title"], "A customer's situation")
        self.assertTrue(situation["description"])
        self.assertEqual(situation["arguments"], [
            {"name": "customer", "required": True, "description": "The customer (a contact's name)."}])

    def test_prompts_are_hidden_from_a_user_without_the_rights_they_need(self):
        listed = self.prompt_names(self.plain_key)
        # base.group_user reads contacts but no sales, invoices, stock or leads
        self.assertEqual(set(listed) & set(BUILT_IN), {"explain_record"})
        response = self.get(self.plain_key, "sales_customer_situation", {"customer": "Quokka Quarries"})
        self.assertContractError(response, 404, "unknown_prompt")
        self.assertNotIn("Quokka", response.text)
        row = self.audit_rows()[-1]
        self.assertEqual((row.kind, row.tool_name, row.outcome, row.user_id),
                         ("prompt", "sales_customer_situation", "denied", self.plain))

    def test_a_prompt_on_a_hidden_model_or_a_missing_app_is_listed_to_nobody(self):
        Prompt = self.env["llm.mcp.prompt"]
        for name, model in (("keys_prompt", "res.users.apikeys"), ("absent_app", "no.such.model")):
            Prompt.create({"name": name, "message_ids": [(0, 0, {"kind": "records", "model": model, "text": "x"})]})
        admin_key = self.make_key(self.admin, "admin prompts")
        self.assertFalse({"keys_prompt", "absent_app"} & set(self.prompt_names(admin_key)))
        self.assertContractError(self.get(admin_key, "keys_prompt"), 404, "unknown_prompt")

    # -- filling ------------------------------------------------------------------------------------------

    def test_get_fills_the_arguments_and_embeds_the_customer_as_a_resource(self):
        response = self.get(self.seller_key, "sales_customer_situation", {"customer": "Quokka Quarries"})
        self.assertEqual(response.status_code, 200, response.text)
        messages = response.json()["messages"]
        embedded = messages[0]["content"]
        self.assertEqual(embedded["type"], "resource")
        self.assertEqual(embedded["resource"]["uri"], f"odoo://res.partner/{self.customer.id}")
        self.assertEqual(json.loads(embedded["resource"]["text"])["name"], "Quokka Quarries")
        orders = messages[1]["content"]["text"]
        self.assertIn(self.own_order.name, orders)
        self.assertIn(self.foreign_order.name, orders)
        link = messages[2]["content"]
        self.assertEqual(link["type"], "resource_link")
        self.assertTrue(link["uri"].startswith("odoo://export/sale.order.csv?domain="))
        self.assertIn("Sum up Quokka Quarries's situation", messages[-1]["content"]["text"])
        row = self.audit_rows()[-1]
        self.assertEqual((row.kind, row.outcome, row.request_id), ("prompt", "ok", "7"))
        self.assertEqual(row.prompt_id, self.env.ref("llm_mcp_server.prompt_sales_customer_situation"))
        self.assertIn("Quokka Quarries", row.arguments)

    def test_an_argument_value_is_inserted_as_text_never_evaluated(self):
        self.env["llm.mcp.prompt"].create({
            "name": "echo", "argument_ids": [(0, 0, {"name": "topic", "required": True})],
            "message_ids": [(0, 0, {"text": "About: $topic (${topic}) costs $$5"})],
        })
        value = "${user} $today {0.__class__} <b>x</b>"
        response = self.get(self.seller_key, "echo", {"topic": value})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["messages"][0]["content"]["text"], f"About: {value} ({value}) costs $5")

    def test_missing_unknown_and_unfound_arguments_are_refused_with_their_name(self):
        cases = [
            ({}, "Missing required argument 'customer'"),
            ({"customer": "Quokka Quarries", "extra": "1"}, "Unknown argument(s) 'extra'"),
            ({"customer": "Nobody Such"}, "no Contact 'Nobody Such' that you can see"),
            ({"customer": ["not", "text"]}, "must be a string"),
            ({"customer": "9" * 30}, "no Contact"),  # not an id PostgreSQL could hold: a name, not found
        ]
        for arguments, message in cases:
            with self.subTest(arguments=arguments):
                body = self.assertContractError(self.get(self.seller_key, "sales_customer_situation", arguments),
                                                400, "invalid_arguments")
                self.assertIn(message, body["error"]["message"])
                self.assertEqual(self.audit_rows()[-1].outcome, "invalid")

    def test_a_prompt_never_embeds_what_the_user_may_not_read(self):
        # Olga sees her own orders only (record rule of "own documents")
        response = self.get(self.own_key, "sales_quotations_to_confirm", {"customer": "Quokka Quarries"})
        self.assertEqual(response.status_code, 200, response.text)
        text = response.json()["messages"][0]["content"]["text"]
        self.assertIn(self.own_order.name, text)
        self.assertNotIn(self.foreign_order.name, text)
        # a record argument she may not read is "not found", not embedded
        if "explain_record" in self.prompt_names(self.own_key):
            body = self.assertContractError(
                self.get(self.own_key, "explain_record", {"model": "sale.order", "record": str(self.foreign_order.id)}),
                400, "invalid_arguments")
            self.assertNotIn(self.foreign_order.name, body["error"]["message"])
            self.assertContractError(
                self.get(self.own_key, "explain_record", {"model": "res.users.apikeys", "record": "1"}),
                400, "invalid_arguments")

    def test_a_key_limited_to_some_tools_gets_only_the_prompts_those_tools_read_with(self):
        # red team 2026-12-02: a key allowed odoo_search alone read a whole record through explain_record
        search = self.env["llm.tool"].search([("name", "=", "odoo_search")])
        search_only = self.make_key(self.seller, "search only", tool_ids=search.ids)
        listed = self.prompt_names(search_only)
        self.assertNotIn("explain_record", listed, "it embeds a record: odoo_read's")
        self.assertIn("explain_record", self.prompt_names(self.seller_key))
        refused = self.get(search_only, "explain_record", {"model": "res.partner", "record": str(self.customer.id)})
        self.assertContractError(refused, 404, "unknown_prompt")
        self.assertNotIn("Quokka", refused.text)
        body = {"ref": {"type": "ref/prompt", "name": "explain_record"},
                "argument": {"name": "record", "value": "Quok"}, "context": {"arguments": {"model": "res.partner"}}}
        self.assertContractError(self.post(COMPLETE, body, key=search_only), 404, "unknown_reference")
        body = {"ref": {"type": "ref/resource", "uri": "odoo://{model}/{id}"}, "argument": {"name": "id", "value": ""},
                "context": {"arguments": {"model": "res.partner"}}}
        self.assertContractError(self.post(COMPLETE, body, key=search_only), 404, "unknown_reference")
        self.assertEqual(self.post(COMPLETE, body, key=self.seller_key).status_code, 200)

    def test_text_odoo_cannot_store_is_refused_in_arguments_and_matches_nothing_in_completions(self):
        # red team 2026-12-02: a NUL or a lone surrogate was Odoo's 500 ("could not fill the prompt")
        for bad in ("a\x00", "\ud800"):
            refused = self.get(self.seller_key, "sales_customer_situation", {"customer": bad})
            self.assertContractError(refused, 400, "invalid_arguments")
            ref = {"type": "ref/prompt", "name": "sales_customer_situation"}
            self.assertEqual(self.complete(self.seller_key, ref, "customer", "Quok" + bad)["values"], [])
        ref = {"type": "ref/resource", "uri": "odoo://{model}/{id}"}
        self.assertEqual(self.complete(self.seller_key, ref, "id", "\x00\ud800", {"model": "sale.order"})["values"], [])

    def test_a_template_naming_no_argument_is_refused_when_saved(self):
        Prompt = self.env["llm.mcp.prompt"]
        with self.assertRaisesRegex(ValidationError, r"\$nobody"):
            Prompt.create({"name": "typo", "message_ids": [(0, 0, {"text": "Hello $nobody"})]})
        prompt = Prompt.create({"name": "renamed", "argument_ids": [(0, 0, {"name": "who"})],
                                "message_ids": [(0, 0, {"text": "Hello $who"})]})
        with self.assertRaisesRegex(ValidationError, r"\$who"):
            prompt.argument_ids.name = "whom"
        with self.assertRaisesRegex(ValidationError, "starts no placeholder"):
            prompt.message_ids.text = "Costs $5"

    def test_a_prompt_asking_for_a_secret_field_is_refused(self):
        self.env["llm.mcp.prompt"].create({
            "name": "users_secrets", "message_ids": [(0, 0, {"kind": "records", "model": "res.users",
                                                             "field_names": "login,password", "text": "Users:"})],
        })
        body = self.assertContractError(self.get(self.seller_key, "users_secrets"), 400, "invalid_arguments")
        self.assertIn("holds a secret", body["error"]["message"])

    # -- completion ---------------------------------------------------------------------------------------

    def test_completion_of_record_names_respects_record_rules(self):
        ref = {"type": "ref/prompt", "name": "explain_record"}
        seen = self.complete(self.seller_key, ref, "record", self.foreign_order.name, {"model": "sale.order"})
        self.assertEqual(seen["values"], [self.foreign_order.name])
        hidden = self.complete(self.own_key, ref, "record", self.foreign_order.name, {"model": "sale.order"})
        self.assertEqual(hidden["values"], [])
        customers = self.complete(self.seller_key, {"type": "ref/prompt", "name": "sales_customer_situation"},
                                  "customer", "Quokka")
        self.assertEqual(customers, {"values": ["Quokka Quarries"], "total": 1, "hasMore": False})

    def test_completion_of_models_skips_hidden_and_unreadable_models(self):
        ref = {"type": "ref/resource", "uri": "odoo://{model}/{id}"}
        seller = self.complete(self.seller_key, ref, "model", "sale.ord")["values"]
        self.assertEqual(seller[0], "sale.order")
        self.assertEqual(self.complete(self.plain_key, ref, "model", "sale.ord")["values"], [])
        admin_key = self.make_key(self.admin, "admin completion")
        for hidden in ("res.users.apikeys", "ir.config_parameter", "llm.mcp.key", "llm.mcp.prompt"):
            self.assertNotIn(hidden, self.complete(admin_key, ref, "model", hidden)["values"])
        every = self.complete(admin_key, ref, "model", "")
        self.assertEqual(len(every["values"]), 100)
        self.assertTrue(every["hasMore"])
        self.assertGreater(every["total"], 100)

    def test_completion_of_fields_skips_secret_fields(self):
        ref = {"type": "ref/resource", "uri": "odoo://export/{model}.{format}{?domain,fields}"}
        admin_key = self.make_key(self.admin, "admin fields")
        fields = self.complete(admin_key, ref, "fields", "pass", {"model": "res.users"})["values"]
        self.assertEqual(fields, [])
        fields = self.complete(admin_key, ref, "fields", "name,log", {"model": "res.users"})["values"]
        self.assertIn("name,login", fields)
        self.assertEqual(self.complete(admin_key, ref, "format", "x")["values"], ["xlsx"])

    def test_completion_of_reports_and_report_ids(self):
        ref = {"type": "ref/resource", "uri": "odoo://report/{report}/{ids}"}
        self.assertIn("sale.report_saleorder",
                      self.complete(self.seller_key, ref, "report", "sale.report_sale")["values"])
        self.assertNotIn("sale.report_saleorder", self.complete(self.plain_key, ref, "report", "sale")["values"])
        ids = self.complete(self.own_key, ref, "ids", "", {"report": "sale.report_saleorder"})["values"]
        self.assertIn(str(self.own_order.id), ids)
        self.assertNotIn(str(self.foreign_order.id), ids)

    def test_completion_of_an_unknown_or_hidden_reference_is_refused(self):
        body = {"ref": {"type": "ref/prompt", "name": "sales_customer_situation"},
                "argument": {"name": "customer", "value": ""}}
        self.assertContractError(self.post(COMPLETE, body, key=self.plain_key), 404, "unknown_reference")
        body["ref"] = {"type": "ref/resource", "uri": "file:///{path}"}
        self.assertContractError(self.post(COMPLETE, body, key=self.seller_key), 404, "unknown_reference")
        self.assertContractError(self.post(COMPLETE, {"ref": "x"}, key=self.seller_key), 400, "bad_request")
        huge = self.complete(self.seller_key, {"type": "ref/resource", "uri": "odoo://{model}/{id}"}, "id", "9" * 30,
                             {"model": "sale.order"})
        self.assertEqual(huge["values"], [])
        self.assertContractError(self.post(PROMPTS, {"cursor": "²"}, key=self.seller_key), 400, "bad_request")


@tagged("post_install", "-at_install")
class TestChatterTools(McpHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "Chatty Customer"})
        cls.reader = new_test_user(cls.env, login="mcp_reader", name="Rita Reader", groups="base.group_user")
        cls.reader_key = cls.make_key(cls.reader, "reader key")

    def test_post_a_note_as_the_user_with_the_text_escaped(self):
        response = self.call(self.user_key, "odoo_post_message", {
            "model": "res.partner", "res_id": self.partner.id, "body": "Called them.\n<script>alert(1)</script>"})
        result = response.json()
        self.assertFalse(result["isError"], result)
        message = self.env["mail.message"].browse(result["structuredContent"]["message_id"])
        self.assertEqual(message.author_id, self.user.partner_id)
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
        self.assertNotIn("<script>", str(message.body))
        self.assertIn("&lt;script&gt;", str(message.body))

    def test_schedule_an_activity_as_the_user(self):
        response = self.call(self.user_key, "odoo_schedule_activity", {
            "model": "res.partner", "res_id": self.partner.id, "summary": "Send the offer",
            "date_deadline": "2030-01-15", "activity_type": "To-Do", "note": "<b>bold</b>"})
        result = response.json()
        self.assertFalse(result["isError"], result)
        activity = self.env["mail.activity"].browse(result["structuredContent"]["activity_id"])
        self.assertEqual((activity.create_uid, activity.user_id), (self.user, self.user))
        self.assertEqual(str(activity.date_deadline), "2030-01-15")
        self.assertIn("&lt;b&gt;", str(activity.note))
        bad = self.call(self.user_key, "odoo_schedule_activity", {
            "model": "res.partner", "res_id": self.partner.id, "summary": "x", "date_deadline": "2030-01-15",
            "activity_type": "Teleport"}).json()
        self.assertTrue(bad["isError"])
        self.assertIn("No activity type 'Teleport'", bad["content"][0]["text"])

    def test_a_model_without_chatter_or_activities_is_refused_in_plain_words(self):
        tag = self.env["res.partner.category"].create({"name": "No chatter here"})
        for name, extra, expected in (
            ("odoo_post_message", {"body": "hi"}, "res.partner.category records have no chatter."),
            ("odoo_schedule_activity", {"summary": "x", "date_deadline": "2030-01-01"},
             "res.partner.category records have no activities."),
        ):
            with self.subTest(tool=name):
                result = self.call(self.admin_key, name,
                                   {"model": "res.partner.category", "res_id": tag.id, **extra}).json()
                self.assertTrue(result["isError"], result)
                self.assertEqual(result["content"][0]["text"], expected)

    def test_refused_on_a_record_the_user_can_read_but_not_write(self):
        before = self.env["mail.message"].search_count([("model", "=", "res.partner"),
                                                        ("res_id", "=", self.partner.id)])
        for name, extra in (("odoo_post_message", {"body": "hi"}),
                            ("odoo_schedule_activity", {"summary": "x", "date_deadline": "2030-01-01"})):
            with self.subTest(tool=name):
                result = self.call(self.reader_key, name,
                                   {"model": "res.partner", "res_id": self.partner.id, **extra}).json()
                self.assertTrue(result["isError"], result)
                self.assertIn("not allowed", result["content"][0]["text"])
        self.env.invalidate_all()
        after = self.env["mail.message"].search_count([("model", "=", "res.partner"), ("res_id", "=", self.partner.id)])
        self.assertEqual(before, after)
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")

    def test_refused_where_a_record_rule_forbids_changing_the_record(self):
        # the user may change contacts (their access rights), except this one (a record rule on writing only)
        self.env["ir.rule"].create({
            "name": "no writing on the chatty customer", "model_id": self.env.ref("base.model_res_partner").id,
            "domain_force": f"[('id', '!=', {self.partner.id})]", "groups": [(4, self.env.ref("base.group_user").id)],
            "perm_read": False, "perm_write": True, "perm_create": False, "perm_unlink": False,
        })
        for name, extra in (("odoo_post_message", {"body": "hi"}),
                            ("odoo_schedule_activity", {"summary": "x", "date_deadline": "2030-01-01"})):
            with self.subTest(tool=name):
                result = self.call(self.user_key, name,
                                   {"model": "res.partner", "res_id": self.partner.id, **extra}).json()
                self.assertTrue(result["isError"], result)
        other = self.env["res.partner"].create({"name": "Quiet Customer"})
        ok = self.call(self.user_key, "odoo_post_message",
                       {"model": "res.partner", "res_id": other.id, "body": "hi"}).json()
        self.assertFalse(ok["isError"], ok)

    def test_refused_on_hidden_and_read_only_models(self):
        for model in ("res.users.apikeys", "res.users", "ir.cron"):
            with self.subTest(model=model):
                result = self.call(self.admin_key, "odoo_post_message",
                                   {"model": model, "res_id": 1, "body": "x"}).json()
                self.assertTrue(result["isError"])

    def test_the_chatter_tools_are_write_tools_hidden_from_read_only_keys(self):
        read_only = self.make_key(self.user, "ro", read_only=True)
        names = self.tool_names(read_only)
        self.assertNotIn("odoo_post_message", names)
        self.assertNotIn("odoo_schedule_activity", names)
        self.assertIn("odoo_post_message", self.tool_names(self.user_key))
        refused = self.call(read_only, "odoo_post_message",
                            {"model": "res.partner", "res_id": self.partner.id, "body": "x"})
        self.assertContractError(refused, 404, "unknown_tool")
