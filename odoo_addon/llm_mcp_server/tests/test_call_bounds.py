"""Bounds on one request's database work (docs/security.md, Availability): the domain's size, the Longest call
(a statement timeout), what a failed statement tells the client, and how stopped statements are logged."""

import json
import logging
import time
from urllib.parse import quote

import psycopg2.errors

from odoo.addons.llm_tool.models.llm_tool_builtin import DOMAIN_MAX_CONDITIONS, DOMAIN_MAX_OPERATORS
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .. import call_bounds
from .common import McpHttpCase

RESOURCE = "/llm_mcp/v1/resource"


def conditions(count):
    return [["name", "not ilike", f"zz{i}"] for i in range(count)]


@tagged("post_install", "-at_install")
class TestDomainBounds(McpHttpCase):
    def search(self, domain, tool="odoo_search"):
        response = self.call(self.admin_key, tool, {"model": "res.partner", "domain": domain})
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def assertRefusedAsInvalid(self, answer):
        self.assertTrue(answer["isError"], answer)
        text = answer["content"][0]["text"]
        self.assertIn(f"at most {DOMAIN_MAX_CONDITIONS} conditions", text)
        self.assertEqual(self.audit_rows()[-1].outcome, "invalid")

    def test_a_domain_at_the_limit_runs(self):
        self.assertFalse(self.search(conditions(DOMAIN_MAX_CONDITIONS))["isError"])
        self.assertFalse(self.search(["!"] * DOMAIN_MAX_OPERATORS + [["id", "=", 1]])["isError"])

    def test_refuses_a_domain_over_the_limit_in_every_tool_that_takes_one(self):
        # the red team's 30,000 leaves (PostgreSQL: "memory exhausted"), refused before any SQL, quickly
        started = time.monotonic()
        self.assertRefusedAsInvalid(self.search(conditions(30000)))
        self.assertLess(time.monotonic() - started, 5)
        for tool in ("odoo_search", "odoo_count", "odoo_aggregate", "odoo_export"):
            with self.subTest(tool=tool):
                arguments = {"model": "res.partner", "domain": conditions(DOMAIN_MAX_CONDITIONS + 1)}
                if tool == "odoo_aggregate":
                    arguments["groupby"] = ["country_id"]
                if tool == "odoo_export":
                    arguments["fields"] = ["name"]
                response = self.call(self.admin_key, tool, arguments)
                self.assertRefusedAsInvalid(response.json())

    def test_counts_conditions_inside_sub_domains_and_operators(self):
        # spread over any / not any sub-domains, each well under the limit, and in prefix operators alone
        nested = [["child_ids", "any", conditions(40)], ["child_ids", "not any", conditions(40)],
                  ["parent_id", "any", [["child_ids", "any", conditions(40)]]]]
        self.assertRefusedAsInvalid(self.search(nested))
        self.assertRefusedAsInvalid(self.search(["!"] * (DOMAIN_MAX_OPERATORS + 1) + [["id", "=", 1]]))
        self.assertRefusedAsInvalid(self.search(["|"] * 5000 + conditions(1)))

    def test_odoo_call_method_bounds_the_domains_its_arguments_hold(self):
        # red team 2026-12-01: search_panel_select_multi_range(search_domain=<11,000 conditions>) held a worker
        partner = self.env["res.partner"].create({"name": "Bounded Call Ltd"})
        over = DOMAIN_MAX_CONDITIONS + 1
        for where in ({"kwargs": {"search_domain": ["|"] * DOMAIN_MAX_CONDITIONS + conditions(over)}},
                      {"args": [[["parent_id", "any", conditions(60)]], conditions(60)]},
                      {"kwargs": {"x": {"y": [1, "=", 1]}, "z": [[i, "=", i] for i in range(over)]}}):
            with self.subTest(where=list(where)):
                response = self.call(self.admin_key, "odoo_call_method", {
                    "model": "res.partner", "method": "action_archive", "ids": [partner.id], **where})
                answer = response.json()
                self.assertTrue(answer["isError"], answer)
                self.assertIn(f"at most {DOMAIN_MAX_CONDITIONS} domain conditions", answer["content"][0]["text"])
                self.assertEqual(self.audit_rows()[-1].outcome, "invalid")
        self.assertTrue(partner.active, "the method ran")
        # a few conditions in a method's arguments are not refused by the bound (the method decides on them)
        response = self.call(self.admin_key, "odoo_call_method", {
            "model": "res.partner", "method": "action_archive", "ids": [partner.id], "kwargs": {}})
        self.assertFalse(response.json()["isError"], response.text)

    def test_the_search_panel_is_not_a_business_method(self):
        for method in ("search_panel_select_multi_range", "search_panel_select_range"):
            with self.subTest(method=method):
                answer = self.call(self.admin_key, "odoo_call_method", {
                    "model": "res.partner", "method": method, "args": ["category_id"]}).json()
                self.assertTrue(answer["isError"], answer)
                self.assertIn("is not a business method", answer["content"][0]["text"])

    def test_an_export_resource_with_a_huge_domain_is_a_resource_error(self):
        domain = quote(json.dumps(conditions(DOMAIN_MAX_CONDITIONS + 1)))
        uri = f"odoo://export/res.partner.csv?domain={domain}&fields=%5B%22name%22%5D"
        response = self.post(RESOURCE, {"uri": uri}, key=self.admin_key)
        body = self.assertContractError(response, 422, "resource_error")
        self.assertIn(f"at most {DOMAIN_MAX_CONDITIONS} conditions", body["error"]["message"])


@tagged("post_install", "-at_install")
class TestDatabaseErrorsStayInside(McpHttpCase):
    @mute_logger("odoo.sql_db")
    def test_the_databases_own_text_never_reaches_the_client(self):
        # PostgreSQL refuses the value (SQLSTATE 22007) and its text quotes the SQL: "LINE 1: ...("create_date" =
        response = self.call(self.admin_key, "odoo_search",
                             {"model": "res.partner", "domain": [["create_date", "=", "garbage"]]})
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        self.assertTrue(answer["isError"])
        text = answer["content"][0]["text"]
        self.assertIn("SQLSTATE 22007", text)
        for leak in ("invalid input syntax", "timestamp", "LINE", "res_partner", "garbage", "SELECT"):
            self.assertNotIn(leak, text)
        row = self.audit_rows()[-1]
        self.assertEqual(row.outcome, "tool_error")
        self.assertIn("invalid input syntax", row.message)  # the detail is for the audit and the log

    @mute_logger("odoo.sql_db")
    def test_nor_through_an_export_resource(self):
        domain = quote(json.dumps([["create_date", "=", "garbage"]]))
        uri = f"odoo://export/res.partner.csv?domain={domain}&fields=%5B%22name%22%5D"
        response = self.post(RESOURCE, {"uri": uri}, key=self.admin_key)
        body = self.assertContractError(response, 422, "resource_error")
        self.assertIn("SQLSTATE 22007", body["error"]["message"])
        for leak in ("invalid input syntax", "timestamp", "LINE", "res_partner", "garbage"):
            self.assertNotIn(leak, response.text)
        self.assertIn("invalid input syntax", self.audit_rows()[-1].message)


@tagged("post_install", "-at_install")
class TestLongestCall(McpHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["llm.tool"].with_context(active_test=False).search(
            [("name", "=", "test_llm_partner_slow_tag")]).write({"active": True, "requires_confirmation": False})
        cls.env["llm.mcp.config"].get_config().write({"call_max_seconds": 1})
        cls.partner = cls.env["res.partner"].create({"name": "Slow Target", "ref": "before"})

    def test_a_statement_over_the_longest_call_is_stopped_rolled_back_and_audited(self):
        started = time.monotonic()
        with self.assertLogs("odoo.sql_db", logging.INFO) as logs:
            response = self.call(self.admin_key, "test_llm_partner_slow_tag",
                                 {"partner_id": self.partner.id, "ref": "written", "seconds": 20}, request_id="slow-1")
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        self.assertTrue(answer["isError"])
        self.assertIn("longer than 1 seconds", answer["content"][0]["text"])
        self.assertNotIn("canceling statement", answer["content"][0]["text"])
        row = self.audit_rows()[-1]
        self.assertEqual((row.outcome, row.request_id), ("timed_out", "slow-1"))
        self.partner.invalidate_recordset()
        self.assertEqual(self.partner.ref, "before", "the timed-out call's write was kept")
        # Odoo's "bad query" ERROR became a WARNING naming the call
        self.assertEqual([r.levelname for r in logs.records], ["WARNING"], logs.output)
        self.assertIn("call 'test_llm_partner_slow_tag' (request 'slow-1')", logs.output[0])

    def test_a_call_within_the_longest_call_is_unaffected(self):
        response = self.call(self.admin_key, "test_llm_partner_slow_tag",
                             {"partner_id": self.partner.id, "ref": "quick", "seconds": 0.2})
        self.assertFalse(response.json()["isError"], response.text)
        self.assertEqual(self.audit_rows()[-1].outcome, "ok")

    def test_the_setting_is_bounded(self):
        config = self.env["llm.mcp.config"].get_config()
        for bad in (0, -1, 3601):
            with self.subTest(bad=bad), self.assertRaises(psycopg2.errors.CheckViolation), \
                    self.env.cr.savepoint(), self.assertLogs("odoo.sql_db"):
                config.write({"call_max_seconds": bad})
                config.flush_recordset()


@tagged("post_install", "-at_install")
class TestStoppedStatementLog(TransactionCase):
    """The log filter on odoo.sql_db: a stopped statement of a bounded request is no ERROR; the rest still are."""

    def test_a_timeout_is_a_warning_and_a_cancellation_info_naming_the_request(self):
        with self.assertLogs("odoo.sql_db", logging.INFO) as logs:
            with self.env.cr.savepoint(flush=False), self.assertRaises(psycopg2.errors.QueryCanceled):
                with call_bounds.bounded(self.env.cr, 0.2, "call 'x' (request '1')"):
                    self.env.cr.execute("SELECT pg_sleep(5)")
            with self.env.cr.savepoint(flush=False), self.assertRaises(psycopg2.errors.QueryCanceled):
                # a cancellation: stopped long before the timeout (pg_cancel_backend on our own backend)
                with call_bounds.bounded(self.env.cr, 60, "call 'y'"):
                    self.env.cr.execute("SELECT pg_cancel_backend(pg_backend_pid()), pg_sleep(5)")
        self.assertEqual([r.levelname for r in logs.records], ["WARNING", "INFO"], logs.output)
        self.assertIn("call 'x' (request '1') stopped at the longest call", logs.output[0])
        self.assertIn("call 'y': statement stopped (cancelled by its caller)", logs.output[1])

    def test_real_bad_queries_and_stops_outside_our_requests_stay_errors(self):
        with self.assertLogs("odoo.sql_db", logging.INFO) as logs:
            with self.env.cr.savepoint(flush=False), self.assertRaises(psycopg2.errors.SyntaxError):
                with call_bounds.bounded(self.env.cr, 60, "call 'z'"):
                    self.env.cr.execute("SELEC 1")
            with self.env.cr.savepoint(flush=False), self.assertRaises(psycopg2.errors.QueryCanceled):
                self.env.cr.execute("SET LOCAL statement_timeout = 100; SELECT pg_sleep(5)")
        self.assertEqual([r.levelname for r in logs.records], ["ERROR", "ERROR"], logs.output)
