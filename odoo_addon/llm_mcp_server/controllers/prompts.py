"""The prompt and completion endpoints of docs/contract.md ("Prompts and completions").

Same transport and authentication as the tool endpoints (controllers/main.py, whose body, settings and error
helpers are used as they are). ``prompt`` writes one audit row per request (kind "prompt"); listing and
completing read only names and labels the user may already see, and are not audited, like ``tools``.
"""

import logging
import time

from odoo import http
from odoo.http import request

from ..contract import ContractError, error_response, json_response
from ..models.llm_mcp_completion import UnknownReference
from ..models.llm_mcp_prompt import RECORD_ID, PromptArgumentError
from .main import _ROUTE, CallRefused, McpEndpoints

_logger = logging.getLogger(__name__)

# More prompts than this are paged; the sidecar follows nextCursor (docs/contract.md).
PROMPTS_PAGE_SIZE = 500


class McpPromptEndpoints(http.Controller):
    # the tool endpoints' helpers, which need nothing of their class but `request`
    _json_body = McpEndpoints._json_body
    _enabled_settings = McpEndpoints._enabled_settings
    _internal_error = McpEndpoints._internal_error

    @http.route("/llm_mcp/v1/prompts", auth="llm_mcp_key", **_ROUTE)
    def prompts(self):
        try:
            body = self._json_body()
            self._enabled_settings()
            cursor = body.get("cursor")
            if cursor is not None and not (isinstance(cursor, str) and RECORD_ID.fullmatch(cursor)):
                raise ContractError(400, "bad_request", "'cursor' must be a cursor from an earlier answer.")
            offset = int(cursor or 0)
            prompts = self._prompts_env()._mcp_available_prompts()
            page = prompts[offset:offset + PROMPTS_PAGE_SIZE]
            payload = {"prompts": [prompt._mcp_definition() for prompt in page]}
            if offset + PROMPTS_PAGE_SIZE < len(prompts):
                payload["nextCursor"] = str(offset + PROMPTS_PAGE_SIZE)
            return json_response(payload)
        except ContractError as error:
            return error_response(error)
        except Exception:
            return self._internal_error()

    @http.route("/llm_mcp/v1/prompt", auth="llm_mcp_key", **_ROUTE)
    def prompt(self):
        started = time.perf_counter()
        audit = {"name": False, "arguments": None, "prompt_id": None}

        def finish(outcome, response, message=None):
            request.env["llm.mcp.call"]._log_call(
                request.llm_mcp_key, kind="prompt", tool_name=audit["name"], prompt_id=audit["prompt_id"],
                outcome=outcome, arguments=audit["arguments"], message=message,
                duration_ms=round((time.perf_counter() - started) * 1000),
                client=audit.get("client"), request_id=audit.get("request_id"),
                protocol_version=audit.get("protocol_version"), durable=False,
            )
            return response

        try:
            body = self._json_body()
            audit.update(client=body.get("client"), request_id=body.get("request_id"),
                         protocol_version=body.get("protocol_version"))
            name, arguments = body.get("name"), body.get("arguments")
            if not isinstance(name, str) or not name:
                raise ContractError(400, "bad_request", "'name' (a string) is required.")
            audit["name"] = name
            arguments = {} if arguments is None else arguments
            if not isinstance(arguments, dict):
                raise ContractError(400, "invalid_arguments", "'arguments' must be an object of texts.")
            audit["arguments"] = arguments
            settings = self._enabled_settings()
            Prompt = self._prompts_env()
            prompt = Prompt._mcp_available_prompt(name)
            if not prompt:
                exists = Prompt.sudo().search([("name", "=", name)], limit=1)
                audit["prompt_id"] = exists.id or None
                raise CallRefused(404, "unknown_prompt", f"No prompt named {name!r} is available to you.",
                                  outcome="denied" if exists else "invalid")
            audit["prompt_id"] = prompt.id
            try:
                result = prompt._mcp_render(arguments, settings["result_max_bytes"])
            except PromptArgumentError as exc:
                request.env.cr.rollback()
                error = ContractError(400, "invalid_arguments", str(exc))
                return finish("invalid", error_response(error), message=error.message)
            request.env.cr.rollback()  # reading a prompt changes nothing: nothing but the audit row is kept
            return finish("ok", json_response(result))
        except ContractError as error:
            outcome = error.outcome if isinstance(error, CallRefused) else "invalid"
            return finish(outcome, error_response(error), message=error.message)
        except Exception:
            _logger.exception("MCP prompt %r failed unexpectedly", audit["name"])
            request.env.cr.rollback()
            error = ContractError(500, "internal_error", "Odoo could not fill the prompt; its log has the details.")
            return finish("tool_error", error_response(error), message=error.message)

    @http.route("/llm_mcp/v1/complete", auth="llm_mcp_key", **_ROUTE)
    def complete(self):
        try:
            body = self._json_body()
            self._enabled_settings()
            ref, argument, context = body.get("ref"), body.get("argument"), body.get("context") or {}
            if not isinstance(ref, dict) or not isinstance(ref.get("type"), str):
                raise ContractError(400, "bad_request", "'ref' must be an object with a 'type'.")
            if not isinstance(argument, dict) or not isinstance(argument.get("name"), str):
                raise ContractError(400, "bad_request", "'argument' must be an object with a 'name' and a 'value'.")
            arguments = context.get("arguments") if isinstance(context, dict) else None
            try:
                values, total, has_more = request.env["llm.mcp.completion"].with_context(
                    lang=request.env.user.lang
                )._complete(
                    ref, argument["name"], argument.get("value"), arguments if isinstance(arguments, dict) else {},
                )
            except UnknownReference as exc:
                raise ContractError(404, "unknown_reference", str(exc)) from None
            completion = {"values": values, "hasMore": bool(has_more)}
            if total is not None:
                completion["total"] = total
            return json_response({"completion": completion})
        except ContractError as error:
            return error_response(error)
        except Exception:
            return self._internal_error()

    def _prompts_env(self):
        """Prompts as the user, in their language (titles, descriptions and texts are translatable)."""
        return request.env["llm.mcp.prompt"].with_context(lang=request.env.user.lang)
