"""The prompt and completion endpoints of docs/contract.md ("Prompts and completions").

Same transport and authentication as the tool endpoints (controllers/main.py). ``prompt`` writes one audit row
per request (kind "prompt", llm.mcp.prompt._mcp_get); listing and completing read only names and labels the
user may already see, and are not audited, like ``tools``.
"""

from odoo import http
from odoo.http import request

from ..contract import ContractError, answers_errors, json_response, respond
from ..models.llm_mcp_completion import UnknownReference
from .main import _ROUTE, enabled_body, json_body


class McpPromptEndpoints(http.Controller):
    @http.route("/llm_mcp/v1/prompts", auth="llm_mcp_key", **_ROUTE)
    @answers_errors
    def prompts(self):
        return json_response(self._prompts_env()._mcp_list_page(enabled_body().get("cursor"), request.llm_mcp_key))

    @http.route("/llm_mcp/v1/prompt", auth="llm_mcp_key", **_ROUTE)
    def prompt(self):
        return respond(self._prompts_env()._mcp_get(request.llm_mcp_key, json_body))

    @http.route("/llm_mcp/v1/complete", auth="llm_mcp_key", **_ROUTE)
    @answers_errors
    def complete(self):
        body = enabled_body()
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
                request.llm_mcp_key,
            )
        except UnknownReference as exc:
            raise ContractError(404, "unknown_reference", str(exc)) from None
        completion = {"values": values, "hasMore": bool(has_more)}
        if total is not None:
            completion["total"] = total
        return json_response({"completion": completion})

    def _prompts_env(self):
        """Prompts as the user, in their language (titles, descriptions and texts are translatable)."""
        return request.env["llm.mcp.prompt"].with_context(lang=request.env.user.lang)
