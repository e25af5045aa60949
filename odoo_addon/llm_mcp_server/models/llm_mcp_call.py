import json
import logging
import re
import time

import psycopg2
import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.http import request
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE, PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.tools import SQL

from odoo.addons.llm_tool.errors import ToolDatabaseError, ToolExecutionError, ToolInputError
from odoo.addons.llm_tool.models.llm_tool_builtin import CREDENTIAL_METHOD

from .. import call_bounds, json_input
from ..contract import Answer, CallRefused, ContractError, internal_error, refusal, tool_error
from ..result_budget import ResultTooLarge, fit
from .llm_mcp_running_call import CANCELLED_BEFORE_START

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


def resource_link_blocks(structured):
    """The ``resource_link`` content blocks of a result's ``resource_links`` (files a tool points at)."""
    links = structured.get("resource_links")
    if not isinstance(links, list):
        return []
    return [
        {"type": "resource_link",
         **{k: v for k, v in link.items() if k in ("uri", "name", "title", "mimeType", "description", "size")}}
        for link in links
        if isinstance(link, dict) and isinstance(link.get("uri"), str) and isinstance(link.get("name"), str)
    ]


class AuditedRequest:
    """What the one audit row of a request (a tool call, a resource read, a prompt) will say, filled in as the
    request is read: whatever becomes of the request, that row is written (LlmMcpCall._mcp_audited)."""

    def __init__(self, mcp_key, kind="tool", tool_name=False):
        self.mcp_key = mcp_key
        self.kind = kind
        self.tool_name = tool_name
        self.tool_id = None
        self.prompt_id = None
        self.arguments = None
        self.client = self.request_id = self.protocol_version = None
        # a request that wrote nothing but its audit row need not wait for the disk (see _log_call)
        self.durable = False
        self.started = time.perf_counter()
        self.started_monotonic = time.monotonic()
        # the internal cause of a refusal, for the audit row only (never in the answer)
        self.detail = None

    def read(self, body):
        """Note who asks (the body's client, request id and protocol version); returns ``body``."""
        self.client, self.request_id = body.get("client"), body.get("request_id")
        self.protocol_version = body.get("protocol_version")
        return body


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
         ("rate_limited", "Rate limited"), ("too_many_running", "Too many running"),
         ("confirmation_requested", "Confirmation requested"), ("confirmed", "Confirmed"), ("declined", "Declined"),
         ("expired", "Confirmation expired"), ("cancelled", "Cancelled"), ("timed_out", "Timed out")],
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

    @api.model
    def _mcp_audited(self, audit, handle, subject, failure="answer"):
        """The Answer of ``handle()`` (which returns ``(outcome, Answer, message)``) after writing the request's
        audit row; a ContractError is answered as the refusal it is, any other exception as a logged 500.

        ``subject()`` names the request in the log ("call 'odoo_search'"); ``failure`` is what Odoo "could
        not" do, in the 500's message.
        """
        try:
            outcome, answer, message = handle()
        except ContractError as error:
            if isinstance(error, CallRefused) and error.tool_id:
                audit.tool_id = error.tool_id
            outcome, answer, message = getattr(error, "outcome", "invalid"), refusal(error), error.message
            if audit.detail:
                message = f"{message} [{audit.detail}]"  # what the client is not told (a database's own text)
        except Exception as exc:
            if request and getattr(request, "llm_mcp_replaying", None) is exc:
                raise  # Odoo replays the whole request (see _mcp_run_call): no answer, no audit row from this try
            _logger.exception("MCP %s failed unexpectedly", subject())
            self.env.cr.rollback()
            error = internal_error(failure)
            outcome, answer, message = "tool_error", refusal(error), error.message

        def log():
            self._log_call(
                audit.mcp_key, kind=audit.kind, tool_name=audit.tool_name, tool_id=audit.tool_id,
                prompt_id=audit.prompt_id, outcome=outcome, arguments=audit.arguments, message=message,
                duration_ms=round((time.perf_counter() - audit.started) * 1000), client=audit.client,
                request_id=audit.request_id, protocol_version=audit.protocol_version, durable=audit.durable,
            )

        try:
            log()
        except psycopg2.errors.QueryCanceled:
            if outcome != "cancelled":
                raise
            # the cancellation's signal landed late, on the audit row itself; it is sent once per call
            self.env.cr.rollback()
            log()
        return answer

    @api.model
    def _mcp_call(self, mcp_key, read_body):
        """The Answer of one ``call`` (docs/contract.md): the body (``read_body()``) checked, the key's and the
        settings' policy applied (visibility, rate limits, confirmation), the tool run as the user, its result
        fitted to the budget, and the call audited, whatever its outcome."""
        audit = AuditedRequest(mcp_key)
        return self._mcp_audited(audit, lambda: self._mcp_run_call(audit, read_body),
                                 subject=lambda: f"call {audit.tool_name!r}", failure="complete the call")

    def _mcp_run_call(self, audit, read_body):
        try:
            return self._mcp_run_tool(audit, read_body)
        except psycopg2.OperationalError as exc:
            # serialization failure, deadlock: Odoo replays the whole request (auth included) a few times;
            # on its last try, answer like any failed tool rather than with Odoo's HTML error page
            concurrency = exc.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY
            request.llm_mcp_attempt = getattr(request, "llm_mcp_attempt", 0) + 1
            if concurrency and request.llm_mcp_attempt < MAX_TRIES_ON_CONCURRENCY_FAILURE:
                request.llm_mcp_replaying = exc
                raise
            _logger.warning("MCP call %r failed on try %d: %s", audit.tool_name, request.llm_mcp_attempt, exc)
            self.env.cr.rollback()
            if not concurrency:
                error = internal_error("complete the call")
                return "tool_error", refusal(error), error.message
            message = self.env._("Other changes to the same records were in progress; nothing was changed. "
                                 "Try again.")
            return "tool_error", tool_error(message), message

    def _mcp_run_tool(self, audit, read_body):
        mcp_key = audit.mcp_key
        body = audit.read(read_body())
        name, arguments = body.get("name"), body.get("arguments", {})
        if not isinstance(name, str) or not name:
            raise ContractError(400, "bad_request", "'name' (a string) is required.")
        audit.tool_name = name
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ContractError(400, "bad_request", "'arguments' must be a JSON object.")
        audit.arguments = arguments
        if not isinstance(body.get("cancel_scope", ""), str):
            raise ContractError(400, "bad_request", "'cancel_scope' must be text.")
        Config = self.env["llm.mcp.config"]
        settings = Config._mcp_enabled_settings()
        entry = Config._mcp_callable_tool(mcp_key, name)
        audit.tool_id = entry.id
        self.env["llm.mcp.rate.limit"]._check_call(mcp_key, write=not entry.read_only)
        problem = json_input.problem_of(arguments)
        if problem:
            return "invalid", tool_error(problem), problem
        # a read-only tool leaves nothing but the audit row to commit: no need to wait for the disk
        audit.durable = not entry.read_only or settings["durable_read_audit"]
        # a tool a person confirms runs only on the retry that carries their acceptance (Confirmations)
        confirm_with = body.get("confirm_with")
        if confirm_with not in (None, "elicitation"):
            raise ContractError(400, "bad_request", "'confirm_with' must be \"elicitation\" or absent.")
        gate = self.env["llm.mcp.confirmation"]._gate(mcp_key, entry, arguments, body.get("confirmation"), confirm_with)
        if gate.answer is not None:
            return gate.outcome, Answer(gate.answer), gate.message
        Running = self.env["llm.mcp.running.call"]
        failure = None
        longest = settings["call_max_seconds"]
        subject = f"call {name!r}" + (f" (request {audit.request_id!r})" if audit.request_id else "")
        # the bound's SET LOCAL begins this request's transaction before the call is registered: the registry
        # tells a running call from a dead worker's row by its backend's transaction start (the cap of calls
        # running at once, cancellations), and the key check no longer runs on this cursor to begin it
        with call_bounds.bounded(self.env.cr, longest, subject):
            # registered (and committed) before the tool runs, so its caller can cancel it from any worker
            running = Running._start(mcp_key, audit.request_id, body.get("cancel_scope"))
            if running == CANCELLED_BEFORE_START:
                # cancelled while it waited for an Odoo worker (or before it got here): nothing ran, nothing to undo
                return self._cancelled_answer()
            try:
                # this request's transaction holds nothing but the tool's work: no savepoint needed, a
                # failed tool is undone by rolling the whole transaction back, then the audit row is written
                result = self.env["llm.tool"]._run_tool_entry(entry, gate.arguments, savepoint=False)
            except (ToolInputError, ToolExecutionError, psycopg2.errors.QueryCanceled) as exc:
                failure = exc
            finally:
                cancelled = Running._finish(running)
        if cancelled:
            # whatever the tool did or returned: its caller said the result is unused (a tool busy in Python
            # when the cancellation came finishes, and is rolled back here)
            self.env.cr.rollback()
            return self._cancelled_answer()
        if isinstance(failure, psycopg2.errors.QueryCanceled):
            self.env.cr.rollback()
            failure = self.env["llm.tool"]._database_error(entry, failure)
        if isinstance(failure, ToolDatabaseError) and call_bounds.is_stopped_statement(failure) \
                and call_bounds.ran_out_of_time(audit.started_monotonic, longest):
            # not cancelled (the registry's mark says so) and as long as the timeout: the Longest call setting
            message = self.env._(
                "The call ran longer than %(seconds)s seconds, the longest a call may run here, and was stopped; "
                "nothing it did was kept. Ask for less (a narrower domain, fewer records or groups).",
                seconds=longest,
            )
            return "timed_out", tool_error(message), message
        if isinstance(failure, ToolDatabaseError):
            # the caller reads a generic message; the database's own text is for the audit row and the log
            return "tool_error", tool_error(str(failure)), f"{failure} [{failure.detail}]"
        if isinstance(failure, ToolInputError):
            return "invalid", tool_error(str(failure)), str(failure)
        if isinstance(failure, ToolExecutionError):
            return "tool_error", tool_error(str(failure)), str(failure)
        structured = result if isinstance(result, dict) else {"result": result}
        try:
            structured = fit(structured, settings["result_max_bytes"])
        except ResultTooLarge as exc:
            self.env.cr.rollback()  # a write whose answer cannot be given is not kept either
            message = self.env._(
                "The result is %(size)s bytes, over the result budget of %(budget)s bytes, and cannot be cut: "
                "ask for less (fewer fields or records). Nothing was changed.", size=exc.size, budget=exc.budget,
            )
            return "tool_error", tool_error(message), message
        return gate.outcome_on_success, Answer({
            "content": [{"type": "text", "text": json.dumps(structured, ensure_ascii=False)},
                        *resource_link_blocks(structured)],
            "structuredContent": structured,
            "isError": False,
        }), None

    def _cancelled_answer(self):
        error = ContractError(409, "cancelled",
                              self.env._("The call was cancelled by its caller; nothing it did was kept."))
        return "cancelled", refusal(error), error.message

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
