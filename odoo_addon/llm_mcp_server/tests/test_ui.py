import json
import unittest

from odoo import api
from odoo.tests import HttpCase, tagged
from odoo.tests import common as odoo_test_common

from .screens_common import create_key, make_users


class McpTourCase(HttpCase):
    """Runs tours, and fails (instead of Odoo's silent skip) when no browser can run them."""

    def setUp(self):
        super().setUp()
        self.reports = []

        @api.model
        def llm_mcp_tour_report(model, *values):
            self.reports.append(values)

        self.registry["ir.logging"].llm_mcp_tour_report = llm_mcp_tour_report
        self.addCleanup(delattr, self.registry["ir.logging"], "llm_mcp_tour_report")

    def run_tour(self, tour, login):
        # Odoo turns a missing Chrome or websocket module into a skipped test: here it is a failure,
        # so scripts/test-odoo.sh cannot report green without the tours having run.
        self.assertIsNotNone(odoo_test_common.websocket, "python3-websocket is needed for the browser tours")
        try:
            odoo_test_common._find_executable()
            self.start_tour("/odoo", tour, login=login)
        except unittest.SkipTest as skipped:
            self.fail("Tour %s could not run: %s" % (tour, skipped))

    def identity(self, key):
        """POST /llm_mcp/v1/identity with ``key``; returns the response."""
        return self.url_open("/llm_mcp/v1/identity", data="{}", headers={
            "Authorization": "Bearer " + key, "Content-Type": "application/json"})


@tagged("post_install", "-at_install")
class TestMcpScreensTours(McpTourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = make_users(cls.env)

    def test_new_mcp_key_from_preferences(self):
        self.run_tour("llm_mcp_key_wizard_tour", login=self.users.user.login)

        [(key, copied)] = self.reports
        apikey = self.env["res.users.apikeys"].sudo().search([("user_id", "=", self.users.user.id)])
        self.assertEqual((apikey.name, apikey.scope), ("Claude Desktop tour", "mcp"))
        mcp_key = self.env["llm.mcp.key"].sudo().search([("apikey_id", "=", apikey.id)])
        self.assertTrue(mcp_key.read_only, "the tour ticked Read-only")

        # What the copy button put on the clipboard is the Claude Desktop config with the real key.
        server = json.loads(copied)["mcpServers"]["odoo-mcp"]
        self.assertEqual(server["env"]["AUTH_HEADER"], "Bearer " + key)
        self.assertEqual(server["args"][2], self.env["llm.mcp.config"].get_config().get_public_url())

        answer = self.identity(key)
        self.assertEqual(answer.status_code, 200, answer.text)
        self.assertEqual(answer.json()["key"]["read_only"], True)
        self.assertEqual(answer.json()["user"]["login"], self.users.user.login)

    def test_manager_changes_the_settings(self):
        config = self.env["llm.mcp.config"].get_config()
        config.write({"server_name": "Odoo MCP", "allow_write_tools": True})
        self.run_tour("llm_mcp_settings_tour", login=self.users.manager.login)
        config.invalidate_recordset()
        self.assertEqual(config.server_name, "Acme Odoo MCP")
        self.assertFalse(config.allow_write_tools)
        self.assertEqual(config.sidecar_url, "http://127.0.0.1:9")

    def test_manager_filters_and_groups_the_audit_log(self):
        calls = self.env["llm.mcp.call"].sudo()
        calls.create({"user_id": self.users.user.id, "tool_name": "tour_ok_tool", "outcome": "ok",
                      "client_name": "claude-ai", "duration_ms": 12})
        calls.create({"user_id": self.users.other.id, "tool_name": "tour_denied_tool", "outcome": "denied",
                      "client_name": "cursor", "message": "read-only key"})
        self.run_tour("llm_mcp_audit_log_tour", login=self.users.manager.login)

    def test_manager_reads_and_retitles_a_prompt(self):
        self.run_tour("llm_mcp_prompts_tour", login=self.users.manager.login)
        prompt = self.env.ref("llm_mcp_server.prompt_explain_record")
        prompt.invalidate_recordset()
        self.assertEqual(prompt.title, "Explain any record")

    def test_user_revokes_a_key_and_it_stops_working(self):
        key, _record = create_key(self.env, self.users.user, "Key to revoke")
        create_key(self.env, self.users.other, "Someone else's key")
        self.assertEqual(self.identity(key).status_code, 200)

        self.run_tour("llm_mcp_key_revoke_tour", login=self.users.user.login)

        self.assertFalse(self.env["llm.mcp.key"].sudo().search([("user_id", "=", self.users.user.id)]))
        answer = self.identity(key)
        self.assertEqual(answer.status_code, 401, answer.text)
        self.assertEqual(answer.json()["error"]["code"], "unauthorized")
        self.assertTrue(self.env["llm.mcp.key"].sudo().search([("user_id", "=", self.users.other.id)]),
                        "the other user's key is untouched")


@tagged("post_install", "-at_install")
class TestOAuthScreensTours(McpTourCase):
    """The consent page and Connected apps, used in a browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = make_users(cls.env)

    def test_consent_page_read_only_then_allow(self):
        import base64
        import hashlib
        import urllib.parse

        config = self.env["llm.mcp.config"].get_config()
        config.public_url = self.base_url() + "/mcp"
        redirect = self.base_url() + "/odoo"
        client = self.env["llm.mcp.oauth.client"]._register_dynamic(
            {"client_name": "Tour Client", "redirect_uris": [redirect]}, "tour")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 64).digest()).rstrip(b"=").decode()
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client.client_id, "redirect_uri": redirect, "state": "tour",
            "code_challenge": challenge, "code_challenge_method": "S256", "resource": config.get_public_url()})
        self.assertIsNotNone(odoo_test_common.websocket, "python3-websocket is needed for the browser tours")
        try:
            odoo_test_common._find_executable()
            self.start_tour("/llm_mcp_oauth/authorize?" + query, "llm_mcp_oauth_consent_tour",
                            login=self.users.user.login)
        except unittest.SkipTest as skipped:
            self.fail("Tour could not run: %s" % skipped)
        code = self.env["llm.mcp.oauth.code"].sudo().search([("client_id", "=", client.id)])
        self.assertEqual((len(code), code.user_id, code.read_only, code.grant_days), (1, self.users.user, True, 7))

    def test_connected_apps_in_preferences_revoke(self):
        user = self.users.user
        client = self.env["llm.mcp.oauth.client"]._register_dynamic(
            {"client_name": "Tour Connected App", "redirect_uris": ["https://app.example.com/cb"]}, "tour")
        grant = self.env["llm.mcp.oauth.grant"].sudo().create({
            "user_id": user.id, "client_id": client.id, "resource": "http://x/mcp",
            "expires_at": "2099-01-01 00:00:00"})
        tokens = grant._issue_tokens()
        self.assertEqual(self.identity(tokens["access_token"]).status_code, 200)
        self.run_tour("llm_mcp_connected_apps_tour", login=user.login)
        self.assertEqual(grant.state, "revoked")
        self.assertEqual(self.identity(tokens["access_token"]).status_code, 401)
