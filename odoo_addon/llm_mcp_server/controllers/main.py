"""The endpoints the sidecar calls (docs/contract.md, version 1).

Every authenticated route is ``type='http'`` (``type='json'`` would answer a refused key with HTTP 200),
``csrf=False`` and ``save_session=False``: the only credential is the Authorization header, no cookie is
read or set. Authentication is ``auth='llm_mcp_key'`` (models/ir_http.py).
"""

import datetime
import json
import logging
import time

import psycopg2
import psycopg2.errors

from odoo import http, release
from odoo.http import request
from odoo.modules.module import get_manifest
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE, PG_CONCURRENCY_ERRORS_TO_RETRY

from odoo.addons.llm_tool.errors import ToolExecutionError, ToolInputError

from .. import json_input, oauth
from ..contract import ContractError, error_response, json_response
from ..models.llm_mcp_running_call import REQUEST_ID_MAX_CHARS
from ..result_budget import ResultTooLarge, fit

_logger = logging.getLogger(__name__)

_ROUTE = {"type": "http", "csrf": False, "save_session": False}


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


class CallRefused(ContractError):
    """A refused ``call``: the contract error plus what the audit row records about it."""

    def __init__(self, status, code, message, outcome, tool_id=None):
        super().__init__(status, code, message)
        self.outcome = outcome
        self.tool_id = tool_id


class McpEndpoints(http.Controller):
    @http.route("/llm_mcp/v1/health", auth="none", **_ROUTE)
    def health(self):
        if request.httprequest.method not in ("GET", "HEAD"):
            return error_response(ContractError(405, "method_not_allowed", "Use GET.", {"Allow": "GET, HEAD"}))
        return json_response({
            "status": "ok",
            "odoo_version": release.serie,
            "addon_version": get_manifest("llm_mcp_server").get("version"),
            "database": request.db,
            "oauth": self._oauth_challenge(),
        })

    def _oauth_challenge(self):
        """What the sidecar puts in its 401 challenge, or None when OAuth is off (docs/contract.md, OAuth)."""
        config = request.env(su=True)["llm.mcp.config"].get_config()
        if not config.oauth_enabled:
            return None
        return {"resource_metadata": config._oauth_urls()["resource_metadata"], "scope": oauth.SCOPE}

    @http.route("/llm_mcp/v1/identity", auth="llm_mcp_key", **_ROUTE)
    def identity(self):
        try:
            settings = self._enabled_settings()
            mcp_key = request.llm_mcp_key
            user = request.env.user
            visible = request.env["llm.mcp.config"]._mcp_visible_tools(mcp_key)
            token, expires = request.env["res.users.apikeys"]._llm_mcp_make_token(mcp_key)
            return json_response({
                "user": {
                    "id": user.id,
                    "login": user.login,
                    "name": user.name,
                    "lang": user.lang or None,
                    "tz": user.tz or None,
                    "company": {"id": user.company_id.id, "name": user.company_id.name},
                    "companies": [{"id": c.id, "name": c.name} for c in user.company_ids],
                },
                "database": request.db,
                "odoo_version": release.serie,
                "key": {
                    "id": mcp_key.apikey_id,
                    "name": mcp_key.name,
                    "scope": mcp_key.scope,
                    "read_only": mcp_key.read_only,
                    "allowed_tools": list(mcp_key.allowed_tools) if mcp_key.allowed_tools is not None else None,
                },
                "server": {"name": settings["server_name"], "instructions": settings["instructions"]},
                "tools_fingerprint": request.env["llm.mcp.config"]._mcp_fingerprint(visible),
                "token": token,
                "token_expires_at": datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%SZ"
                ),
            })
        except ContractError as error:
            return error_response(error)
        except Exception:
            return self._internal_error()

    @http.route("/llm_mcp/v1/tools", auth="llm_mcp_key", **_ROUTE)
    def tools(self):
        try:
            self._enabled_settings()
            Config = request.env["llm.mcp.config"]
            visible = Config._mcp_visible_tools(request.llm_mcp_key)
            return json_response({"fingerprint": Config._mcp_fingerprint(visible),
                                  "tools": Config._mcp_tool_definitions(visible)})
        except ContractError as error:
            return error_response(error)
        except Exception:
            return self._internal_error()

    @http.route("/llm_mcp/v1/call", auth="llm_mcp_key", **_ROUTE)
    def call(self):
        started = time.perf_counter()
        mcp_key = request.llm_mcp_key
        audit = {"tool_name": False, "arguments": None}
        try:
            body = self._json_body()
            audit.update(
                client=body.get("client"), request_id=body.get("request_id"),
                protocol_version=body.get("protocol_version"),
            )
            name, arguments = body.get("name"), body.get("arguments", {})
            if not isinstance(name, str) or not name:
                raise ContractError(400, "bad_request", "'name' (a string) is required.")
            audit["tool_name"] = name
            if arguments is None:
                arguments = {}
            if not isinstance(arguments, dict):
                raise ContractError(400, "bad_request", "'arguments' must be a JSON object.")
            audit["arguments"] = arguments
            settings = self._enabled_settings()
            entry = self._visible_entry(mcp_key, name)
            audit["tool_id"] = entry.id
            request.env["llm.mcp.rate.limit"]._check_call(mcp_key, write=not entry.read_only)
            problem = json_input.problem_of(arguments)
            if problem:
                return self._finish_call(started, audit, "invalid", self._tool_error(problem), message=problem)
            # a read-only tool leaves nothing but the audit row to commit: no need to wait for the disk
            audit["durable"] = not entry.read_only or settings["durable_read_audit"]
            # a tool a person confirms runs only on the retry that carries their acceptance (Confirmations)
            confirm_with = body.get("confirm_with")
            if confirm_with not in (None, "elicitation"):
                raise ContractError(400, "bad_request", "'confirm_with' must be \"elicitation\" or absent.")
            gate = request.env["llm.mcp.confirmation"]._gate(
                mcp_key, entry, arguments, body.get("confirmation"), confirm_with)
            if gate.answer is not None:
                return self._finish_call(started, audit, gate.outcome, json_response(gate.answer), message=gate.message)
            arguments = gate.arguments
            # registered (and committed) before the tool runs, so its caller can cancel it from any worker
            running = request.env["llm.mcp.running.call"]._start(mcp_key, audit["request_id"])
            failure = None
            try:
                # this request's transaction holds nothing but the tool's work: no savepoint needed, a
                # failed tool is undone by rolling the whole transaction back, then the audit row is written
                result = request.env["llm.tool"]._run_tool_entry(entry, arguments, savepoint=False)
            except (ToolInputError, ToolExecutionError, psycopg2.errors.QueryCanceled) as exc:
                failure = exc
            finally:
                cancelled = request.env["llm.mcp.running.call"]._finish(running)
            if cancelled:
                # whatever the tool did or returned: its caller said the result is unused (a tool busy in
                # Python when the cancellation came finishes, and is rolled back here)
                return self._cancelled_call(started, audit)
            if isinstance(failure, psycopg2.errors.QueryCanceled):
                raise failure  # not a cancellation of ours (a statement timeout): an unexpected failure
            if isinstance(failure, ToolInputError):
                return self._finish_call(started, audit, "invalid", self._tool_error(str(failure)),
                                         message=str(failure))
            if isinstance(failure, ToolExecutionError):
                return self._finish_call(started, audit, "tool_error", self._tool_error(str(failure)),
                                         message=str(failure))
            structured = result if isinstance(result, dict) else {"result": result}
            try:
                structured = fit(structured, settings["result_max_bytes"])
            except ResultTooLarge as exc:
                request.env.cr.rollback()  # a write whose answer cannot be given is not kept either
                message = (
                    f"The result is {exc.size} bytes, over the result budget of {exc.budget} bytes, and cannot "
                    "be cut: ask for less (fewer fields or records). Nothing was changed."
                )
                return self._finish_call(started, audit, "tool_error", self._tool_error(message), message=message)
            payload = {
                "content": [{"type": "text", "text": json.dumps(structured, ensure_ascii=False)},
                            *resource_link_blocks(structured)],
                "structuredContent": structured,
                "isError": False,
            }
            return self._finish_call(started, audit, gate.outcome_on_success, json_response(payload))
        except ContractError as error:
            outcome = getattr(error, "outcome", "invalid")  # CallRefused, RateLimited
            if isinstance(error, CallRefused) and error.tool_id:
                audit["tool_id"] = error.tool_id
            return self._finish_call(started, audit, outcome, error_response(error), message=error.message)
        except psycopg2.OperationalError as exc:
            # serialization failure, deadlock: Odoo replays the whole request (auth included) a few times;
            # on its last try, answer like any failed tool rather than with Odoo's HTML error page
            concurrency = exc.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY
            request.llm_mcp_attempt = getattr(request, "llm_mcp_attempt", 0) + 1
            if concurrency and request.llm_mcp_attempt < MAX_TRIES_ON_CONCURRENCY_FAILURE:
                raise
            _logger.warning("MCP call %r failed on try %d: %s", audit.get("tool_name"), request.llm_mcp_attempt, exc)
            request.env.cr.rollback()
            if not concurrency:
                error = ContractError(500, "internal_error",
                                      "Odoo could not complete the call; its log has the details.")
                return self._finish_call(started, audit, "tool_error", error_response(error), message=error.message)
            message = "Other changes to the same records were in progress; nothing was changed. Try again."
            return self._finish_call(started, audit, "tool_error", self._tool_error(message), message=message)
        except Exception:
            _logger.exception("MCP call %r failed unexpectedly", audit.get("tool_name"))
            request.env.cr.rollback()
            error = ContractError(500, "internal_error", "Odoo could not complete the call; its log has the details.")
            return self._finish_call(started, audit, "tool_error", error_response(error), message=error.message)

    @http.route("/llm_mcp/v1/cancel", auth="llm_mcp_key", **_ROUTE)
    def cancel(self):
        """Cancel the caller's own running call with this JSON-RPC id (docs/contract.md, cancel)."""
        try:
            body = self._json_body()
            request_id = body.get("request_id")
            if not isinstance(request_id, str) or not 0 < len(request_id) <= REQUEST_ID_MAX_CHARS \
                    or not json_input.storable(request_id) == request_id:
                raise ContractError(400, "bad_request", "'request_id' must be the JSON-RPC id of the call as text "
                                                        f"(1 to {REQUEST_ID_MAX_CHARS} characters).")
            found = request.env["llm.mcp.running.call"]._cancel(request.llm_mcp_key, request_id)
            return json_response({"cancelled": bool(found)})
        except ContractError as error:
            return error_response(error)
        except Exception:
            return self._internal_error()

    # -- helpers ---------------------------------------------------------------------------------------

    def _cancelled_call(self, started, audit):
        """Roll the cancelled call back and answer 409 ``cancelled``, with its one audit row."""
        error = ContractError(409, "cancelled", "The call was cancelled by its caller; nothing it did was kept.")
        request.env.cr.rollback()
        try:
            return self._finish_call(started, audit, "cancelled", error_response(error), message=error.message)
        except psycopg2.errors.QueryCanceled:
            # the cancellation's signal landed late, on the audit row itself; it is sent once per call
            request.env.cr.rollback()
            return self._finish_call(started, audit, "cancelled", error_response(error), message=error.message)

    def _enabled_settings(self):
        settings = request.env["llm.mcp.config"]._mcp_settings()
        if not settings["enabled"]:
            raise CallRefused(403, "mcp_disabled", "The MCP server is switched off in this database's settings.",
                              "denied")
        return settings

    def _json_body(self):
        try:
            body = json.loads(request.httprequest.get_data() or b"")
        except RecursionError:
            raise ContractError(400, "bad_request", "The body is nested too deep.") from None
        except ValueError:
            body = None
        if not isinstance(body, dict):
            message = "The body must be a JSON object."
            if request.httprequest.mimetype != "application/json":
                message += " Send it with Content-Type: application/json."
            raise ContractError(400, "bad_request", message)
        return body

    def _visible_entry(self, mcp_key, name):
        """The tool ``name`` if this user and key may run it; else 404 (denied or unknown, not saying which)."""
        entry = request.env["llm.mcp.config"]._mcp_visible_tool(mcp_key, name)
        if entry:
            return entry
        exists = request.env["llm.tool"]._tool_catalog().get(name)
        raise CallRefused(
            404, "unknown_tool", f"No tool named {name!r} is available to you.",
            outcome="denied" if exists else "invalid", tool_id=exists.id if exists else None,
        )

    def _tool_error(self, message):
        return json_response({"content": [{"type": "text", "text": message}], "isError": True})

    def _finish_call(self, started, audit, outcome, response, message=None):
        """Write the call's one audit row, then answer (every value is made storable by _log_call)."""
        request.env["llm.mcp.call"]._log_call(
            request.llm_mcp_key,
            tool_name=audit.get("tool_name"),
            tool_id=audit.get("tool_id"),
            outcome=outcome,
            arguments=audit.get("arguments"),
            message=message,
            duration_ms=round((time.perf_counter() - started) * 1000),
            client=audit.get("client"),
            request_id=audit.get("request_id"),
            protocol_version=audit.get("protocol_version"),
            durable=audit.get("durable", False),
        )
        return response

    def _internal_error(self):
        _logger.exception("MCP endpoint failed unexpectedly")
        request.env.cr.rollback()
        return error_response(ContractError(500, "internal_error", "Odoo could not answer; its log has the details."))
