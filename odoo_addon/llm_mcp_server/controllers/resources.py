"""The resource endpoints the sidecar calls (docs/contract.md, Resources).

Listing answers what the calling user and key may read; reading decides for them and writes one audit row
(``llm.mcp.call``, tool name ``resources/read``, the URI as its argument) per read, whatever its outcome
(llm.mcp.resource._mcp_read_request). Lists are not audited, as tool lists are not.
"""

from odoo import http
from odoo.http import request

from ..contract import ContractError, answers_errors, json_response, respond
from .main import _ROUTE, enabled_body, json_body


class McpResourceEndpoints(http.Controller):
    @http.route("/llm_mcp/v1/resources", auth="llm_mcp_key", **_ROUTE)
    @answers_errors
    def resources(self):
        cursor = enabled_body().get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise ContractError(400, "bad_request", "'cursor' must be a string.")
        Resource = request.env["llm.mcp.resource"]
        page, next_cursor = Resource._mcp_list_page(Resource._mcp_resources(request.llm_mcp_key), cursor)
        return json_response({"resources": page, **({"nextCursor": next_cursor} if next_cursor else {})})

    @http.route("/llm_mcp/v1/resource_templates", auth="llm_mcp_key", **_ROUTE)
    @answers_errors
    def resource_templates(self):
        enabled_body()
        templates = request.env["llm.mcp.resource"]._mcp_templates(request.llm_mcp_key)
        return json_response({"resourceTemplates": templates})

    @http.route("/llm_mcp/v1/resource", auth="llm_mcp_key", **_ROUTE)
    def resource(self):
        return respond(request.env["llm.mcp.resource"]._mcp_read_request(request.llm_mcp_key, json_body))
