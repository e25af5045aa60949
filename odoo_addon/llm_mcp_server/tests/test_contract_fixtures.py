import copy

from odoo.tests import tagged

from odoo.addons.llm_tool.tests import contract_files

from .common import CALL, HEALTH, IDENTITY, TOOLS, McpHttpCase

# The headers of an answer that the contract names (the rest is Odoo's business)
CONTRACT_HEADERS = ("WWW-Authenticate", "Allow", "Retry-After")
_ABSENT = object()

# name: (key, method, path, body, values that differ from run to run, `response.body.` paths; their JSON
# type is checked, their value kept as the file has it). Keys: "mcp" is admin's MCP key "Claude Desktop",
# read-only (the identity example of docs/contract.md), "count" one allowed only odoo_count, "bad" an unknown key.
CASES = {
    "health": (None, "GET", HEALTH, None, ["database", "oauth.resource_metadata"]),
    "health-method-not-allowed": (None, "POST", HEALTH, {}, []),
    "identity": ("mcp", "POST", IDENTITY, {}, ["database", "key.id", "tools_fingerprint", "token", "token_expires_at"]),
    "identity-unauthorized": ("bad", "POST", IDENTITY, {}, []),
    "identity-method-not-allowed": ("mcp", "GET", IDENTITY, None, []),
    "tools": ("count", "POST", TOOLS, {}, ["fingerprint"]),
    "tools-mcp-disabled": ("mcp", "POST", TOOLS, {}, []),
    "call": ("mcp", "POST", CALL, {
        "name": "odoo_search", "arguments": {"model": "res.company", "domain": [["id", "=", 1]], "fields": ["name"]},
        "client": {"name": "claude-ai", "version": "0.1.0"}, "request_id": "42", "protocol_version": "2026-07-28",
    }, []),
    "call-invalid-arguments": ("mcp", "POST", CALL, {"name": "odoo_search", "arguments": {"limit": 5}}, []),
    "call-unknown-tool": ("mcp", "POST", CALL, {"name": "no_such_tool", "arguments": {}}, []),
    "call-bad-request": ("mcp", "POST", CALL, {"arguments": {}}, []),
    "call-not-an-object": ("mcp", "POST", CALL, [], []),
    "resource-templates": ("mcp", "POST", "/llm_mcp/v1/resource_templates", {}, []),
    "resource-unknown": ("mcp", "POST", "/llm_mcp/v1/resource", {"uri": "odoo://res.partner/999999999"}, []),
    "resource-refused": ("mcp", "POST", "/llm_mcp/v1/resource", {"uri": "odoo://ir.config_parameter/1"}, []),
    "prompt-unknown": ("mcp", "POST", "/llm_mcp/v1/prompt", {"name": "no_such_prompt", "arguments": {}}, []),
    "complete-unknown-reference": ("mcp", "POST", "/llm_mcp/v1/complete", {
        "ref": {"type": "ref/prompt", "name": "no_such_prompt"}, "argument": {"name": "customer", "value": "De"},
    }, []),
}


def _split(path):
    return path.split(".") if path else []


def _get(value, path):
    for part in _split(path):
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def _set(value, path, new):
    *parents, last = _split(path)
    for part in parents:
        value = value[part]
    value[last] = new


def _json_type(value):
    return "null" if value is None else "boolean" if isinstance(value, bool) else type(value).__name__


@tagged("post_install", "-at_install")
class TestContractFixtures(McpHttpCase):
    """docs/contract/fixtures/<case>.json: what the real routes answer to the contract's example requests.

    The sidecar's suite reads the same files (its unit tests of the contract's reader, the contract stand-in,
    docs/contract.md's examples): a change of an answer is a diff of a file in review. Values that change from
    run to run (tokens, ids, the database) are listed in the file's ``volatile``: their type is checked.
    """

    def test_the_routes_answer_as_the_fixtures_say(self):
        folder = contract_files.contract_dir(self) / "fixtures"
        keys = {
            "mcp": self.make_key(self.admin, "Claude Desktop", read_only=True),
            "count": self.make_key(self.admin, "Only counts",
                                   tool_ids=self.env["llm.tool"].search([("name", "=", "odoo_count")]).ids),
            "bad": "0" * 40,
        }
        for name, (key, method, path, body, volatile) in CASES.items():
            with self.subTest(case=name):
                config = self.env["llm.mcp.config"].get_config()
                config.enabled = name != "tools-mcp-disabled"
                actual = self._exchange(keys.get(key), method, path, body)
                file = folder / f"{name}.json"
                stored = contract_files.load(file) if file.is_file() else None
                actual["volatile"] = [f"response.body.{v}" for v in volatile]
                for place in volatile:
                    now = _get(actual["response"]["body"], place)
                    self.assertIsNot(now, _ABSENT, f"{name}: {place} missing")
                    kept = _get(stored["response"]["body"], place) if stored else _ABSENT
                    if kept is not _ABSENT and _json_type(kept) == _json_type(now):
                        _set(actual["response"]["body"], place, kept)
                contract_files.check_or_write(self, file, actual, f"the answer to {name}")
        stale = sorted(p.stem for p in folder.glob("*.json") if p.stem not in CASES)
        self.assertFalse(stale, f"fixtures no test writes: {stale}")

    def _exchange(self, key, method, path, body):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = {"method": method, "path": path}
        if key:
            headers["Authorization"] = f"Bearer {key}"
            request["headers"] = {"Authorization": "Bearer <key>"}
        if body is not None:
            request["body"] = copy.deepcopy(body)
        url = self.base_url() + path
        if method == "GET":
            response = self.opener.get(url, headers=headers, timeout=30)
        else:
            response = self.opener.post(url, json=body, headers=headers, timeout=30)
        answer = {"status": response.status_code, "body": response.json()}
        named = {h: response.headers[h] for h in CONTRACT_HEADERS if h in response.headers}
        if named:
            answer["headers"] = named
        return {"request": request, "response": answer}
