"""Which tools a person confirms before each call (docs/contract.md, Confirmations), on the tool record."""

import dataclasses

from odoo import api, fields, models, tools

# The argument through which a client without elicitation passes the person's confirmation back.
TOKEN_ARGUMENT = "confirmation_token"

_TOKEN_SCHEMA = {
    "type": "string",
    "description": "Leave out on the first call. This tool asks the person first: its first call only returns a "
                   "preview and a token. Show the preview to the person and, once they agree, call the tool again "
                   "with the same arguments plus this token.",
}
_TOKEN_SENTENCE = (
    "\n\nA person confirms every call of this tool: the first call does nothing and answers with a preview of what "
    "would happen. Show it to the person; only if they agree, call the tool again with exactly the same arguments "
    f"plus \"{TOKEN_ARGUMENT}\" set to the token of that answer (valid 5 minutes, once)."
)


def confirmation_by_default(vals):
    """A new tool is confirmed when it is flagged for consent, or destructive and not read-only."""
    if vals.get("requires_user_consent"):
        return True
    return bool(vals.get("destructive_hint", True)) and not vals.get("read_only_hint", False)


class LlmTool(models.Model):
    _inherit = "llm.tool"

    requires_confirmation = fields.Boolean(
        string="Requires Confirmation",
        help="On: MCP clients ask the person before each call runs (a preview of the records and values, then "
             "accept or decline); a call not confirmed does nothing. New tools have it on when they are destructive "
             "or flagged for consent. Kept when the tool's code is reloaded.",
    )

    def _auto_init(self):
        # an existing database gets the default rule above for its tools when the column first appears
        new_column = not tools.sql.column_exists(self.env.cr, self._table, "requires_confirmation")
        result = super()._auto_init()
        if new_column:
            self.env.cr.execute("""
                UPDATE llm_tool SET requires_confirmation =
                       COALESCE(requires_user_consent, FALSE)
                    OR (COALESCE(destructive_hint, TRUE) AND NOT COALESCE(read_only_hint, FALSE))
            """)
        return result

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("requires_confirmation", confirmation_by_default(vals))
        return super().create(vals_list)

    def _catalog_entry(self, guarded_models):
        entry = super()._catalog_entry(guarded_models)
        return dataclasses.replace(entry, requires_confirmation=True) if self.requires_confirmation else entry


def mcp_definition(entry):
    """The MCP definition of ``entry``: a confirmed tool also takes ``confirmation_token`` and says how."""
    definition = dict(entry.definition)
    if not entry.requires_confirmation:
        return definition
    schema = dict(definition["inputSchema"])
    schema["properties"] = {**(schema.get("properties") or {}), TOKEN_ARGUMENT: _TOKEN_SCHEMA}
    definition["inputSchema"] = schema
    definition["description"] = (definition.get("description") or "") + _TOKEN_SENTENCE
    return definition
