"""Constants and response shapes of docs/contract.md (version 1), shared by the auth method and the routes."""

from odoo.http import request

CONTRACT_VERSION = 1
MCP_KEY_SCOPE = "mcp"
WWW_AUTHENTICATE = 'Bearer realm="odoo-mcp"'
TOKEN_HEADER = "X-LLM-MCP-Token"
TOKEN_HMAC_SCOPE = "llm_mcp_token"
TOKEN_TTL_SECONDS = 600


class ContractError(Exception):
    """A non-2xx answer of the contract: HTTP status, error code and a message for a person."""

    def __init__(self, status, code, message, headers=None, details=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        # further members of the body's "error" object (e.g. 429's "retry_after")
        self.details = details or {}


def json_response(payload, status=200, headers=None):
    """A contract answer: ``payload`` plus the contract version, as JSON."""
    return request.make_json_response({"contract": CONTRACT_VERSION, **payload}, headers=headers, status=status)


def error_response(error):
    """The JSON answer for a ContractError: ``{"contract": 1, "error": {"code", "message", …details}}``."""
    return json_response(
        {"error": {**error.details, "code": error.code, "message": error.message}}, status=error.status,
        headers=list(error.headers.items()),
    )
