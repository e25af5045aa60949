import json
import logging
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.llm_tool.models.llm_tool_builtin import CREDENTIAL_METHOD

from .. import json_input

_logger = logging.getLogger(__name__)

ARGUMENTS_MAX_CHARS = 4000
MESSAGE_MAX_CHARS = 2000
REDACTED = "[redacted]"
# Argument keys whose values never reach the audit log.
_SECRET_KEY = re.compile(r"pass(word|wd)?|token|api[_-]?key|secret|credential", re.IGNORECASE)
# An Odoo API key (40 hex digits) pasted into any value.
_KEY_LIKE = re.compile(r"\b[0-9a-fA-F]{40}\b")


def redact(value):
    """A copy of ``value`` with secrets replaced, at any depth.

    Withheld: values under secret-looking keys, anything shaped like an API key, and every argument of a
    method call whose method name is about credentials (odoo_call_method refuses those, but the refused
    call is audited too, and positional arguments have no key to go by).
    """
    if isinstance(value, dict):
        method = value.get("method")
        secret_call = isinstance(method, str) and CREDENTIAL_METHOD.search(method)
        return {
            key: REDACTED if (isinstance(key, str) and _SECRET_KEY.search(key))
            or (secret_call and key in ("args", "kwargs")) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return _KEY_LIKE.sub(REDACTED, value)
    return value


def arguments_for_audit(arguments):
    """Redacted JSON of the call's arguments, storable, cut to ARGUMENTS_MAX_CHARS."""
    if json_input.too_deep(arguments):
        return json.dumps({"not_stored": f"nested more than {json_input.MAX_DEPTH} levels deep"})
    text = json_input.storable(json.dumps(redact(arguments), ensure_ascii=False, default=str))
    if len(text) > ARGUMENTS_MAX_CHARS:
        text = text[: ARGUMENTS_MAX_CHARS - 20] + "…[truncated]"
    return text


class LlmMcpCall(models.Model):
    _name = "llm.mcp.call"
    _description = "MCP Call"
    _order = "id desc"
    _rec_name = "tool_name"

    user_id = fields.Many2one("res.users", required=True, readonly=True, index=True, ondelete="cascade")
    key_id = fields.Many2one("llm.mcp.key", string="MCP Key", readonly=True, index="btree_not_null",
                             ondelete="set null")
    key_name = fields.Char(readonly=True)
    oauth_client_id = fields.Many2one("llm.mcp.oauth.client", string="OAuth client", readonly=True,
                                      index="btree_not_null", ondelete="set null",
                                      help="The connected app whose access token made the call.")
    kind = fields.Selection(
        [("tool", "Tool call"), ("prompt", "Prompt")], required=True, default="tool", readonly=True, index=True,
        help="What the MCP client asked for: a tools/call, or a prompts/get (whose name is in Tool Name).",
    )
    tool_name = fields.Char(readonly=True)
    tool_id = fields.Many2one("llm.tool", readonly=True, ondelete="set null")
    prompt_id = fields.Many2one("llm.mcp.prompt", readonly=True, ondelete="set null")
    arguments = fields.Text(readonly=True, help="The call's arguments as JSON, secrets redacted, size-capped.")
    outcome = fields.Selection(
        [("ok", "OK"), ("tool_error", "Tool error"), ("invalid", "Invalid"), ("denied", "Denied"),
         ("rate_limited", "Rate limited"),
         ("confirmation_requested", "Confirmation requested"), ("confirmed", "Confirmed"), ("declined", "Declined"),
         ("expired", "Confirmation expired"), ("cancelled", "Cancelled")],
        required=True, readonly=True, index=True,
    )
    message = fields.Text(readonly=True)
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    client_name = fields.Char(readonly=True)
    client_version = fields.Char(readonly=True)
    request_id = fields.Char(readonly=True)
    protocol_version = fields.Char(readonly=True)
    create_date = fields.Datetime(index=True, readonly=True)

    @api.model
    def _log_call(self, mcp_key, *, tool_name, outcome, arguments=None, message=None, duration_ms=0,
                  tool_id=None, client=None, request_id=None, protocol_version=None, durable=True,
                  kind="tool", prompt_id=None):
        """Write the one audit row of an MCP call.

        A single INSERT on the hot path of every call (the ORM's create would also fetch the user for
        defaults and the clock); nobody can create rows through the ORM (see ir.model.access.csv).
        ``durable=False`` is for transactions that wrote nothing else: their commit then does not wait
        for the disk (synchronous_commit off, in the same round trip). PostgreSQL stays consistent; only a
        database crash in the next fraction of a second could lose such a row.
        """
        client = client if isinstance(client, dict) else {}
        self.env.cr.execute(SQL(
            """
            %s
            INSERT INTO llm_mcp_call (user_id, key_id, key_name, oauth_client_id, kind, tool_name, tool_id, prompt_id,
                                      arguments, outcome, message, duration_ms, client_name, client_version,
                                      request_id, protocol_version, create_uid, write_uid, create_date, write_date)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                    now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc')
            """,
            SQL() if durable else SQL("SET LOCAL synchronous_commit TO OFF;"),
            mcp_key.user_id, mcp_key.mcp_key_id, mcp_key.name, mcp_key.oauth_client_id, kind, _text(tool_name, 128),
            tool_id, prompt_id,
            arguments_for_audit(arguments) if arguments is not None else None, outcome,
            _text(message, MESSAGE_MAX_CHARS), duration_ms, _text(client.get("name"), 128),
            _text(client.get("version"), 64), _text(request_id, 128), _text(protocol_version, 32),
            mcp_key.user_id, mcp_key.user_id,
        ))

    def write(self, vals):
        if not self.env.su:
            raise AccessError(_("The MCP audit log cannot be changed."))
        return super().write(vals)

    def unlink(self):
        # only the retention job removes rows (it runs as superuser); nobody deletes them by hand or by RPC
        if not self.env.su:
            raise AccessError(_("MCP calls are removed only by the audit retention job."))
        return super().unlink()

    @api.model
    def _gc_old_calls(self):
        """Cron: delete the calls older than the retention setting (0 keeps everything)."""
        days = self.env["llm.mcp.config"].get_config().audit_retention_days
        if days <= 0:
            return
        self.env.cr.execute(SQL(
            "DELETE FROM llm_mcp_call WHERE create_date < (now() AT TIME ZONE 'utc') - make_interval(days => %s)",
            days,
        ))
        _logger.info("Pruned %d MCP calls older than %d days", self.env.cr.rowcount, days)


def _text(value, limit):
    if value is None or value is False:
        return None
    return json_input.storable(str(value)[:limit])
