import json
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user

IDENTITY, TOOLS, CALL, HEALTH = "/llm_mcp/v1/identity", "/llm_mcp/v1/tools", "/llm_mcp/v1/call", "/llm_mcp/v1/health"
WRITE_TOOLS = {
    "odoo_create", "odoo_update", "odoo_delete", "odoo_call_method", "odoo_post_message", "odoo_schedule_activity",
}


class McpHttpCase(HttpCase):
    """Real HTTP requests to the endpoints with real keys, in the test's transaction.

    Tools run at the first call here: these tests are about what tools do, so confirmations (which every
    destructive tool asks for by default) are switched off, except in classes that set ``confirmations``.
    """

    confirmations = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not cls.confirmations:
            cls.env["llm.tool"].with_context(active_test=False).search([]).write({"requires_confirmation": False})
        cls.expiry = fields.Datetime.now() + timedelta(days=30)
        cls.admin = cls.env.ref("base.user_admin")
        cls.user = new_test_user(cls.env, login="mcp_http_user", name="MCP User",
                                 groups="base.group_user,base.group_partner_manager")
        cls.user_key = cls.make_key(cls.user, "user key")
        cls.admin_key = cls.make_key(cls.admin, "admin key")

    @classmethod
    def make_key(cls, user, name="key", **restrictions):
        return cls.env["llm.mcp.key"].with_user(user).create_mcp_key(name, cls.expiry, **restrictions)

    @classmethod
    def make_raw_key(cls, user, scope, name="raw key", expiry=None):
        return cls.env["res.users.apikeys"].with_user(user)._generate(scope, name, expiry or cls.expiry)

    def post(self, path, body=None, key=None, token=None, raw=None):
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        if token:
            headers["X-LLM-MCP-Token"] = token
        data = raw if raw is not None else json.dumps({} if body is None else body)
        return self.opener.post(self.base_url() + path, data=data, headers=headers, timeout=30)

    def call(self, key, name, arguments=None, **extra):
        return self.post(CALL, {"name": name, "arguments": {} if arguments is None else arguments, **extra}, key=key)

    def tool_names(self, key):
        response = self.post(TOOLS, key=key)
        self.assertEqual(response.status_code, 200, response.text)
        return [tool["name"] for tool in response.json()["tools"]]

    def assertContractError(self, response, status, code):
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(response.headers["Content-Type"].startswith("application/json"))
        body = response.json()
        self.assertEqual(body["contract"], 1)
        self.assertEqual(body["error"]["code"], code)
        self.assertTrue(body["error"]["message"])
        self.assertNotIn("Traceback", response.text)
        return body

    def audit_rows(self):
        self.env.invalidate_all()
        return self.env["llm.mcp.call"].search([], order="id")
