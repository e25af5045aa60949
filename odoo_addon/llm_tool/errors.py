"""Typed failures of a tool run; the MCP endpoint maps each kind to an audit outcome in one place."""


class ToolError(Exception):
    """A tool could not give a result; ``str(error)`` is written for a person (and a model)."""


class ToolInputError(ToolError, ValueError):
    """The arguments were refused before the tool ran (missing, unknown or of the wrong type)."""


class ToolExecutionError(ToolError):
    """The tool ran and failed (access denied, validation error, missing record...); its writes were undone."""


class ToolDatabaseError(ToolExecutionError):
    """PostgreSQL refused a statement of the tool (its writes were undone). ``str(error)`` is a generic message
    naming the SQLSTATE ``pgcode``; ``detail`` (the database's own text, which may quote SQL or data) is for the
    server's log and the audit row only, never for the caller."""

    def __init__(self, message, pgcode, detail):
        super().__init__(message)
        self.pgcode = pgcode
        self.detail = detail
