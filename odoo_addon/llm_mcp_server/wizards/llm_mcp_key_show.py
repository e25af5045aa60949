from odoo import fields, models


class LlmMcpKeyShow(models.AbstractModel):
    """The one-time result of the New MCP Key wizard.

    Abstract on purpose, like Odoo's ``res.users.apikeys.show``: the key and the configurations that embed it
    arrive as context defaults of the action the wizard returns, live only in that dialog and are never
    written to a table.
    """

    _name = "llm.mcp.key.show"
    _description = "New MCP Key: key and client configurations"

    # The web client needs an id field to run the onchange that fills the defaults.
    id = fields.Id()
    key = fields.Char(readonly=True)
    key_name = fields.Char(readonly=True)
    public_url = fields.Char("MCP URL", readonly=True)
    cleartext_url = fields.Boolean(readonly=True)
    config_claude_desktop = fields.Text("Claude Desktop", readonly=True)
    config_claude_code = fields.Text("Claude Code", readonly=True)
    config_codex = fields.Text("Codex CLI", readonly=True)
    config_codex_env = fields.Text("Codex CLI environment", readonly=True)
    config_cursor = fields.Text("Cursor", readonly=True)
    config_vscode = fields.Text("VS Code", readonly=True)
    config_gemini = fields.Text("Gemini CLI", readonly=True)
    config_curl = fields.Text("curl", readonly=True)
