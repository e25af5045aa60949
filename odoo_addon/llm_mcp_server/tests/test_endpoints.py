import hashlib
import json
import secrets
import time
from datetime import timedelta
from unittest.mock import MagicMock, patch

from odoo import Command, fields, tools
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.llm_mcp_server.models import res_users_apikeys
from odoo.addons.llm_tool.schema import check_value

from .common import CALL, HEALTH, IDENTITY, TOOLS, WRITE_TOOLS, McpHttpCase


@tagged("post_install", "-at_install")
class TestAuthentication(McpHttpCase):
    def test_health_needs_no_key(self):
        response = self.opener.get(self.base_url() + HEALTH, timeout=20)
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual((body["contract"], body["status"], body["odoo_version"]), (1, "ok", "18.0"))
        self.assertEqual(body["database"], self.env.cr.dbname)
        self.assertTrue(body["addon_version"].startswith("18.0."))
        self.assertNotIn("Set-Cookie", response.headers)

    def test_no_authorization_header_is_refused_on_every_route(self):
        for path in (IDENTITY, TOOLS, CALL):
            response = self.post(path, {"name": "odoo_search", "arguments": {"model": "res.partner"}})
            self.assertContractError(response, 401, "unauthorized")
            self.assertEqual(response.headers["WWW-Authenticate"], 'Bearer realm="odoo-mcp"')
            self.assertNotIn("Set-Cookie", response.headers, "these routes never set a session cookie")

    def test_bad_keys_are_refused(self):
        for key in (secrets.token_hex(20), self.user_key[:8] + "0" * 32, "not a key"):
            self.assertContractError(self.post(IDENTITY, key=key), 401, "unauthorized")
        response = self.opener.post(self.base_url() + IDENTITY, data="{}",
                                    headers={"Authorization": f"Basic {self.user_key}"}, timeout=20)
        self.assertContractError(response, 401, "unauthorized")

    def test_expired_key_is_refused(self):
        key = self.make_key(self.user, "soon expired")
        self.assertEqual(self.post(IDENTITY, key=key).status_code, 200)
        self.env.cr.execute(
            "UPDATE res_users_apikeys SET expiration_date = now() at time zone 'utc' - interval '1 minute' "
            "WHERE id = (SELECT apikey_id FROM llm_mcp_key WHERE name = 'soon expired')"
        )
        self.assertContractError(self.post(IDENTITY, key=key), 401, "unauthorized")

    def test_revoked_key_is_refused(self):
        key = self.make_key(self.user, "to revoke")
        self.assertEqual(self.post(IDENTITY, key=key).status_code, 200)
        row = self.env["llm.mcp.key"].search([("name", "=", "to revoke")])
        apikey = row.apikey_id
        row.with_user(self.user).action_revoke()
        self.assertFalse(apikey.exists())
        self.assertFalse(row.exists())
        self.assertContractError(
            self.post(CALL, {"name": "odoo_count", "arguments": {"model": "res.partner"}}, key=key),
            401, "unauthorized")

    def test_keys_of_another_scope_and_inactive_users_are_refused(self):
        rpc_key = self.make_raw_key(self.user, "rpc")
        self.assertContractError(self.post(IDENTITY, key=rpc_key), 401, "unauthorized")
        leaver = new_test_user(self.env, login="mcp_leaver", groups="base.group_user")
        leaver_key = self.make_key(leaver)
        self.assertEqual(self.post(IDENTITY, key=leaver_key).status_code, 200)
        leaver.active = False
        self.assertContractError(self.post(IDENTITY, key=leaver_key), 401, "unauthorized")

    def test_global_key_is_accepted_without_restrictions(self):
        global_key = self.make_raw_key(self.user, None, "global key")
        response = self.post(IDENTITY, key=global_key)
        self.assertEqual(response.status_code, 200, response.text)
        key = response.json()["key"]
        self.assertEqual((key["name"], key["scope"], key["read_only"], key["allowed_tools"]),
                         ("global key", None, False, None))
        self.assertLessEqual(WRITE_TOOLS, set(self.tool_names(global_key)))

    def jsonrpc_count(self, key, uid):
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": [self.env.cr.dbname, uid, key, "res.partner", "search_count", [[]]]}}
        return self.opener.post(self.base_url() + "/jsonrpc", data=json.dumps(payload),
                                headers={"Content-Type": "application/json"}, timeout=30).json()

    @mute_logger("odoo.http")
    def test_mcp_key_is_refused_by_jsonrpc(self):
        refused = self.jsonrpc_count(self.user_key, self.user.id)
        self.assertIn("error", refused, "an MCP-scoped key must not work on /jsonrpc")
        self.assertNotIn("result", refused)
        global_key = self.make_raw_key(self.user, None, "global for rpc")
        self.assertIsInstance(self.jsonrpc_count(global_key, self.user.id).get("result"), int)

    @mute_logger("odoo.http")
    def test_mcp_key_is_refused_by_odoo_bearer_routes(self):
        def json_route(key):
            return self.opener.get(self.base_url() + "/json/1/action-base.action_partner_form",
                                   headers={"Authorization": f"Bearer {key}"}, timeout=30, allow_redirects=False)
        self.assertEqual(json_route(self.user_key).status_code, 401, "auth='bearer' asks for scope rpc")
        global_key = self.make_raw_key(self.user, None, "global for bearer")
        self.assertNotEqual(json_route(global_key).status_code, 401)

    def test_wrong_method_and_bad_bodies(self):
        response = self.opener.get(self.base_url() + TOOLS, headers={"Authorization": f"Bearer {self.user_key}"},
                                   timeout=20)
        self.assertContractError(response, 405, "method_not_allowed")
        self.assertEqual(response.headers["Allow"], "POST")
        before = len(self.audit_rows())
        self.assertContractError(self.post(CALL, key=self.user_key, raw="not json"), 400, "bad_request")
        self.assertContractError(self.post(CALL, key=self.user_key, raw="[1, 2]"), 400, "bad_request")
        self.assertContractError(self.post(CALL, {"arguments": {}}, key=self.user_key), 400, "bad_request")
        self.assertContractError(self.post(CALL, {"name": "odoo_count", "arguments": [1]}, key=self.user_key),
                                 400, "bad_request")
        rows = self.audit_rows()
        self.assertEqual(len(rows) - before, 4, "every authenticated call leaves one audit row")
        self.assertEqual(set(rows[before:].mapped("outcome")), {"invalid"})

    def test_identity(self):
        response = self.post(IDENTITY, key=self.user_key)
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertEqual(body["contract"], 1)
        self.assertEqual((body["user"]["id"], body["user"]["login"], body["user"]["name"]),
                         (self.user.id, "mcp_http_user", "MCP User"))
        self.assertEqual(body["user"]["company"], {"id": self.user.company_id.id, "name": self.user.company_id.name})
        self.assertEqual([c["id"] for c in body["user"]["companies"]], self.user.company_ids.ids)
        self.assertEqual((body["database"], body["odoo_version"]), (self.env.cr.dbname, "18.0"))
        row = self.env["llm.mcp.key"].search([("name", "=", "user key")])
        self.assertEqual(body["key"], {"id": row.apikey_id.id, "name": "user key", "scope": "mcp",
                                       "read_only": False, "allowed_tools": None})
        self.assertEqual(body["server"]["name"], "Odoo MCP")
        self.assertRegex(body["tools_fingerprint"], r"^[0-9a-f]{64}$")
        # the cap in force, so the sidecar queues a user's calls beyond it: threaded (the tests' Odoo), the setting
        setting = self.env["llm.mcp.config"]._mcp_settings()["running_calls_per_user"]
        self.assertEqual((setting, body["running_calls_per_user"]), (2, 2))
        self.assertRegex(body["token"], r"^\d+\.\d+\.\d+\.[0-9a-f]{64}$")
        self.assertRegex(body["token_expires_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_identity_names_the_cap_in_force_with_prefork_workers(self):
        # 2 prefork workers: the setting's 2 calls at once would hold them both, so the cap in force is 1
        with patch.dict(tools.config.options, {"workers": 2}):
            body = self.post(IDENTITY, key=self.user_key).json()
        self.assertEqual(body["running_calls_per_user"], 1)

    def test_last_used_is_recorded_at_most_once_a_minute(self):
        row = self.env["llm.mcp.key"].search([("name", "=", "user key")])
        self.assertFalse(row.last_used)
        self.post(IDENTITY, key=self.user_key)
        self.env.invalidate_all()
        first = row.last_used
        self.assertTrue(first)
        self.post(TOOLS, key=self.user_key)
        self.env.invalidate_all()
        self.assertEqual(row.last_used, first)


@tagged("post_install", "-at_install")
class TestFastPathToken(McpHttpCase):
    def token_for(self, key):
        return self.post(IDENTITY, key=key).json()["token"]

    def test_valid_token_skips_the_key_hash(self):
        token = self.token_for(self.user_key)
        crypt = MagicMock()
        crypt.verify.side_effect = res_users_apikeys.KEY_CRYPT_CONTEXT.verify
        with patch.object(res_users_apikeys, "KEY_CRYPT_CONTEXT", crypt):
            response = self.post(TOOLS, key=self.user_key, token=token)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(crypt.verify.call_count, 0, "a valid token must spare the pbkdf2 check")
            self.assertEqual(self.post(TOOLS, key=self.user_key).status_code, 200)
            self.assertGreaterEqual(crypt.verify.call_count, 1)

    def test_token_alone_or_with_another_key_authenticates_nothing(self):
        token = self.token_for(self.user_key)
        self.assertContractError(self.post(TOOLS, key=secrets.token_hex(20), token=token), 401, "unauthorized")
        self.assertContractError(self.post(TOOLS, token=token), 401, "unauthorized")
        # another real key with this token: the token is ignored and the other key's own identity applies
        response = self.post(IDENTITY, key=self.admin_key, token=token)
        self.assertEqual(response.json()["user"]["id"], self.admin.id)

    def test_tampered_or_expired_token_falls_back_to_the_full_check(self):
        token = self.token_for(self.user_key)
        tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
        self.assertEqual(self.post(TOOLS, key=self.user_key, token=tampered).status_code, 200)
        self.assertEqual(self.post(TOOLS, key=self.user_key, token="garbage").status_code, 200)
        key_id, user_id = token.split(".")[:2]
        self.env.cr.execute("SELECT key FROM res_users_apikeys WHERE id = %s", [int(key_id)])
        key_hash = self.env.cr.fetchone()[0]
        claims = f"{key_id}.{user_id}.{int(time.time()) - 5}"
        sha = hashlib.sha256(self.user_key.encode()).hexdigest()
        expired = f"{claims}.{res_users_apikeys._token_signature(claims, key_hash, sha)}"
        self.assertIsNone(res_users_apikeys._token_claims(expired))
        self.assertEqual(self.post(TOOLS, key=self.user_key, token=expired).status_code, 200)

    def test_revocation_is_immediate_even_with_a_token(self):
        key = self.make_key(self.user, "revoked with token")
        token = self.token_for(key)
        self.env["llm.mcp.key"].search([("name", "=", "revoked with token")]).action_revoke()
        self.assertContractError(self.post(TOOLS, key=key, token=token), 401, "unauthorized")


@tagged("post_install", "-at_install")
class TestToolList(McpHttpCase):
    def test_tools_are_sorted_mcp_definitions_with_the_identity_fingerprint(self):
        body = self.post(TOOLS, key=self.user_key).json()
        names = [tool["name"] for tool in body["tools"]]
        self.assertEqual(names, sorted(names))
        self.assertIn("odoo_search", names)
        self.assertEqual(body["fingerprint"], self.post(IDENTITY, key=self.user_key).json()["tools_fingerprint"])
        for tool in body["tools"]:
            self.assertEqual(set(tool) - {"outputSchema"},
                             {"name", "title", "description", "inputSchema", "annotations"})
            self.assertEqual(tool["inputSchema"]["type"], "object")
            self.assertNotIn("anyOf", json.dumps(tool))
            self.assertNotIn("oneOf", json.dumps(tool))

    def test_read_only_key_neither_lists_nor_runs_write_tools(self):
        key = self.make_key(self.user, "read only", read_only=True)
        names = set(self.tool_names(key))
        self.assertIn("odoo_search", names)
        self.assertFalse(names & WRITE_TOOLS)
        self.assertEqual(self.post(IDENTITY, key=key).json()["key"]["read_only"], True)
        before = len(self.audit_rows())
        response = self.call(key, "odoo_create", {"model": "res.partner", "values": {"name": "Read-only LLM"}})
        self.assertContractError(response, 404, "unknown_tool")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Read-only LLM")]))
        rows = self.audit_rows()[before:]
        self.assertEqual((len(rows), rows.outcome, rows.tool_name), (1, "denied", "odoo_create"))

    def test_allowed_tools_restrict_the_key(self):
        allowed = self.env["llm.tool"].search([("name", "in", ["odoo_search", "odoo_count"])])
        key = self.make_key(self.user, "two tools", tool_ids=allowed.ids)
        self.assertEqual(self.tool_names(key), ["odoo_count", "odoo_search"])
        self.assertEqual(self.post(IDENTITY, key=key).json()["key"]["allowed_tools"], ["odoo_count", "odoo_search"])
        self.assertContractError(self.call(key, "odoo_read", {"model": "res.partner", "ids": [1]}), 404, "unknown_tool")
        self.assertEqual(self.call(key, "odoo_count", {"model": "res.partner"}).status_code, 200)

    def test_deactivating_a_tool_removes_it_and_changes_the_fingerprint(self):
        before = self.post(IDENTITY, key=self.user_key).json()["tools_fingerprint"]
        self.env["llm.tool"].search([("name", "=", "odoo_count")]).active = False
        body = self.post(TOOLS, key=self.user_key).json()
        self.assertNotIn("odoo_count", [tool["name"] for tool in body["tools"]])
        self.assertNotEqual(body["fingerprint"], before)
        self.assertEqual(self.post(IDENTITY, key=self.user_key).json()["tools_fingerprint"], body["fingerprint"])
        self.assertContractError(self.call(self.user_key, "odoo_count", {"model": "res.partner"}), 404, "unknown_tool")

    def test_editing_a_tool_changes_the_fingerprint(self):
        before = self.post(TOOLS, key=self.user_key).json()["fingerprint"]
        self.env["llm.tool"].search([("name", "=", "odoo_count")]).description = "Count records, faster."
        self.assertNotEqual(self.post(TOOLS, key=self.user_key).json()["fingerprint"], before)

    def test_settings_decide_what_is_offered(self):
        config = self.env["llm.mcp.config"].get_config()
        config.allow_write_tools = False
        self.assertFalse(set(self.tool_names(self.admin_key)) & WRITE_TOOLS)
        config.allow_write_tools = True
        config.write({"tool_exposure": "selected",
                      "tool_ids": [Command.set(self.env["llm.tool"].search([("name", "=", "odoo_read")]).ids)]})
        self.assertEqual(self.tool_names(self.admin_key), ["odoo_read"])

    def test_consent_flagged_tools_need_the_setting(self):
        self.env["llm.tool"].search([("name", "=", "odoo_delete")]).requires_user_consent = True
        self.assertNotIn("odoo_delete", self.tool_names(self.admin_key))
        self.assertContractError(self.call(self.admin_key, "odoo_delete", {"model": "res.partner", "ids": [1]}),
                                 404, "unknown_tool")
        self.env["llm.mcp.config"].get_config().allow_consent_tools = True
        self.assertIn("odoo_delete", self.tool_names(self.admin_key))

    def test_disabled_server_refuses_everything(self):
        self.env["llm.mcp.config"].get_config().enabled = False
        for path in (IDENTITY, TOOLS, CALL):
            self.assertContractError(self.post(path, {"name": "odoo_count", "arguments": {"model": "res.partner"}},
                                               key=self.user_key), 403, "mcp_disabled")
        self.assertEqual(self.audit_rows()[-1:].outcome, "denied")

    def test_tools_are_computed_for_the_user(self):
        self.env["llm.tool"].search([("name", "=", "odoo_count")]).group_ids = self.env.ref("base.group_system")
        self.assertNotIn("odoo_count", self.tool_names(self.user_key))
        self.assertIn("odoo_count", self.tool_names(self.admin_key))
        portal = new_test_user(self.env, login="mcp_portal", groups="base.group_portal")
        portal_key = self.make_raw_key(portal, None, "portal global",
                                       expiry=fields.Datetime.now() + timedelta(hours=12))
        self.assertEqual(self.tool_names(portal_key), [])
        self.assertContractError(self.call(portal_key, "odoo_search", {"model": "res.partner"}), 404, "unknown_tool")


@tagged("post_install", "-at_install")
class TestCall(McpHttpCase):
    def test_or_domain_search(self):
        self.env["res.partner"].create([{"name": "Alpha MCP Test"}, {"name": "Beta MCP Test"},
                                        {"name": "Gamma MCP Test"}])
        response = self.call(self.user_key, "odoo_search", {"model": "res.partner", "fields": ["name"], "domain": [
            "|", ["name", "=", "Alpha MCP Test"], ["name", "=", "Gamma MCP Test"]]})
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertIs(body["isError"], False)
        self.assertEqual(sorted(r["name"] for r in body["structuredContent"]["records"]),
                         ["Alpha MCP Test", "Gamma MCP Test"])
        self.assertEqual(json.loads(body["content"][0]["text"]), body["structuredContent"])
        self.assertEqual(body["content"][0]["type"], "text")

    def test_results_conform_to_the_output_schemas(self):
        definitions = {tool["name"]: tool for tool in self.post(TOOLS, key=self.user_key).json()["tools"]}
        calls = [
            ("odoo_search", {"model": "res.partner", "fields": ["name", "parent_id", "image_128", "write_date"]}),
            ("odoo_read", {"model": "res.partner", "ids": [self.user.partner_id.id]}),
            ("odoo_count", {"model": "res.partner"}),
            ("odoo_aggregate", {"model": "res.partner", "groupby": ["create_date:month", "company_id"]}),
            ("odoo_list_models", {"query": "res.p"}),
            ("odoo_describe_model", {"model": "res.partner", "query": "name"}),
            ("odoo_create", {"model": "res.partner", "values": [{"name": "Schema MCP 1"}, {"name": "Schema MCP 2"}]}),
        ]
        for name, arguments in calls:
            body = self.call(self.user_key, name, arguments).json()
            self.assertIs(body["isError"], False, (name, body))
            schema = definitions[name]["outputSchema"]
            check_value(schema, body["structuredContent"], name)  # raises if it does not conform
            for required in schema.get("required", []):
                self.assertIn(required, body["structuredContent"], name)
        ids = self.env["res.partner"].search([("name", "like", "Schema MCP")]).ids
        for name, arguments in [("odoo_update", {"model": "res.partner", "ids": ids, "values": {"phone": "1"}}),
                                ("odoo_delete", {"model": "res.partner", "ids": ids})]:
            body = self.call(self.user_key, name, arguments).json()
            check_value(definitions[name]["outputSchema"], body["structuredContent"], name)

    def test_search_without_fields_is_small(self):
        body = self.call(self.user_key, "odoo_search", {"model": "res.partner"}).json()
        records = body["structuredContent"]["records"]
        self.assertTrue(records)
        self.assertTrue(all(len(record) <= 9 for record in records))
        self.assertLess(len(json.dumps(body)), 20_000)

    def test_unknown_argument_is_rejected_by_name(self):
        before = len(self.audit_rows())
        body = self.call(self.user_key, "odoo_search", {"model": "res.partner", "bogus": 1}).json()
        self.assertIs(body["isError"], True)
        self.assertIn("'bogus'", body["content"][0]["text"])
        self.assertNotIn("structuredContent", body)
        rows = self.audit_rows()[before:]
        self.assertEqual((len(rows), rows.outcome), (1, "invalid"))

    def test_unknown_tool(self):
        self.assertContractError(self.call(self.user_key, "no_such_tool"), 404, "unknown_tool")
        self.assertEqual(self.audit_rows()[-1].outcome, "invalid")

    def test_access_error_is_a_tool_error_not_a_traceback(self):
        body = self.call(self.user_key, "odoo_search", {"model": "ir.cron"}).json()
        self.assertIs(body["isError"], True)
        self.assertIn("ir.cron", body["content"][0]["text"])
        self.assertNotIn("Traceback", body["content"][0]["text"])
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")
        admin = self.call(self.admin_key, "odoo_search", {"model": "ir.cron", "limit": 1}).json()
        self.assertIs(admin["isError"], False)

    def test_sales_orders_need_sales_rights(self):
        if "sale.order" not in self.env:
            self.skipTest("sale is not installed")
        body = self.call(self.user_key, "odoo_search", {"model": "sale.order"}).json()
        self.assertIs(body["isError"], True)
        self.assertIn("not allowed", body["content"][0]["text"])
        self.assertIn("sale.order", body["content"][0]["text"])
        admin = self.call(self.admin_key, "odoo_search", {"model": "sale.order", "limit": 3}).json()
        self.assertIs(admin["isError"], False)
        self.assertGreater(admin["structuredContent"]["total"], 0)
        listed = self.call(self.user_key, "odoo_list_models", {}).json()["structuredContent"]["models"]
        models = {m["model"] for m in listed}
        self.assertNotIn("sale.order", models)

    def test_companies_apply_over_http(self):
        other = self.env["res.company"].create({"name": "MCP Other Company"})
        hidden = self.env["res.partner"].create({"name": "MCP Hidden Partner", "company_id": other.id})
        body = self.call(self.user_key, "odoo_count",
                         {"model": "res.partner", "domain": [["id", "=", hidden.id]]}).json()
        self.assertEqual(body["structuredContent"], {"count": 0})

    @mute_logger("odoo.sql_db")
    def test_failing_create_leaves_nothing_behind(self):
        before = self.env["res.partner"].search_count([])
        body = self.call(self.user_key, "odoo_create", {"model": "res.partner", "values": [
            {"name": "Kept? MCP"}, {"name": False}]}).json()
        self.assertIs(body["isError"], True)
        self.assertEqual(self.env["res.partner"].search_count([]), before)
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")

    def test_every_call_leaves_one_audit_row_without_secrets(self):
        before = len(self.audit_rows())
        extra = {"client": {"name": "test-client", "version": "1.2.3"}, "request_id": "42",
                 "protocol_version": "2026-07-28"}
        ok = self.call(self.user_key, "odoo_count", {"model": "res.partner"}, **extra)
        invalid = self.call(self.user_key, "odoo_count", {"model": "res.partner", "password": "hunter2"})
        failed = self.call(self.user_key, "odoo_create", {"model": "res.partner", "values": {
            "name": "Secretive", "comment": "x", "api_key": "k-123456", "nested": {"token": "t-987654"}}})
        self.assertEqual([r.status_code for r in (ok, invalid, failed)], [200, 200, 200])
        rows = self.audit_rows()[before:]
        self.assertEqual(rows.mapped("outcome"), ["ok", "invalid", "tool_error"])
        first = rows[0]
        self.assertEqual((first.user_id, first.tool_name, first.key_name), (self.user, "odoo_count", "user key"))
        self.assertEqual(first.key_id, self.env["llm.mcp.key"].search([("name", "=", "user key")]))
        self.assertEqual((first.client_name, first.client_version, first.request_id, first.protocol_version),
                         ("test-client", "1.2.3", "42", "2026-07-28"))
        self.assertEqual(first.tool_id.name, "odoo_count")
        self.assertGreaterEqual(first.duration_ms, 0)
        self.assertEqual(json.loads(first.arguments), {"model": "res.partner"})
        for row in rows:
            for secret in ("hunter2", "k-123456", "t-987654"):
                self.assertNotIn(secret, row.arguments or "")
        self.assertIn("[redacted]", rows[1].arguments)

    def synchronous_commit(self):
        self.env.cr.execute("SHOW synchronous_commit")  # HttpCase: the requests share this transaction
        return self.env.cr.fetchone()[0]

    def test_write_calls_commit_durably(self):
        self.call(self.user_key, "odoo_create", {"model": "res.partner", "values": {"name": "Durable MCP"}})
        self.assertEqual(self.synchronous_commit(), "on")

    def test_read_calls_do_not_wait_for_the_disk(self):
        self.call(self.user_key, "odoo_count", {"model": "res.partner"})
        self.assertEqual(self.synchronous_commit(), "off")

    def test_read_calls_commit_durably_when_asked(self):
        self.env["ir.config_parameter"].set_param("llm_mcp_server.durable_read_audit", "True")
        self.call(self.user_key, "odoo_count", {"model": "res.partner"})
        self.assertEqual(self.synchronous_commit(), "on")

    def test_stored_arguments_are_capped(self):
        self.call(self.user_key, "odoo_search", {"model": "res.partner", "domain": [["name", "=", "x" * 20000]]})
        self.assertLessEqual(len(self.audit_rows()[-1].arguments), 4000)

    @mute_logger("odoo.addons.llm_mcp_server.contract", "odoo.addons.llm_mcp_server.models.llm_mcp_call")
    def test_unexpected_failures_are_a_json_500_without_traceback(self):
        config_class = type(self.env["llm.mcp.config"])
        with patch.object(config_class, "_mcp_visible_tool", side_effect=RuntimeError("boom")), \
                patch.object(config_class, "_mcp_visible_tools", side_effect=RuntimeError("boom")):
            for response in (self.call(self.user_key, "odoo_count", {"model": "res.partner"}),
                             self.post(TOOLS, key=self.user_key), self.post(IDENTITY, key=self.user_key)):
                body = self.assertContractError(response, 500, "internal_error")
                self.assertNotIn("boom", json.dumps(body))
        row = self.audit_rows()[-1]
        self.assertEqual((row.tool_name, row.outcome), ("odoo_count", "tool_error"))

    def test_a_write_conflict_is_replayed_and_only_the_try_that_ran_is_answered_and_audited(self):
        # a serialization failure makes Odoo replay the whole request; the failed try neither answers nor audits
        Tool = type(self.env["llm.tool"])
        original = Tool._run_tool_entry
        tries = []

        def conflicting_once(tool, entry, arguments, savepoint=True):
            tries.append(entry.name)
            if len(tries) == 1:
                tool.env.cr.execute("DO $$ BEGIN RAISE EXCEPTION 'concurrent update' "
                                    "USING ERRCODE = 'serialization_failure'; END $$")
            return original(tool, entry, arguments, savepoint=savepoint)

        before = len(self.audit_rows())
        with patch.object(Tool, "_run_tool_entry", conflicting_once), mute_logger("odoo.sql_db"):
            response = self.call(self.user_key, "odoo_count", {"model": "res.partner"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIs(response.json()["isError"], False, response.text)
        self.assertEqual(tries, ["odoo_count", "odoo_count"])
        rows = self.audit_rows()[before:]
        self.assertEqual([(row.tool_name, row.outcome) for row in rows], [("odoo_count", "ok")])

    def test_write_and_method_tools(self):
        created = self.call(self.user_key, "odoo_create",
                            {"model": "res.partner", "values": {"name": "Made by MCP"}}).json()
        self.assertIs(created["isError"], False, created)
        partner_id = created["structuredContent"]["ids"][0]
        self.call(self.user_key, "odoo_update",
                  {"model": "res.partner", "ids": [partner_id], "values": {"phone": "123"}})
        self.call(self.user_key, "odoo_call_method",
                  {"model": "res.partner", "method": "action_archive", "ids": [partner_id]})
        self.env.invalidate_all()
        partner = self.env["res.partner"].browse(partner_id)
        self.assertEqual((partner.phone, partner.active), ("123", False))
        private = self.call(self.user_key, "odoo_call_method",
                            {"model": "res.partner", "method": "_compute_display_name",
                             "ids": [partner_id]}).json()
        self.assertIs(private["isError"], True)
