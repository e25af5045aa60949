"""Typed failures of a tool run; the MCP endpoint maps each kind to an audit outcome in one place."""


class ToolError(Exception):
    """A tool could not give a result; ``str(error)`` is written for a person (and a model)."""


class ToolInputError(ToolError, ValueError):
    """The arguments were refused before the tool ran (missing, unknown or of the wrong type)."""


class ToolExecutionError(ToolError):
    """The tool ran and failed (access denied, validation error, missing record...); its writes were undone."""
