"""Attacks by someone who holds one key, through the endpoints and through Odoo's own RPC (docs/security.md).

Each test is named after the attack it tries; each failed before its defence existed.
"""

import hashlib
import json
import time
import xmlrpc.client
from unittest.mock import MagicMock, patch

from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.misc import hmac as odoo_hmac

from odoo.addons.llm_mcp_server.models import res_users_apikeys

from .common import CALL, IDENTITY, TOOLS, WRITE_TOOLS, McpHttpCase


class SecurityCase(McpHttpCase):
    def jsonrpc(self, key, uid, model, method, *args, **kwargs):
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "service": "object", "method": "execute_kw",
            "args": [self.env.cr.dbname, uid, key, model, method, list(args), kwargs]}}
        return self.opener.post(self.base_url() + "/jsonrpc", data=json.dumps(payload),
                                headers={"Content-Type": "application/json"}, timeout=30).json()

    def xmlrpc(self, key, uid, model, method, *args):
        """execute_kw over /xmlrpc/2/object: the Fault's text, or None if the call went through."""
        proxy = xmlrpc.client.ServerProxy(self.base_url() + "/xmlrpc/2/object", allow_none=True)
        try:
            proxy.execute_kw(self.env.cr.dbname, uid, key, model, method, list(args))
        except xmlrpc.client.Fault as fault:
            return fault.faultString
        return None

    def mcp_key_row(self, name):
        return self.env["llm.mcp.key"].search([("name", "=", name)])

    def tool_error(self, response):
        self.assertEqual(response.status_code, 200, response.text)
        body = response.json()
        self.assertIs(body["isError"], True, body)
        return body["content"][0]["text"]


@tagged("post_install", "-at_install", "llm_security")
class TestForgedToken(SecurityCase):
    def key_hash(self, apikey_id):
        self.env.cr.execute("SELECT key FROM res_users_apikeys WHERE id = %s", [apikey_id])
        return self.env.cr.fetchone()[0]

    def test_token_signed_with_the_database_secret_does_not_lift_a_read_only_key(self):
        """The first hole: database.secret signed a token for any key id, and the Bearer was never checked."""
        reader = self.make_key(self.admin, "attacker read-only", read_only=True)
        victim = self.post(IDENTITY, key=self.admin_key).json()["key"]
        claims = f"{victim['id']}.{self.admin.id}.{int(time.time()) + 10 * 365 * 86400}"
        for bearer in (reader, "0" * 40):
            digest = hashlib.sha256(bearer.encode()).hexdigest()
            forged = f"{claims}.{odoo_hmac(self.env(su=True), 'llm_mcp_token', f'{claims}.{digest}')}"
            response = self.post(IDENTITY, key=bearer, token=forged)
            if bearer == reader:
                key = response.json()["key"]
                self.assertEqual((key["name"], key["read_only"]), ("attacker read-only", True))
                self.assertFalse(WRITE_TOOLS & set(self.tool_names(reader)))
            else:
                self.assertContractError(response, 401, "unauthorized")

    def test_token_claiming_a_longer_life_than_odoo_issues_is_ignored(self):
        token = self.post(IDENTITY, key=self.user_key).json()["token"]
        key_id, user_id = (int(part) for part in token.split(".")[:2])
        claims = f"{key_id}.{user_id}.{int(time.time()) + 10 * 365 * 86400}"
        sha = hashlib.sha256(self.user_key.encode()).hexdigest()
        long_lived = f"{claims}.{res_users_apikeys._token_signature(claims, self.key_hash(key_id), sha)}"
        crypt = MagicMock()
        crypt.verify.side_effect = res_users_apikeys.KEY_CRYPT_CONTEXT.verify
        with patch.object(res_users_apikeys, "KEY_CRYPT_CONTEXT", crypt):
            self.assertEqual(self.post(TOOLS, key=self.user_key, token=long_lived).status_code, 200)
            self.assertGreaterEqual(crypt.verify.call_count, 1, "a token beyond the lifetime cap is no token")

    def test_token_for_another_key_of_the_same_user_is_ignored(self):
        other = self.make_key(self.user, "second key", read_only=True)
        token = self.post(IDENTITY, key=self.user_key).json()["token"]
        self.assertEqual(self.post(IDENTITY, key=other, token=token).json()["key"]["name"], "second key")


@tagged("post_install", "-at_install", "llm_security")
class TestRestrictionsCannotBeLifted(SecurityCase):
    def test_key_limited_to_two_tools_cannot_clear_its_own_limit(self):
        tools = self.env["llm.tool"].search([("name", "in", ("odoo_search", "odoo_update"))])
        key = self.make_key(self.admin, "two tools", tool_ids=tools.ids)
        row = self.mcp_key_row("two tools")
        for values in ({"tool_ids": [[5, 0, 0]]}, {"tool_ids": [[6, 0, []]]}, {"read_only": False}):
            self.tool_error(self.call(key, "odoo_update", {"model": "llm.mcp.key", "ids": row.ids, "values": values}))
        self.assertEqual(sorted(self.tool_names(key)), ["odoo_search", "odoo_update"])

    def test_tools_and_settings_cannot_be_rewritten_by_a_key(self):
        config = self.env["llm.mcp.config"].get_config()
        delete = self.env["llm.tool"].search([("name", "=", "odoo_delete")])
        for model, ids, values in [("llm.tool", delete.ids, {"read_only_hint": True}),
                                   ("llm.mcp.config", config.ids, {"allow_consent_tools": True})]:
            self.tool_error(self.call(self.admin_key, "odoo_update", {"model": model, "ids": ids, "values": values}))
        self.env.invalidate_all()
        self.assertFalse(delete.read_only_hint)
        self.assertFalse(config.allow_consent_tools)

    @mute_logger("odoo.http")
    def test_read_only_cannot_be_switched_off_over_jsonrpc(self):
        self.make_key(self.user, "rpc read-only", read_only=True)
        tools = self.env["llm.tool"].search([("name", "in", ("odoo_search", "odoo_count"))])
        self.make_key(self.user, "rpc two tools", tool_ids=tools.ids)
        global_key = self.make_raw_key(self.user, None, "global for rpc")
        read_only_row, limited_row = self.mcp_key_row("rpc read-only"), self.mcp_key_row("rpc two tools")
        search = tools.filtered(lambda t: t.name == "odoo_search")
        for row, values in [(read_only_row, {"read_only": False}), (limited_row, {"tool_ids": [[5, 0, 0]]}),
                            (limited_row,
                             {"tool_ids": [[4, self.env["llm.tool"].search([("name", "=", "odoo_delete")]).id]]})]:
            answer = self.jsonrpc(global_key, self.user.id, "llm.mcp.key", "write", row.ids, values)
            self.assertIn("error", answer, values)
            self.assertIn("only be tightened",
                          self.xmlrpc(global_key, self.user.id, "llm.mcp.key", "write", row.ids, values) or "")
        # tightening stays possible: fewer tools, read-only on
        self.assertIs(self.jsonrpc(global_key, self.user.id, "llm.mcp.key", "write", limited_row.ids,
                                   {"tool_ids": [[6, 0, search.ids]], "read_only": True}).get("result"), True)
        self.env.invalidate_all()
        self.assertTrue(read_only_row.read_only)
        self.assertEqual(limited_row.tool_ids, search)


@tagged("post_install", "-at_install", "llm_security")
class TestAuditIntegrity(SecurityCase):
    @mute_logger("odoo.http")
    def test_audit_rows_cannot_be_deleted_or_changed_by_tools_or_rpc(self):
        self.call(self.admin_key, "odoo_count", {"model": "res.partner"})
        rows = self.audit_rows()
        self.tool_error(self.call(self.admin_key, "odoo_delete", {"model": "llm.mcp.call", "ids": rows.ids}))
        global_key = self.make_raw_key(self.admin, None, "admin global")
        self.assertIn("error", self.jsonrpc(global_key, self.admin.id, "llm.mcp.call", "unlink", rows.ids))
        self.assertIn("error", self.jsonrpc(global_key, self.admin.id, "llm.mcp.call", "write", rows.ids,
                                            {"outcome": "ok", "arguments": "{}"}))
        self.assertTrue(self.xmlrpc(global_key, self.admin.id, "llm.mcp.call", "unlink", rows.ids))
        self.assertEqual(self.audit_rows()[: len(rows)], rows)

    def test_only_the_retention_job_removes_rows(self):
        self.call(self.user_key, "odoo_count", {"model": "res.partner"})
        row = self.audit_rows()[-1]
        self.env.cr.execute("UPDATE llm_mcp_call SET create_date = create_date - INTERVAL '400 days' WHERE id = %s",
                            [row.id])
        self.env["llm.mcp.call"]._gc_old_calls()
        self.assertFalse(row.exists())

    def raw_call(self, body_text, key=None):
        return self.post(CALL, key=key or self.user_key, raw=body_text)

    def test_malformed_bytes_get_a_json_answer_and_one_audit_row(self):
        deep = "[" * 600 + "]" * 600
        bodies = {
            "NUL in the request id": '{"name": "odoo_count", "arguments": {"model": "res.partner"}, '
                                     '"request_id": "a\\u0000b"}',
            "lone surrogate in the client": '{"name": "odoo_count", "arguments": {"model": "res.partner"}, '
                                            '"client": {"name": "\\ud800evil", "version": "\\udfff"}}',
            "NUL in an argument": '{"name": "odoo_search", "arguments": {"model": "res.partner", '
                                  '"order": "name\\u0000"}}',
            "lone surrogate in an argument": '{"name": "odoo_create", "arguments": {"model": "res.partner", '
                                             '"values": {"name": "\\udc00"}}}',
            "lone surrogate in a key": '{"name": "odoo_count", "arguments": {"\\ud800": 1}}',
            "arguments 600 deep": '{"name": "odoo_count", "arguments": {"model": "res.partner", "domain": %s}}' % deep,
            "body 100000 deep": '{"name": "odoo_count", "arguments": ' + "[" * 100000 + "]" * 100000 + "}",
            "NUL in the tool name": '{"name": "odoo_count\\u0000", "arguments": {}}',
        }
        for attack, text in bodies.items():
            with self.subTest(attack=attack):
                before = len(self.audit_rows())
                response = self.raw_call(text)
                self.assertTrue(response.headers["Content-Type"].startswith("application/json"), response.text[:200])
                self.assertNotIn("Traceback", response.text)
                self.assertIn(response.status_code, (200, 400, 404))
                self.assertEqual(response.json()["contract"], 1)
                rows = self.audit_rows()[before:]
                self.assertEqual(len(rows), 1, attack)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "\ufffd")]))

    def test_malformed_bytes_in_a_successful_call_are_stored_replaced(self):
        self.raw_call('{"name": "odoo_count", "arguments": {"model": "res.partner"}, "request_id": "a\\u0000b", '
                      '"client": {"name": "\\ud800x"}}')
        row = self.audit_rows()[-1]
        self.assertEqual((row.outcome, row.request_id, row.client_name), ("ok", "a\ufffdb", "\ufffdx"))


@tagged("post_install", "-at_install", "llm_security")
class TestSecretsStayOutOfTheAudit(SecurityCase):
    def test_positional_passwords_of_a_method_call_are_not_stored(self):
        self.tool_error(self.call(self.user_key, "odoo_call_method", {
            "model": "res.users", "method": "change_password", "args": ["old-secret-1", "new-secret-2"]}))
        self.tool_error(self.call(self.user_key, "odoo_call_method", {
            "model": "res.partner", "method": "change_password", "ids": [1], "args": ["old-secret-1"],
            "kwargs": {"new": "new-secret-2"}}))
        for row in self.audit_rows()[-2:]:
            self.assertNotIn("secret-1", row.arguments)
            self.assertNotIn("secret-2", row.arguments)
            self.assertIn("change_password", row.arguments)

    def test_a_key_pasted_into_any_value_is_not_stored(self):
        self.call(self.user_key, "odoo_count", {"model": "res.partner", "domain": [["comment", "=", self.admin_key]]})
        self.assertNotIn(self.admin_key, self.audit_rows()[-1].arguments)


@tagged("post_install", "-at_install", "llm_security")
class TestResultBudget(SecurityCase):
    def setUp(self):
        super().setUp()
        self.env["llm.mcp.config"].get_config().write({"result_max_bytes": 4096})

    def test_a_long_result_is_cut_to_the_budget_and_says_so(self):
        body = self.call(self.admin_key, "odoo_search", {"model": "res.partner", "limit": 200,
                                                         "fields": ["name", "email", "street", "city"]}).json()
        self.assertIs(body["isError"], False, body)
        result = body["structuredContent"]
        self.assertLessEqual(len(json.dumps(result, ensure_ascii=False).encode()), 4096)
        self.assertIs(result["truncated"], True)
        self.assertIs(result["has_more"], True)
        self.assertIn("4096 bytes", result["truncated_note"])
        self.assertLess(len(result["records"]), result["total"])
        self.assertEqual(json.loads(body["content"][0]["text"]), result)

    def test_a_result_that_cannot_be_cut_is_a_clear_error(self):
        text = self.tool_error(self.call(self.admin_key, "odoo_describe_model", {"model": "res.partner"}))
        self.assertIn("result budget of 4096 bytes", text)
        self.assertEqual(self.audit_rows()[-1].outcome, "tool_error")

    def test_the_budget_cannot_be_set_beyond_what_the_sidecar_reads(self):
        with self.assertRaises(Exception), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["llm.mcp.config"].get_config().write({"result_max_bytes": 64 * 1024 * 1024})


@tagged("post_install", "-at_install", "llm_security")
class TestServerActionTools(SecurityCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create({"name": "MCP Action Target"})
        cls.action = cls.env["ir.actions.server"].create({
            "name": "Stamp", "model_id": cls.env.ref("base.model_res_partner").id, "state": "code",
            "code": "records.write({'ref': 'stamped by %s' % env.user.login})"})
        cls.tool = cls.env["llm.tool"].create({
            "name": "mcp_test_stamp", "implementation": "server_action", "server_action_id": cls.action.id,
            "description": "Stamp contacts.", "destructive_hint": False})

    def test_a_read_only_key_never_lists_or_runs_a_server_action_tool(self):
        self.assertIn("mcp_test_stamp", self.tool_names(self.admin_key))
        key = self.make_key(self.admin, "read only", read_only=True)
        self.assertNotIn("mcp_test_stamp", self.tool_names(key))
        self.assertContractError(self.call(key, "mcp_test_stamp", {"record_ids": self.partner.ids}), 404,
                                 "unknown_tool")
        self.assertEqual(self.audit_rows()[-1:].mapped("outcome"), ["denied"])
        self.env["llm.mcp.config"].get_config().allow_write_tools = False
        self.assertNotIn("mcp_test_stamp", self.tool_names(self.admin_key))
        self.env.invalidate_all()
        self.assertFalse(self.partner.ref)

    def test_a_server_action_call_runs_as_the_user_and_is_audited(self):
        before = len(self.audit_rows())
        body = self.call(self.user_key, "mcp_test_stamp", {"record_ids": self.partner.ids}).json()
        self.assertIs(body["isError"], False, body)
        self.assertEqual(body["structuredContent"], {"record_ids": self.partner.ids, "result": None})
        self.env.invalidate_all()
        self.assertEqual(self.partner.ref, f"stamped by {self.user.login}")
        rows = self.audit_rows()[before:]
        self.assertEqual((len(rows), rows.outcome, rows.tool_id, rows.user_id), (1, "ok", self.tool, self.user))
        self.assertEqual(json.loads(rows.arguments), {"record_ids": self.partner.ids})

    @mute_logger("odoo.http")
    def test_a_key_cannot_make_or_run_server_actions_past_their_tools(self):
        attempts = [
            {"model": "ir.actions.server", "method": "action_llm_tool_create", "ids": self.action.ids},
            {"model": "ir.actions.server", "method": "run", "ids": self.action.ids},
        ]
        for arguments in attempts:
            self.assertIn("MCP tools", self.tool_error(self.call(self.admin_key, "odoo_call_method", arguments)))
        self.tool_error(self.call(self.admin_key, "odoo_create", {"model": "llm.tool", "values": {
            "name": "mcp_sneaky", "implementation": "server_action", "server_action_id": self.action.id}}))
        # over /jsonrpc with a global key: a user who is no LLM manager marks nothing, nobody calls the runner
        global_key = self.make_raw_key(self.user, None, "global for rpc")
        self.assertIn("error", self.jsonrpc(global_key, self.user.id, "ir.actions.server", "action_llm_tool_create",
                                            self.action.ids))
        self.assertIn("error", self.jsonrpc(global_key, self.user.id, "llm.tool", "server_action_execute",
                                            self.tool.ids, record_ids=self.partner.ids))
        self.env.invalidate_all()
        self.assertFalse(self.partner.ref)
        self.assertEqual(self.env["llm.tool"].search_count([("server_action_id", "=", self.action.id)]), 1)
