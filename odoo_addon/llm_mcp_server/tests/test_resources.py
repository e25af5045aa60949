"""MCP resources over the contract routes: records, attachments, PDF reports and exports, for the user and key."""

import base64
import csv
import io
import json
import unittest

from odoo import sql_db
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..models.llm_mcp_resource import REPORT_LOCK_NAMESPACE
from .common import CALL, McpHttpCase

RESOURCES, TEMPLATES, RESOURCE = "/llm_mcp/v1/resources", "/llm_mcp/v1/resource_templates", "/llm_mcp/v1/resource"
# the smallest PNG: what a contact's image is, as a file
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@tagged("post_install", "-at_install", "llm_security")
class TestResources(McpHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.has_sale = "sale.order" in cls.env
        cls.user.groups_id += cls.env.ref("base.group_allow_export")
        cls.partner = cls.env["res.partner"].create({"name": "Resource Customer", "image_1920": base64.b64encode(PNG)})
        if cls.has_sale:
            cls.seller = new_test_user(cls.env, login="mcp_res_seller", name="MCP Seller",
                                       groups="base.group_user,sales_team.group_sale_salesman_all_leads")
            cls.seller_key = cls.make_key(cls.seller, "seller key")
            product = cls.env["product.product"].create({"name": "Resource Desk", "list_price": 100.0})
            cls.order = cls.env["sale.order"].create({
                "partner_id": cls.partner.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 2})],
            })
            cls.order_file = cls.env["ir.attachment"].create({
                "name": "terms.txt", "raw": b"Quotation terms", "mimetype": "text/plain",
                "res_model": "sale.order", "res_id": cls.order.id,
            })

    def read(self, key, uri):
        return self.post(RESOURCE, {"uri": uri}, key=key)

    def content(self, key, uri):
        response = self.read(key, uri)
        self.assertEqual(response.status_code, 200, response.text)
        contents = response.json()["contents"]
        self.assertEqual(len(contents), 1)
        self.assertEqual(contents[0]["uri"], uri)
        return contents[0]

    def require_sale(self):
        if not self.has_sale:
            raise unittest.SkipTest("needs the sale module")

    # -- records ----------------------------------------------------------------------------------------

    def test_a_record_reads_as_json_like_odoo_read_and_is_audited(self):
        uri = f"odoo://res.partner/{self.partner.id}"
        content = self.content(self.user_key, uri)
        self.assertEqual(content["mimeType"], "application/json")
        record = json.loads(content["text"])
        expected = self.call(self.user_key, "odoo_read", {"model": "res.partner", "ids": [self.partner.id]}).json()
        self.assertEqual(record, expected["structuredContent"]["records"][0])
        self.assertEqual(record["display_name"], "Resource Customer")
        row = self.audit_rows()[-2]  # the read, then the odoo_read call
        self.assertEqual((row.tool_name, row.outcome, json.loads(row.arguments)),
                         ("resources/read", "ok", {"uri": uri}))

    def test_hidden_models_and_wizards_are_refused_even_to_admin(self):
        param = self.env["ir.config_parameter"].sudo().search([("key", "=", "database.secret")])
        mcp_key = self.env["llm.mcp.key"].sudo().search([], limit=1)
        for uri in (f"odoo://ir.config_parameter/{param.id}", f"odoo://llm.mcp.key/{mcp_key.id}",
                    "odoo://res.users.apikeys/1", "odoo://base.language.install/1"):
            body = self.assertContractError(self.read(self.admin_key, uri), 403, "resource_refused")
            self.assertNotIn(param.value, json.dumps(body))
        self.assertEqual(self.audit_rows()[-1].outcome, "denied")

    def test_unknown_and_missing_resources_get_the_same_not_found(self):
        for uri in ("foo://bar", "odoo://res.partner/0", "odoo://res.partner/abc", "odoo://no.such.model/1",
                    "odoo://res.partner/999999999", "odoo://report/x", "odoo://export/res.partner.pdf"):
            response = self.read(self.admin_key, uri)
            self.assertIn(response.status_code, (403, 404), uri)
            if response.status_code == 404:
                self.assertContractError(response, 404, "unknown_resource")
        self.assertContractError(self.post(RESOURCE, {}, key=self.admin_key), 400, "bad_request")

    def test_a_uri_with_a_nul_or_a_lone_surrogate_is_a_clear_bad_request(self):
        # red team 2026-12-02: Odoo's 500 (PostgreSQL refuses such text), relayed as "Odoo answered with an error"
        for uri in ("odoo://res.part\ud800ner/42", "odoo://res.partner/1\x00"):
            body = self.assertContractError(self.read(self.admin_key, uri), 400, "bad_request")
            self.assertIn("NUL character or an unpaired UTF-16 surrogate", body["error"]["message"])
            self.assertEqual(self.audit_rows()[-1].outcome, "invalid")

    def test_a_record_over_the_result_budget_is_refused_naming_it(self):
        self.env["llm.mcp.config"].get_config().result_max_bytes = 1024
        self.partner.name = "x" * 2000
        body = self.assertContractError(self.read(self.user_key, f"odoo://res.partner/{self.partner.id}"), 413,
                                        "resource_too_large")
        self.assertIn("1024", body["error"]["message"])

    # -- sales: rights on the record, its PDF and its attachments ------------------------------------------

    def test_without_sales_rights_neither_the_quotation_nor_its_pdf(self):
        self.require_sale()
        for uri in (f"odoo://sale.order/{self.order.id}", f"odoo://report/sale.report_saleorder/{self.order.id}"):
            body = self.assertContractError(self.read(self.user_key, uri), 403, "resource_refused")
            self.assertIn("sale.order", body["error"]["message"])
        result = self.call(self.user_key, "odoo_report",
                           {"report": "sale.report_saleorder", "ids": [self.order.id]}).json()
        self.assertTrue(result["isError"])
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")

    def test_a_seller_reads_the_quotation_and_its_pdf(self):
        self.require_sale()
        record = json.loads(self.content(self.seller_key, f"odoo://sale.order/{self.order.id}")["text"])
        self.assertEqual(record["name"], self.order.name)
        result = self.call(self.seller_key, "odoo_report", {"report": "sale.report_saleorder", "ids": [self.order.id]})
        self.assertEqual(result.status_code, 200, result.text)
        result = result.json()
        self.assertFalse(result["isError"], result)
        link = result["content"][1]
        self.assertEqual(link["type"], "resource_link")
        self.assertEqual(link["uri"], f"odoo://report/sale.report_saleorder/{self.order.id}")
        self.assertEqual(link["mimeType"], "application/pdf")
        self.assertTrue(link["name"].endswith(".pdf"))
        attachments_before = self.env["ir.attachment"].search_count([])
        # Rendered in the test's thread, not through the test server: wkhtmltopdf fetches the report's styles
        # from Odoo, which a test server busy with the request that waits for it cannot answer (a real
        # server can: the e2e suite reads the PDF through /mcp)
        seller_key = self.env["res.users.apikeys"].sudo()._llm_mcp_authenticate(self.seller_key, None)
        settings = self.env["llm.mcp.config"]._mcp_settings()
        content = self.env["llm.mcp.resource"].with_user(self.seller)._mcp_read(seller_key, link["uri"], settings)[0]
        self.assertEqual(content["mimeType"], "application/pdf")
        pdf = base64.b64decode(content["blob"])
        self.assertTrue(pdf.startswith(b"%PDF-"), pdf[:20])
        self.assertEqual(self.env["ir.attachment"].search_count([]), attachments_before, "a read saves nothing")

    def test_attachments_follow_the_document_they_belong_to(self):
        self.require_sale()
        uri = f"odoo://ir.attachment/{self.order_file.id}"
        content = self.content(self.seller_key, uri)
        self.assertEqual((content["mimeType"], base64.b64decode(content["blob"])), ("text/plain", b"Quotation terms"))
        # Odoo's ir.attachment check: the user cannot read the order, so not its file; said as for a missing one
        denied = self.assertContractError(self.read(self.user_key, uri), 404, "unknown_resource")
        missing = self.assertContractError(self.read(self.user_key, "odoo://ir.attachment/999999999"), 404,
                                           "unknown_resource")
        self.assertEqual(denied["error"]["message"].replace(str(self.order_file.id), "N"),
                         missing["error"]["message"].replace("999999999", "N"))

    def test_a_file_over_the_cap_is_refused_naming_the_cap(self):
        self.env["llm.mcp.config"].get_config().resource_max_bytes = 2048
        big = self.env["ir.attachment"].create({
            "name": "big.bin", "raw": b"\0" * 5000, "res_model": "res.partner", "res_id": self.partner.id,
        })
        body = self.assertContractError(self.read(self.user_key, f"odoo://ir.attachment/{big.id}"), 413,
                                        "resource_too_large")
        self.assertIn("2048", body["error"]["message"])
        self.assertIn("5000", body["error"]["message"])
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")

    # -- binary fields are references, never base64 ----------------------------------------------------------

    def test_binary_fields_come_back_as_attachment_uris(self):
        result = self.call(self.user_key, "odoo_read", {"model": "res.partner", "ids": [self.partner.id],
                                                        "fields": ["image_128"]}).json()
        value = result["structuredContent"]["records"][0]["image_128"]
        self.assertTrue(value["binary"])
        self.assertTrue(value["uri"].startswith("odoo://ir.attachment/"), value)
        self.assertNotIn(base64.b64encode(PNG).decode()[:20], json.dumps(result))
        search = self.call(self.user_key, "odoo_search", {"model": "res.partner", "fields": ["image_128"],
                                                          "domain": [["id", "=", self.partner.id]]}).json()
        self.assertEqual(search["structuredContent"]["records"][0]["image_128"]["uri"], value["uri"])
        content = self.content(self.user_key, value["uri"])
        self.assertEqual(content["mimeType"], "image/png")
        # an attachment's own content fields are size markers too
        attachment_id = int(value["uri"].rsplit("/", 1)[1])
        raw = self.call(self.admin_key, "odoo_read", {"model": "ir.attachment", "ids": [attachment_id],
                                                      "fields": ["datas", "raw"]}).json()
        self.assertFalse(raw["isError"], raw)
        self.assertNotIn(base64.b64encode(PNG).decode()[:20], json.dumps(raw))
        self.assertEqual(raw["structuredContent"]["records"][0]["datas"]["uri"], value["uri"])

    # -- exports -----------------------------------------------------------------------------------------

    def test_an_export_is_a_csv_or_xlsx_file_of_the_search(self):
        result = self.call(self.user_key, "odoo_export", {"model": "res.partner", "fields": ["name", "country_id.code"],
                                                          "domain": [["id", "=", self.partner.id]]}).json()
        self.assertFalse(result["isError"], result)
        self.assertEqual(result["structuredContent"]["count"], 1)
        link = result["content"][1]
        self.assertEqual((link["type"], link["mimeType"]), ("resource_link", "text/csv"))
        content = self.content(self.user_key, link["uri"])
        rows = list(csv.reader(io.StringIO(content["text"])))
        self.assertEqual(rows[1][0], "Resource Customer")
        xlsx_uri = link["uri"].replace("res.partner.csv", "res.partner.xlsx")
        self.assertTrue(base64.b64decode(self.content(self.user_key, xlsx_uri)["blob"]).startswith(b"PK"))
        # files stay out of exports too: no base64 column
        images = "odoo://export/res.partner.csv?fields=" + json.dumps(["name", "image_128"])
        body = self.assertContractError(self.read(self.user_key, images), 422, "resource_error")
        self.assertIn("odoo://ir.attachment", body["error"]["message"])

    def test_an_export_cannot_reach_secrets_or_hidden_models(self):
        for fields in (["user_ids.password"], ["user_ids.api_key_ids.name"], ["name", "user_ids.totp_secret"]):
            uri = "odoo://export/res.partner.csv?fields=" + json.dumps(fields)
            self.assertContractError(self.read(self.admin_key, uri), 403, "resource_refused")
        domain = json.dumps([["user_ids.password", "!=", False]])
        self.assertContractError(self.read(self.admin_key, f"odoo://export/res.partner.csv?domain={domain}"), 403,
                                 "resource_refused")
        self.assertContractError(self.read(self.admin_key, "odoo://export/ir.config_parameter.csv"), 403,
                                 "resource_refused")

    def test_exports_need_odoos_export_right(self):
        clerk = new_test_user(self.env, login="mcp_res_clerk", name="MCP Clerk", groups="base.group_user")
        clerk_key = self.make_key(clerk, "clerk key")
        self.assertNotIn("export", [t["name"] for t in self.post(TEMPLATES, key=clerk_key).json()["resourceTemplates"]])
        self.assertContractError(self.read(clerk_key, "odoo://export/res.partner.csv"), 403, "resource_refused")
        result = self.call(clerk_key, "odoo_export", {"model": "res.partner", "fields": ["name"]}).json()
        self.assertTrue(result["isError"])
        self.assertIn("export", result["content"][0]["text"])

    # -- the key decides too ------------------------------------------------------------------------------

    def test_read_only_keys_read_and_tool_limited_keys_only_what_their_tools_give(self):
        uri = f"odoo://res.partner/{self.partner.id}"
        read_only = self.make_key(self.user, "read-only", read_only=True)
        self.content(read_only, uri)
        search_only = self.make_key(self.user, "search only",
                                    tool_ids=self.env["llm.tool"].search([("name", "=", "odoo_search")]).ids)
        self.assertContractError(self.read(search_only, uri), 403, "resource_refused")
        self.assertEqual(self.audit_rows()[-1].outcome, "denied")
        self.assertEqual(self.post(TEMPLATES, key=search_only).json()["resourceTemplates"], [])
        self.assertEqual(self.post(RESOURCES, key=search_only).json()["resources"], [])

    # -- lists -------------------------------------------------------------------------------------------

    def test_the_lists_offer_the_templates_and_the_users_entry_points(self):
        templates = self.post(TEMPLATES, key=self.user_key).json()["resourceTemplates"]
        self.assertEqual([t["uriTemplate"] for t in templates], [
            "odoo://{model}/{id}", "odoo://ir.attachment/{id}", "odoo://report/{report}/{ids}",
            "odoo://export/{model}.{format}{?domain,fields}",
        ])
        answer = self.post(RESOURCES, key=self.user_key).json()
        self.assertEqual(answer["contract"], 1)
        self.assertNotIn("nextCursor", answer)
        uris = [r["uri"] for r in answer["resources"]]
        self.assertIn(f"odoo://res.company/{self.user.company_id.id}", uris)
        self.assertIn(f"odoo://res.users/{self.user.id}", uris)
        for resource in answer["resources"]:
            self.assertEqual(self.read(self.user_key, resource["uri"]).status_code, 200, resource)
        if self.has_sale:
            self.assertFalse(any("sale.order" in u for u in uris), "no sales entry point without sales rights")
        self.assertContractError(self.post(RESOURCES, {"cursor": "garbage"}, key=self.user_key), 400, "bad_request")

    def test_the_call_answer_carries_resource_links_and_nothing_else_unasked(self):
        result = self.post(CALL, {"name": "odoo_search", "arguments": {"model": "res.partner", "limit": 1}},
                           key=self.user_key).json()
        self.assertEqual([c["type"] for c in result["content"]], ["text"])


@tagged("post_install", "-at_install")
class TestReportsThatFailToRender(McpHttpCase):
    """A report whose template fails on the records (red team: base.report_irmodulereference, a 500) is a clear
    resource refusal or error naming the cause, never an internal error nor the template's code."""

    def read(self, key, uri):
        return self.post(RESOURCE, {"uri": uri}, key=key)

    def test_a_template_reading_what_the_user_may_not_is_refused_with_the_access_error(self):
        base_module = self.env["ir.module.module"].search([("name", "=", "base")])
        response = self.read(self.user_key, f"odoo://report/base.report_irmodulereference/{base_module.id}")
        body = self.assertContractError(response, 403, "resource_refused")
        self.assertIn("Module dependency", body["error"]["message"])
        self.assertNotIn("Template", body["error"]["message"])
        self.assertEqual(self.audit_rows()[-1].outcome, "denied")

    @mute_logger("odoo.addons.llm_mcp_server.models.llm_mcp_resource")
    def test_a_user_has_one_report_rendered_at_a_time(self):
        # red team 2026-12-02: four renders of one user held every worker for minutes; the Longest call cannot
        # stop wkhtmltopdf. Another worker rendering admin's report is a real connection holding admin's turn.
        uri = self.broken_report_uri()
        busy = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            busy.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REPORT_LOCK_NAMESPACE, self.admin.id])
            body = self.assertContractError(self.read(self.admin_key, uri), 429, "rate_limited")
            self.assertIn("Another report of yours is being made", body["error"]["message"])
            self.assertEqual(self.audit_rows()[-1].outcome, "too_many_running")
            # another user's report is not held behind it
            self.assertNotEqual(self.read(self.user_key, uri).status_code, 429)
        finally:
            busy.close()  # rolled back: the turn is free again
        self.assertContractError(self.read(self.admin_key, uri), 422, "resource_error")

    def broken_report_uri(self):
        view = self.env["ir.ui.view"].create({
            "name": "test_llm_broken_report", "type": "qweb", "key": "llm_mcp_server.test_llm_broken_report",
            "arch": '<t t-name="llm_mcp_server.test_llm_broken_report"><div t-esc="1 / 0"/></t>',
        })
        self.env["ir.actions.report"].create({
            "name": "Broken report", "model": "res.partner", "report_type": "qweb-pdf",
            "report_name": view.key,
        })
        partner = self.env["res.partner"].create({"name": "Broken Print"})
        return f"odoo://report/{view.key}/{partner.id}"

    @mute_logger("odoo.addons.llm_mcp_server.models.llm_mcp_resource")
    def test_a_template_that_breaks_is_a_resource_error_naming_the_cause(self):
        response = self.read(self.admin_key, self.broken_report_uri())
        body = self.assertContractError(response, 422, "resource_error")
        self.assertIn("ZeroDivisionError", body["error"]["message"])
        self.assertNotIn("1 / 0", body["error"]["message"])
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")
