import datetime
import json
import shlex
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, tagged

from ..wizards import client_configs
from .screens_common import PASSWORD, create_key, http_request, make_users

PUBLIC_URL = "https://odoo.example.com/mcp"


def _strings(value):
    """Every string inside a parsed JSON value."""
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def midnight_in(days):
    return datetime.datetime.combine(fields.Date.today(), datetime.time.min) + datetime.timedelta(days=days)


@tagged("post_install", "-at_install")
class TestNewMcpKeyWizard(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = make_users(cls.env)
        cls.config = cls.env["llm.mcp.config"].get_config()
        cls.config.write({"public_url": PUBLIC_URL, "server_name": "Odoo MCP"})
        cls.tool = cls.env["llm.tool"].search([("active", "=", True)], limit=1)

    def _wizard(self, user, **values):
        values.setdefault("name", "Claude Desktop")
        return self.env["llm.mcp.key.wizard"].with_user(user).create(values)

    def _create(self, user, **values):
        """Run the wizard as ``user`` past the identity check; return the result action."""
        with http_request():
            return self._wizard(user, **values).action_create_key()

    def _apikey(self, user):
        return self.env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)])

    # -- identity check -------------------------------------------------------------------------------
    def test_preferences_button_asks_for_the_password_first(self):
        user = self.users.user.with_user(self.users.user)
        with http_request(identity_checked=False):
            action = user.action_new_mcp_key()
        self.assertEqual(action["res_model"], "res.users.identitycheck")

        check = self.env["res.users.identitycheck"].with_user(self.users.user).browse(action["res_id"])
        check.password = "wrong"
        with http_request(identity_checked=False), self.assertRaises(UserError):
            check.run_check()
        check.password = PASSWORD
        with http_request(identity_checked=False):
            action = check.run_check()
        self.assertEqual(action["res_model"], "llm.mcp.key.wizard")
        self.assertEqual(action["target"], "new")

    def test_settings_button_asks_for_the_password_first(self):
        config = self.config.with_user(self.users.manager)
        with http_request(identity_checked=False):
            self.assertEqual(config.action_new_mcp_key()["res_model"], "res.users.identitycheck")
        with http_request():
            self.assertEqual(config.action_new_mcp_key()["res_model"], "llm.mcp.key.wizard")

    def test_keys_list_button_asks_for_the_password_first(self):
        keys = self.env["llm.mcp.key"].with_user(self.users.user)
        with http_request(identity_checked=False):
            self.assertEqual(keys.action_new_mcp_key()["res_model"], "res.users.identitycheck")
        with http_request():
            self.assertEqual(keys.action_new_mcp_key()["res_model"], "llm.mcp.key.wizard")

    def test_create_key_without_identity_check_creates_nothing(self):
        wizard = self._wizard(self.users.user)
        with http_request(identity_checked=False):
            action = wizard.action_create_key()
        self.assertEqual(action["res_model"], "res.users.identitycheck")
        self.assertFalse(self._apikey(self.users.user))
        # Outside an HTTP request (RPC scripts, server actions) it refuses outright.
        with self.assertRaises(UserError):
            wizard.action_create_key()
        self.assertFalse(self._apikey(self.users.user))

    # -- the key --------------------------------------------------------------------------------------
    def test_creates_an_mcp_scoped_key_with_duration_and_restrictions(self):
        self.assertTrue(self.tool, "the addon ships built-in tools")
        action = self._create(self.users.user, name="Codex", duration="7", read_only=True,
                              tool_ids=[(6, 0, self.tool.ids)])
        self.assertEqual(action["res_model"], "llm.mcp.key.show")
        key = action["context"]["default_key"]
        self.assertRegex(key, r"^[0-9a-f]{40}$")

        apikey = self._apikey(self.users.user)
        self.assertEqual(len(apikey), 1)
        self.assertEqual(apikey.scope, "mcp")
        self.assertEqual(apikey.name, "Codex")
        self.assertEqual(apikey.expiration_date, midnight_in(7))

        mcp_key = self.env["llm.mcp.key"].sudo().search([("apikey_id", "=", apikey.id)])
        self.assertEqual(mcp_key.user_id, self.users.user)
        self.assertTrue(mcp_key.read_only)
        self.assertEqual(mcp_key.tool_ids, self.tool)
        self.assertEqual(mcp_key.expiration_date, midnight_in(7))

        apikeys = self.env["res.users.apikeys"]
        self.assertEqual(apikeys._check_credentials(scope="mcp", key=key), self.users.user.id)
        # Odoo's /jsonrpc, /xmlrpc and auth='bearer' routes ask for scope 'rpc': they refuse this key.
        self.assertFalse(apikeys._check_credentials(scope="rpc", key=key))

    def test_no_restrictions_by_default(self):
        action = self._create(self.users.user)
        mcp_key = self.env["llm.mcp.key"].sudo().search([("user_id", "=", self.users.user.id)])
        self.assertFalse(mcp_key.read_only)
        self.assertFalse(mcp_key.tool_ids)
        self.assertEqual(mcp_key.expiration_date, midnight_in(30))
        self.assertTrue(action["context"]["default_key"])

    def test_durations_stay_within_what_the_groups_allow(self):
        max_days = max(self.users.user.groups_id.mapped("api_key_duration"))
        offered = [days for days, _label in self.env["llm.mcp.key.wizard"].with_user(self.users.user)
                   ._selection_duration()]
        self.assertTrue(offered)
        self.assertTrue(all(0 < int(days) <= max_days for days in offered), offered)
        self.assertIn("0", [days for days, _label in self.env["llm.mcp.key.wizard"].with_user(self.env.ref(
            "base.user_admin"))._selection_duration()], "administrators may create keys without expiry")
        with self.assertRaises(UserError):
            self._create(self.users.user, duration="365")
        self.assertFalse(self._apikey(self.users.user))

    def test_offered_tools_follow_settings_and_read_only(self):
        tools = self.env["llm.tool"].search([])
        read_only = tools.filtered("read_only_hint")
        self.assertTrue(read_only and tools - read_only, "the built-in tools have both kinds")
        wizard = self._wizard(self.users.user)
        self.assertTrue(wizard.offered_tool_ids & (tools - read_only), "write tools are offered by default")
        wizard.read_only = True
        self.assertEqual(wizard.offered_tool_ids & tools, wizard.offered_tool_ids & read_only)
        self.assertTrue(wizard.offered_tool_ids)
        # The settings expose a selection: only that is offered.
        self.config.write({"tool_exposure": "selected", "tool_ids": [(6, 0, read_only[:1].ids)]})
        self.assertEqual(self._wizard(self.users.user).offered_tool_ids, read_only[:1])

    def test_nobody_else_reads_or_loosens_a_pending_key(self):
        pending = self._wizard(self.users.user, name="careful", read_only=True, tool_ids=[(6, 0, self.tool.ids)])
        for stranger in (self.users.other, self.users.manager):
            theirs = pending.with_user(stranger)
            with self.assertRaises(AccessError):
                theirs.read(["read_only", "tool_ids"])
            with self.assertRaises(AccessError):
                theirs.write({"read_only": False, "tool_ids": [(5,)]})
            self.assertFalse(self.env["llm.mcp.key.wizard"].with_user(stranger).search([("id", "=", pending.id)]))
        with http_request():
            pending.action_create_key()
        key = self.env["llm.mcp.key"].sudo().search([("apikey_id", "in", self._apikey(self.users.user).ids)])
        self.assertEqual((key.name, key.read_only, key.tool_ids), ("careful", True, self.tool))

    def test_portal_users_cannot_create_mcp_keys(self):
        with self.assertRaises(AccessError):
            self._create(self.users.portal)
        self.assertFalse(self._apikey(self.users.portal))

    def test_the_key_is_not_stored_in_clear(self):
        action = self._create(self.users.user, name="Cursor")
        key = action["context"]["default_key"]
        self.assertFalse(self.env["llm.mcp.key.wizard"].sudo().search([]), "the wizard row is deleted")
        self.assertTrue(self.env["llm.mcp.key.show"]._abstract, "the result dialog has no table")
        self.env.flush_all()
        self.env.cr.execute("SELECT count(*) FROM res_users_apikeys WHERE key = %s OR name = %s", [key, key])
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        mcp_key = self.env["llm.mcp.key"].sudo().search([("user_id", "=", self.users.user.id)])
        for name, field in mcp_key._fields.items():
            if field.type in ("char", "text") and field.store:
                self.assertNotIn(key, str(mcp_key[name] or ""), "llm.mcp.key.%s holds the key" % name)

    # -- the configurations ---------------------------------------------------------------------------
    def test_configs_parse_and_carry_url_and_key(self):
        context = self._create(self.users.user)["context"]
        key = context["default_key"]
        self.assertEqual(context["default_public_url"], PUBLIC_URL)
        bearer = "Bearer " + key

        desktop = json.loads(context["default_config_claude_desktop"])["mcpServers"]["odoo-mcp"]
        self.assertEqual(desktop["command"], "npx")
        self.assertEqual(desktop["args"], ["-y", "mcp-remote@0.15.1", PUBLIC_URL, "--header",
                                           "Authorization:${AUTH_HEADER}"])
        self.assertEqual(desktop["env"], {"AUTH_HEADER": bearer})

        self.assertEqual(shlex.split(context["default_config_claude_code"]), [
            "claude", "mcp", "add", "--transport", "http", "odoo-mcp", PUBLIC_URL,
            "--header", "Authorization: " + bearer])

        codex = tomllib.loads(context["default_config_codex"])["mcp_servers"]["odoo-mcp"]
        self.assertEqual(codex, {"url": PUBLIC_URL, "bearer_token_env_var": "ODOO_MCP_API_KEY"})
        self.assertEqual(shlex.split(context["default_config_codex_env"]), ["export", "ODOO_MCP_API_KEY=" + key])

        cursor = json.loads(context["default_config_cursor"])["mcpServers"]["odoo-mcp"]
        self.assertEqual(cursor, {"url": PUBLIC_URL, "headers": {"Authorization": bearer}})
        vscode = json.loads(context["default_config_vscode"])["servers"]["odoo-mcp"]
        self.assertEqual(vscode, {"type": "http", "url": PUBLIC_URL, "headers": {"Authorization": bearer}})
        gemini = json.loads(context["default_config_gemini"])["mcpServers"]["odoo-mcp"]
        self.assertEqual(gemini, {"httpUrl": PUBLIC_URL, "headers": {"Authorization": bearer}})

        curl = shlex.split(context["default_config_curl"])
        self.assertEqual(curl[:3], ["curl", "-sS", PUBLIC_URL])
        headers = [curl[i + 1] for i, word in enumerate(curl) if word == "-H"]
        self.assertIn("Authorization: " + bearer, headers)
        self.assertIn("Accept: application/json, text/event-stream", headers)
        self.assertIn("MCP-Protocol-Version: 2026-07-28", headers)
        self.assertIn("Mcp-Method: tools/list", headers)
        body = json.loads(curl[curl.index("--data") + 1])
        self.assertEqual(body["method"], "tools/list")
        self.assertEqual(body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], "2026-07-28")

    def test_default_public_url_is_the_odoo_address(self):
        self.config.public_url = False
        self.env["ir.config_parameter"].sudo().set_param("web.base.url", "http://erp.example.org:8069")
        context = self._create(self.users.user)["context"]
        self.assertEqual(context["default_public_url"], "http://erp.example.org:8069/mcp")
        cursor = json.loads(context["default_config_cursor"])["mcpServers"]["odoo-mcp"]
        self.assertEqual(cursor["url"], "http://erp.example.org:8069/mcp")

    def test_configs_survive_odd_names_and_urls(self):
        url = 'https://proxy.example.com/o"dd path/mcp?a=1&b=\'2\''
        configs = client_configs.build_client_configs('Acme "Prod" ERP \\ 2', url, "k" * 40)
        codex = tomllib.loads(configs["config_codex"])["mcp_servers"]["acme-prod-erp-2"]
        self.assertEqual(codex["url"], url)
        for name in ("config_claude_desktop", "config_cursor", "config_vscode", "config_gemini"):
            self.assertIn(url, _strings(json.loads(configs[name])), name)
        self.assertIn(url, shlex.split(configs["config_claude_code"]))
        self.assertIn(url, shlex.split(configs["config_curl"]))
        self.assertEqual(client_configs.server_slug("  "), "odoo")

    def test_plain_http_to_another_host_is_flagged(self):
        def desktop_args(url):
            configs = client_configs.build_client_configs("Odoo MCP", url, "k" * 40)
            return json.loads(configs["config_claude_desktop"])["mcpServers"]["odoo-mcp"]["args"]
        # mcp-remote refuses such a URL without --allow-http; the result dialog warns.
        self.assertEqual(desktop_args("http://erp.lan:8069/mcp")[-1], "--allow-http")
        self.assertNotIn("--allow-http", desktop_args("https://erp.example.com/mcp"))
        self.assertNotIn("--allow-http", desktop_args("http://localhost:8069/mcp"))
        self.assertNotIn("--allow-http", desktop_args("http://127.0.0.1:8069/mcp"))
        self.config.public_url = "http://erp.lan:8069/mcp"
        self.assertTrue(self._create(self.users.user)["context"]["default_cleartext_url"])
        self.config.public_url = PUBLIC_URL
        self.assertFalse(self._create(self.users.user, name="second")["context"]["default_cleartext_url"])

    # -- other people's keys --------------------------------------------------------------------------
    def test_a_user_cannot_see_or_revoke_another_users_key(self):
        mine_clear, mine = create_key(self.env, self.users.user, "mine")
        theirs_clear, theirs = create_key(self.env, self.users.other, "theirs")
        keys_as_user = self.env["llm.mcp.key"].with_user(self.users.user)
        self.assertEqual(keys_as_user.search([]), mine.with_user(self.users.user))
        with self.assertRaises(AccessError):
            keys_as_user.browse(theirs.id).read(["name"])
        with self.assertRaises(AccessError):
            keys_as_user.browse(theirs.id).action_revoke()
        apikeys = self.env["res.users.apikeys"]
        self.assertEqual(apikeys._check_credentials(scope="mcp", key=theirs_clear), self.users.other.id)

        # Their own: revoked, and the key stops working.
        keys_as_user.browse(mine.id).action_revoke()
        self.assertFalse(apikeys._check_credentials(scope="mcp", key=mine_clear))
        self.assertFalse(self.env["llm.mcp.key"].sudo().search([("id", "=", mine.id)]))

    def test_a_manager_sees_and_revokes_anyones_key(self):
        _clear, theirs = create_key(self.env, self.users.other, "theirs")
        create_key(self.env, self.users.user, "mine")
        keys_as_manager = self.env["llm.mcp.key"].with_user(self.users.manager)
        ours = [("user_id", "in", (self.users.user | self.users.other).ids)]
        self.assertEqual(set(keys_as_manager.search(ours).mapped("name")), {"theirs", "mine"})
        keys_as_manager.browse(theirs.id).action_revoke()
        self.assertFalse(self._apikey(self.users.other))
        self.assertEqual(keys_as_manager.search(ours).mapped("name"), ["mine"])


@tagged("post_install", "-at_install")
class TestScreenAccessRights(TransactionCase):
    """Who may use each model behind the screens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = make_users(cls.env)

    def _can(self, user, model, operation):
        return self.env[model].with_user(user).has_access(operation)

    def test_wizard_models(self):
        for model in ("llm.mcp.key.wizard", "llm.mcp.key.show"):
            self.assertTrue(self._can(self.users.user, model, "read"), model)
            self.assertTrue(self._can(self.users.user, model, "create"), model)
            self.assertFalse(self._can(self.users.portal, model, "create"), model)
        self.assertFalse(self._can(self.users.user, "llm.mcp.key.wizard", "unlink"))

    def test_settings_are_for_managers(self):
        self.assertFalse(self._can(self.users.user, "llm.mcp.config", "write"))
        self.assertTrue(self._can(self.users.manager, "llm.mcp.config", "write"))

    def test_nobody_edits_the_audit_log_from_the_screens(self):
        for user in (self.users.user, self.users.manager):
            self.assertTrue(self._can(user, "llm.mcp.call", "read"))
            for operation in ("create", "write"):
                self.assertFalse(self._can(user, "llm.mcp.call", operation), (user.login, operation))
        self.assertFalse(self._can(self.users.portal, "llm.mcp.call", "read"))

    def test_users_read_only_their_own_calls(self):
        calls = self.env["llm.mcp.call"].sudo()
        mine = calls.create({"user_id": self.users.user.id, "tool_name": "odoo_search", "outcome": "ok"})
        theirs = calls.create({"user_id": self.users.other.id, "tool_name": "odoo_search", "outcome": "ok"})
        self.assertEqual(self.env["llm.mcp.call"].with_user(self.users.user).search([]), mine)
        self.assertEqual(self.env["llm.mcp.call"].with_user(self.users.manager).search([]) & (mine | theirs),
                         mine | theirs)

    def test_keys_are_only_made_through_the_wizard(self):
        self.assertFalse(self._can(self.users.user, "llm.mcp.key", "create"))
        self.assertFalse(self._can(self.users.manager, "llm.mcp.key", "create"))


class _SidecarStandIn(BaseHTTPRequestHandler):
    """A stand-in sidecar behind a proxy: GET /readyz and POST /mcp answer what the test set on the server."""

    def _answer(self, status, headers, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/readyz":
            self._answer(self.server.ready_status, {}, self.server.ready_body)
        else:
            self._answer(404, {}, b"not found")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/mcp":
            self._answer(*self.server.mcp_answer)
        else:
            self._answer(404, {}, b"<html>Odoo 404</html>")

    def log_message(self, *args):
        pass


# What the sidecar answers a POST without a key.
_UNAUTHORIZED = (401, {"WWW-Authenticate": 'Bearer realm="odoo-mcp"'}, json.dumps({
    "jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": "Authentication required"}}).encode())


@tagged("post_install", "-at_install")
class TestTestConnectionButton(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), _SidecarStandIn)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        cls.base = "http://127.0.0.1:%d" % cls.server.server_port
        cls.config = cls.env["llm.mcp.config"].get_config()

    def setUp(self):
        super().setUp()
        self.server.ready_status, self.server.ready_body = 200, b'{"status": "ready"}'
        self.server.mcp_answer = _UNAUTHORIZED
        self.config.public_url = self.base + "/mcp"

    def _press(self, sidecar_url):
        self.config.sidecar_url = sidecar_url
        return self.config.action_test_connection()["params"]

    def _free_port(self):
        probe = ThreadingHTTPServer(("127.0.0.1", 0), _SidecarStandIn)
        port = probe.server_port
        probe.server_close()
        return port

    def test_ready_and_reachable(self):
        params = self._press(self.base + "/")
        self.assertEqual(params["type"], "success", params["message"])
        self.assertIn("is ready", params["message"])
        self.assertIn("MCP clients reach it at %s/mcp" % self.base, params["message"])

    def test_not_ready_says_why(self):
        self.server.ready_status, self.server.ready_body = 503, json.dumps({"status": "not_ready", "error": {
            "code": "odoo_unreachable", "message": "Odoo does not answer at http://127.0.0.1:8069"}}).encode()
        params = self._press(self.base)
        self.assertEqual(params["type"], "danger")
        self.assertTrue(params["sticky"])
        self.assertIn("HTTP 503", params["message"])
        self.assertIn("Odoo does not answer at http://127.0.0.1:8069", params["message"])

    def test_not_ready_with_the_sidecars_own_answer(self):
        # The sidecar's /readyz answers 503 {"status": "unavailable", "error": "<why>"}.
        self.server.ready_status, self.server.ready_body = 503, json.dumps({
            "status": "unavailable",
            "error": 'Odoo at http://127.0.0.1:8069 serves database "prod", expected "odoo" (ODOO_DB)'}).encode()
        params = self._press(self.base)
        self.assertEqual(params["type"], "danger")
        self.assertIn('serves database "prod", expected "odoo"', params["message"])

    def test_nothing_listening(self):
        port = self._free_port()
        params = self._press("http://127.0.0.1:%d" % port)
        self.assertEqual(params["type"], "danger")
        self.assertIn("Nothing answers at http://127.0.0.1:%d/readyz" % port, params["message"])

    def test_wrong_service(self):
        params = self._press(self.base + "/elsewhere")
        self.assertEqual(params["type"], "danger")
        self.assertIn("404", params["message"])

    def test_not_a_url(self):
        params = self._press("localhost:8765")
        self.assertEqual(params["type"], "danger")
        self.assertIn("not an http(s) URL", params["message"])

    def test_public_url_not_routed_to_the_sidecar(self):
        self.config.public_url = self.base + "/odoo-only/mcp"
        params = self._press(self.base)
        self.assertEqual(params["type"], "warning")
        self.assertIn("answers 404: the reverse proxy does not send /mcp to the sidecar", params["message"])

    def test_public_host_not_allowed_by_the_sidecar(self):
        self.server.mcp_answer = (403, {}, json.dumps({"jsonrpc": "2.0", "id": None, "error": {
            "code": -32000, "message": 'Host "erp.example.com" is not allowed'}}).encode())
        params = self._press(self.base)
        self.assertEqual(params["type"], "warning")
        self.assertIn('Host "erp.example.com" is not allowed', params["message"])
        self.assertIn("MCP_ALLOWED_HOSTS", params["message"])

    def test_public_url_unreachable_from_odoo(self):
        self.config.public_url = "http://127.0.0.1:%d/mcp" % self._free_port()
        params = self._press(self.base)
        self.assertEqual(params["type"], "warning")
        self.assertIn("cannot reach the public MCP URL", params["message"])

    def test_public_url_redirects(self):
        self.server.mcp_answer = (301, {"Location": "https://erp.example.com/mcp"}, b"")
        params = self._press(self.base)
        self.assertEqual(params["type"], "warning")
        self.assertIn("redirects to https://erp.example.com/mcp", params["message"])
