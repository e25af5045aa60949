"""The resource endpoints the sidecar calls (docs/contract.md, Resources).

Listing answers what the calling user and key may read; reading decides for them and writes one audit row
(``llm.mcp.call``, tool name ``resources/read``, the URI as its argument) per read, whatever its outcome.
Lists are not audited, as tool lists are not.
"""

import logging
import time

from odoo import http
from odoo.http import request

from ..contract import ContractError, error_response, json_response
from ..models.llm_mcp_resource import ResourceError
from .main import _ROUTE, McpEndpoints

_logger = logging.getLogger(__name__)

# audit outcome of each refusal: the key or a right forbids it, no such resource, it could not be made
_OUTCOMES = {403: "denied", 404: "invalid", 400: "invalid"}


class McpResourceEndpoints(McpEndpoints):
    @http.route("/llm_mcp/v1/resources", auth="llm_mcp_key", **_ROUTE)
    def resources(self):
        try:
            body = self._json_body()
            self._enabled_settings()
            cursor = body.get("cursor")
            if cursor is not None and not isinstance(cursor, str):
                raise ContractError(400, "bad_request", "'cursor' must be a string.")
            Resource = request.env["llm.mcp.resource"]
            page, next_cursor = Resource._mcp_list_page(Resource._mcp_resources(request.llm_mcp_key), cursor)
            return json_response({"resources": page, **({"nextCursor": next_cursor} if next_cursor else {})})
        except ResourceError as error:
            return error_response(ContractError(error.status, error.code, error.message))
        except ContractError as error:
            return error_response(error)
        except Exception:
            return self._internal_error()

    @http.route("/llm_mcp/v1/resource_templates", auth="llm_mcp_key", **_ROUTE)
    def resource_templates(self):
        try:
            self._json_body()
            self._enabled_settings()
            templates = request.env["llm.mcp.resource"]._mcp_templates(request.llm_mcp_key)
            return json_response({"resourceTemplates": templates})
        except ContractError as error:
            return error_response(error)
        except Exception:
            return self._internal_error()

    @http.route("/llm_mcp/v1/resource", auth="llm_mcp_key", **_ROUTE)
    def resource(self):
        started = time.perf_counter()
        audit = {"tool_name": "resources/read", "arguments": None}
        try:
            body = self._json_body()
            audit.update(
                client=body.get("client"), request_id=body.get("request_id"),
                protocol_version=body.get("protocol_version"),
            )
            uri = body.get("uri")
            if not isinstance(uri, str) or not uri:
                raise ContractError(400, "bad_request", "'uri' (a string) is required.")
            audit["arguments"] = {"uri": uri}
            settings = self._enabled_settings()
            try:
                contents = request.env["llm.mcp.resource"]._mcp_read(request.llm_mcp_key, uri, settings)
            except ResourceError as error:
                request.env.cr.rollback()
                outcome = _OUTCOMES.get(error.status, "tool_error")
                return self._finish_call(started, audit, outcome, error_response(
                    ContractError(error.status, error.code, error.message)), message=error.message)
            return self._finish_call(started, audit, "ok", json_response({"contents": contents}))
        except ContractError as error:
            outcome = "denied" if error.code == "mcp_disabled" else "invalid"
            return self._finish_call(started, audit, outcome, error_response(error), message=error.message)
        except Exception:
            _logger.exception("MCP resource read %r failed unexpectedly", (audit.get("arguments") or {}).get("uri"))
            request.env.cr.rollback()
            error = ContractError(500, "internal_error", "Odoo could not read the resource; its log has the details.")
            return self._finish_call(started, audit, "tool_error", error_response(error), message=error.message)
