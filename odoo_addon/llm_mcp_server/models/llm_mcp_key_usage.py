from odoo import fields, models


class LlmMcpKeyUsage(models.Model):
    """When an MCP key was last used, to the minute: one row per key, written apart from the request.

    Kept out of llm_mcp_key on purpose: updating the key's own row inside requests would make concurrent
    requests of the same key, whose audit rows reference that row, fail with serialization errors (see
    res.users.apikeys._llm_mcp_touch). Rows are written and read in SQL by the key check; the model owns the
    table (created, and dropped on uninstall, by the ORM) and is reachable by no tool.
    """

    _name = "llm.mcp.key.usage"
    _description = "MCP key last use"
    _log_access = False

    key_id = fields.Many2one("llm.mcp.key", required=True, readonly=True, ondelete="cascade")
    last_used = fields.Datetime(required=True, readonly=True)

    _sql_constraints = [("key_unique", "UNIQUE(key_id)", "A key has one last-use row.")]
