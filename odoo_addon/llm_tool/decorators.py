"""The ``@llm_tool`` method decorator.

Same public shape as the ``llm_tool`` module of the apexive/odoo-llm project, so a method written for it
plugs in unchanged::

    from odoo.addons.llm_tool.decorators import llm_tool

    class SaleOrder(models.Model):
        _inherit = "sale.order"

        @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
        def quote_summary(self, order_id: int) -> dict:
            '''Summarise one quotation for the customer.'''

The decorator only marks the function; ``llm.tool._register_hook`` finds marked methods when the registry
loads and keeps one ``llm.tool`` record per method (unless ``xml_managed=True``, in which case a data file
owns the record). Extra keyword arguments are stored as metadata: the four MCP hints (``read_only_hint``,
``idempotent_hint``, ``destructive_hint``, ``open_world_hint``), ``requires_user_consent``, ``title``, and
``output_schema`` (a JSON Schema for results whose shape is fixed).
"""

import functools
import inspect
import logging

_logger = logging.getLogger(__name__)

# Python modules that define at least one decorated method: the registry scan only looks at classes
# coming from these modules instead of walking every attribute of every model.
DECORATED_MODULES = set()


def llm_tool(func=None, *, name=None, description=None, xml_managed=False, schema=None, **metadata):
    """Mark a model method as an LLM tool (usable bare, ``@llm_tool``, or with options)."""

    def decorator(f):
        tool_name = name or f.__name__
        tool_description = description or inspect.getdoc(f) or ""
        if not tool_description:
            _logger.warning("Tool %r has no docstring; models choose tools by their description.", tool_name)
        if schema is None:
            _require_type_hints(f, tool_name)

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            return f(*args, **kwargs)

        for target in (f, wrapper):
            target._is_llm_tool = True
            target._llm_tool_name = tool_name
            target._llm_tool_description = tool_description
            target._llm_tool_metadata = dict(metadata)
            target._llm_tool_xml_managed = xml_managed
            if schema is not None:
                target._llm_tool_schema = schema
        DECORATED_MODULES.add(f.__module__)
        return wrapper

    return decorator if func is None else decorator(func)


def _require_type_hints(func, tool_name):
    """Without a manual schema, the input schema comes from the type hints, so every parameter needs one."""
    for param_name, param in inspect.signature(func).parameters.items():
        if param_name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.annotation is inspect.Parameter.empty:
            raise ValueError(
                f"@llm_tool: parameter {param_name!r} of tool {tool_name!r} has no type hint; "
                f"add one (def {func.__name__}(self, {param_name}: str, ...)) or pass schema={{...}}."
            )


def is_llm_tool(func):
    """Whether ``func`` carries the ``@llm_tool`` mark."""
    return getattr(func, "_is_llm_tool", False)


def get_tool_metadata(func):
    """The decorator's data for ``func`` (name, description, metadata, schema), or None if not a tool."""
    if not is_llm_tool(func):
        return None
    return {
        "name": getattr(func, "_llm_tool_name", None),
        "description": getattr(func, "_llm_tool_description", None),
        "metadata": getattr(func, "_llm_tool_metadata", {}),
        "schema": getattr(func, "_llm_tool_schema", None),
    }
