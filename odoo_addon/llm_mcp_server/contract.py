"""Constants, errors and answer shapes of docs/contract.md (version 1), shared by the auth method, the models
and the routes: every route's error answer is made here, from a ContractError, in one place."""

import functools
import logging
from typing import NamedTuple

from odoo.http import request

_logger = logging.getLogger(__name__)

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


class CallRefused(ContractError):
    """A refused audited request: the contract error plus what the audit row records about it."""

    def __init__(self, status, code, message, outcome, tool_id=None):
        super().__init__(status, code, message)
        self.outcome = outcome
        self.tool_id = tool_id


class Answer(NamedTuple):
    """A contract answer before it becomes HTTP: its JSON payload (without ``contract``), status, headers."""

    payload: dict
    status: int = 200
    headers: tuple = ()


def refusal(error):
    """The Answer for a ContractError: ``{"error": {"code", "message", …details}}`` with its status."""
    return Answer({"error": {**error.details, "code": error.code, "message": error.message}}, error.status,
                  tuple(error.headers.items()))


def tool_error(message):
    """The Answer for a tool call that failed for a reason the model can act on (MCP ``isError``)."""
    return Answer({"content": [{"type": "text", "text": message}], "isError": True})


def internal_error(what="answer"):
    """The 500 of a request that failed unexpectedly (the details go to Odoo's log, not to the client)."""
    return ContractError(500, "internal_error", f"Odoo could not {what}; its log has the details.")


def json_response(payload, status=200, headers=None):
    """A contract answer: ``payload`` plus the contract version, as JSON."""
    return request.make_json_response({"contract": CONTRACT_VERSION, **payload}, headers=headers, status=status)


def respond(answer):
    """The HTTP response of an Answer."""
    return json_response(answer.payload, status=answer.status, headers=list(answer.headers))


def error_response(error):
    """The JSON answer for a ContractError: ``{"contract": 1, "error": {"code", "message", …details}}``."""
    return respond(refusal(error))


def answers_errors(route):
    """Decorates a contract route (under ``@http.route``): a ContractError becomes its answer, any other
    exception a logged, rolled-back 500 ``internal_error`` instead of Odoo's HTML error page."""

    @functools.wraps(route)
    def answering(*args, **kwargs):
        try:
            return route(*args, **kwargs)
        except ContractError as error:
            return error_response(error)
        except Exception:
            _logger.exception("MCP endpoint failed unexpectedly")
            request.env.cr.rollback()
            return error_response(internal_error())

    return answering
