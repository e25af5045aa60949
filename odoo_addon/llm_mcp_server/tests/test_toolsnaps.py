from odoo.tests import tagged

from odoo.addons.llm_tool.tests import contract_files

from .common import TOOLS, McpHttpCase

BUILTIN_MODULES = ("odoo.addons.llm_tool.", "odoo.addons.llm_mcp_server.")


@tagged("post_install", "-at_install")
class TestToolSnapshots(McpHttpCase):
    """Every built-in tool's definition, as the ``tools`` route gives it to MCP clients, is pinned in
    ``docs/contract/toolsnaps/<name>.json``: a changed description, schema or annotation is a diff in review.
    The sidecar's suite lists the same files through the sidecar (test/sidecar/toolsnaps.test.ts)."""

    confirmations = True  # the definitions clients get by default: confirmation_token where a person confirms

    def test_builtin_tool_definitions_match_their_snapshots(self):
        folder = contract_files.contract_dir(self) / "toolsnaps"
        self.env["llm.mcp.config"].get_config().write({
            "enabled": True, "tool_exposure": "all", "allow_write_tools": True, "allow_consent_tools": True,
        })
        response = self.post(TOOLS, key=self.make_raw_key(self.admin, None, "snapshot key"))
        self.assertEqual(response.status_code, 200, response.text)
        builtin = {tool["name"]: tool for tool in response.json()["tools"] if self._is_builtin(tool["name"])}
        self.assertIn("odoo_search", builtin)
        for name, definition in builtin.items():
            with self.subTest(tool=name):
                contract_files.check_or_write(self, folder / f"{name}.json", definition, f"the definition of {name}")
        stale = sorted(path.stem for path in folder.glob("*.json") if path.stem not in builtin)
        if contract_files.updating():
            for name in stale:
                (folder / f"{name}.json").unlink()
        else:
            self.assertFalse(stale, f"snapshots of tools that are no longer built in: {stale} (remove them, or run "
                                    f"with {contract_files.UPDATE_FLAG}=1)")

    def _is_builtin(self, name):
        """An @llm_tool method of the addons themselves (not a server action, nor another module's tool)."""
        tool = self.env["llm.tool"].sudo().search([("name", "=", name)])
        func = tool._get_implementation_function() if tool.implementation == "function" else None
        return func is not None and func.__module__.startswith(BUILTIN_MODULES)
