import dataclasses
import inspect
import json
import logging
import re
import types

import psycopg2
from psycopg2 import errorcodes

from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import _as_validation_error

from ..decorators import DECORATED_MODULES, is_llm_tool
from ..errors import ToolDatabaseError, ToolExecutionError, ToolInputError
from ..jsonify import to_json
from ..schema import SCHEMA_DIALECT, schema_from_signature, split_docstring, unsupported_keywords, validate_arguments

_logger = logging.getLogger(__name__)

TOOL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

# Concurrency failures must reach Odoo's request retry loop instead of becoming a tool error.
_RETRYABLE_PGCODES = {errorcodes.SERIALIZATION_FAILURE, errorcodes.DEADLOCK_DETECTED, errorcodes.LOCK_NOT_AVAILABLE}

_HINT_FIELDS = ("read_only_hint", "idempotent_hint", "destructive_hint", "open_world_hint", "requires_user_consent")


@dataclasses.dataclass(frozen=True)
class ToolEntry:
    """One runnable tool as cached for the whole registry: its MCP definition and how to run it."""

    id: int
    name: str
    definition: types.MappingProxyType  # the MCP tool definition; shared between requests, never mutate
    input_schema: dict
    read_only: bool
    requires_consent: bool
    model: str  # the model whose rights decide who sees the tool: the holder model, or the action's model
    method: str
    group_ids: frozenset
    # "function": an @llm_tool method of ``model``, run on an empty recordset; "implementation": the
    # ``<implementation>_execute`` method of the llm.tool record; "server_action": an ir.actions.server
    kind: str = "function"
    # the holder model has no access rules at all (abstract models never have): see _user_may_use
    open_holder: bool = False
    action_group_ids: frozenset = frozenset()  # the server action's own "Allowed Groups"
    # a person confirms each call before it runs (llm_mcp_server's llm.tool field of that name)
    requires_confirmation: bool = False


class LlmTool(models.Model):
    _name = "llm.tool"
    _inherit = ["llm.registry.cache.mixin"]  # _tool_catalog is cached for the whole registry
    _description = "LLM Tool"
    _order = "name"

    name = fields.Char(
        required=True,
        help="The name a model calls the tool by: letters, digits, '_', '.', '-' (at most 128).",
    )
    title = fields.Char(help="A short human-readable title.")
    description = fields.Text(help="What the tool does, written for a model: it decides from this when to call it.")
    implementation = fields.Selection(
        selection="_selection_implementation",
        required=True,
        default="function",
        help="How the tool is implemented: an @llm_tool method (Function), a server action, or the "
             "<implementation>_execute method a module adds to llm.tool.",
    )
    active = fields.Boolean(default=True)
    input_schema = fields.Text(
        string="Input Schema",
        help="JSON Schema of the arguments. Empty: derived from the method's signature and type hints.",
    )
    read_only_hint = fields.Boolean(
        string="Read Only", default=False,
        help="The tool does not modify anything. Only the tool's code can declare it "
             "(@llm_tool(read_only_hint=True)); server-action tools are never read-only.",
    )
    idempotent_hint = fields.Boolean(
        string="Idempotent", default=False, help="Calling it again with the same arguments has no further effect."
    )
    destructive_hint = fields.Boolean(
        string="Destructive", default=True, help="The tool may delete or overwrite data."
    )
    open_world_hint = fields.Boolean(
        string="Open World", default=True, help="The tool talks to systems outside this database."
    )
    requires_user_consent = fields.Boolean(
        default=False, help="Only offered to MCP clients when the MCP settings allow consent-flagged tools."
    )
    decorator_model = fields.Char(help="Model holding the @llm_tool method, e.g. 'sale.order'.")
    decorator_method = fields.Char(help="Name of the @llm_tool method.")
    group_ids = fields.Many2many(
        "res.groups",
        "llm_tool_res_groups_rel",
        "tool_id",
        "group_id",
        string="Groups",
        help="If set, only members of these groups may see and run the tool.",
    )
    # apexive-compatible fields: modules written for apexive's llm_tool set them in their data files
    default = fields.Boolean(
        default=False,
        help="Offered by default in the chat modules of apexive's LLM suite. MCP clients list every tool "
             "the user may use, so this flag changes nothing here.",
    )
    auto_update = fields.Boolean(
        default=True,
        help="On: at every start the record is updated from its @llm_tool decorator (description, hints, "
             "schema). Off: edits made here are kept.",
    )

    _sql_constraints = [("name_unique", "UNIQUE(name)", "A tool with this name already exists.")]

    @api.model
    def _selection_implementation(self):
        return self._get_available_implementations()

    @api.model
    def _get_available_implementations(self):
        """Hook: (value, label) pairs of the implementations modules provide.

        A value other than "function" is run by the ``<value>_execute`` method of llm.tool, which the
        module providing it defines (apexive's convention).
        """
        return [("function", _("Function"))]

    @api.constrains("name")
    def _check_name(self):
        for tool in self:
            if not TOOL_NAME_PATTERN.match(tool.name or ""):
                raise ValidationError(
                    _("Tool name %(name)r must be 1-128 letters, digits, '_', '.' or '-'.", name=tool.name)
                )

    @api.constrains("input_schema")
    def _check_input_schema(self):
        for tool in self.filtered("input_schema"):
            try:
                schema = json.loads(tool.input_schema)
            except ValueError as exc:
                raise ValidationError(_("The input schema of %(name)s is not JSON: %(error)s",
                                        name=tool.name, error=exc)) from exc
            if not isinstance(schema, dict) or schema.get("type", "object") != "object":
                raise ValidationError(_("The input schema of %(name)s must be an object schema.", name=tool.name))
            outside = unsupported_keywords(schema)
            if outside:
                raise ValidationError(_(
                    "The input schema of %(name)s uses keywords outside the subset MCP tools may use "
                    "(docs/contract.md, Schemas): %(where)s.", name=tool.name, where=", ".join(outside)))

    # -- registration of @llm_tool methods -----------------------------------------------------------------

    def _register_hook(self):
        super()._register_hook()
        try:
            with self.env.cr.savepoint():
                self._sync_decorated_tools(self._find_decorated_methods())
        except Exception:
            _logger.exception("Could not register the @llm_tool methods")

    @api.model
    def _find_decorated_methods(self):
        """{(model, method name): decorated function} for every @llm_tool method in the registry."""
        found = {}
        for model_name in list(self.env.registry):
            model_class = self.env.registry[model_name]
            for klass in model_class.__mro__:
                if klass.__module__ not in DECORATED_MODULES:
                    continue
                inherit = klass.__dict__.get("_inherit")
                owner = klass.__dict__.get("_name") or (inherit if isinstance(inherit, str) else (inherit or [None])[0])
                if owner != model_name:
                    continue  # a mixin's tool belongs to the mixin, not to every model inheriting it
                for attr, value in vars(klass).items():
                    if is_llm_tool(value) and not (model_name == self._name and attr.endswith("_execute")):
                        found.setdefault((model_name, attr), value)
        return found

    @api.model
    def _sync_decorated_tools(self, found):
        """Create or update one record per decorated method; writes only what changed."""
        tools_sudo = self.sudo().with_context(active_test=False)
        existing = tools_sudo.search([("implementation", "=", "function")])
        by_method = {(tool.decorator_model, tool.decorator_method): tool for tool in existing}
        taken = {tool.name: tool for tool in tools_sudo.search([])}
        for (model_name, method_name), func in found.items():
            if getattr(func, "_llm_tool_xml_managed", False):
                continue
            vals = self._values_from_decorator(model_name, method_name, func)
            tool = by_method.get((model_name, method_name))
            if tool:
                if not tool.auto_update:
                    continue
                changes = {key: value for key, value in vals.items() if tool[key] != value}
                if changes:
                    tool.write(changes)
            elif vals["name"] in taken:
                _logger.error(
                    "@llm_tool %s.%s: the name %r is already used by another tool; not registered",
                    model_name, method_name, vals["name"],
                )
            else:
                taken[vals["name"]] = tools_sudo.create(vals)
                _logger.info("Registered tool %r from %s.%s", vals["name"], model_name, method_name)

    @api.model
    def _values_from_decorator(self, model_name, method_name, func):
        metadata = getattr(func, "_llm_tool_metadata", {})
        description, _params = split_docstring(func._llm_tool_description)
        vals = {
            "name": func._llm_tool_name,
            "implementation": "function",
            "decorator_model": model_name,
            "decorator_method": method_name,
            "description": description,
            # what the code declares, and nothing else, makes a tool read-only (_effective_read_only)
            "read_only_hint": bool(metadata.get("read_only_hint")),
        }
        if metadata.get("title"):
            vals["title"] = metadata["title"]
        for hint in _HINT_FIELDS:
            if hint in metadata:
                vals[hint] = bool(metadata[hint])
        if getattr(func, "_llm_tool_schema", None) is not None:
            vals["input_schema"] = json.dumps(func._llm_tool_schema, indent=2)
        return vals

    # -- the catalog: tool definitions built once per registry, not per request ------------------------

    def _get_decorated_function(self):
        """The @llm_tool function (class attribute) this record points to, or None."""
        self.ensure_one()
        if self.decorator_model not in self.env.registry or not self.decorator_method:
            return None
        for klass in self.env.registry[self.decorator_model].__mro__:
            func = vars(klass).get(self.decorator_method)
            if func is not None and callable(func):
                return func if is_llm_tool(func) else None
        return None

    def _get_implementation_function(self):
        """The function that runs this tool (a class attribute, not bound), or None when it cannot run.

        "function": the @llm_tool method the record names: an undecorated method never runs, so no record
        (a data file, a manager's edit) can turn an arbitrary method into a tool. Any other implementation:
        ``<implementation>_execute`` on llm.tool, as apexive's llm_tool dispatches it.
        """
        self.ensure_one()
        if self.implementation == "function":
            return self._get_decorated_function()
        if self.implementation not in dict(self._get_available_implementations()):
            return None
        func = getattr(type(self), f"{self.implementation}_execute", None)
        return func if callable(func) else None

    def _get_implementation_method(self):
        """The bound method that runs this tool with the arguments as keyword arguments (apexive's name)."""
        self.ensure_one()
        func = self._get_implementation_function()
        if func is None:
            raise UserError(_("Tool %(name)s has no method to run.", name=self.name))
        if self.implementation == "function":
            return getattr(self.env[self.decorator_model], self.decorator_method)
        return getattr(self, func.__name__)

    def _tool_holder(self):
        """(model, method) the catalog entry of this tool runs; UserError (saying why) when it cannot run."""
        self.ensure_one()
        func = self._get_implementation_function()
        if func is None and self.implementation == "function":
            raise UserError(_("%(model)s has no @llm_tool method %(method)s", model=self.decorator_model,
                              method=self.decorator_method))
        if func is None:
            raise UserError(_("llm.tool has no method %(method)s_execute", method=self.implementation))
        if self.implementation == "function":
            return self.decorator_model, self.decorator_method
        return self._name, f"{self.implementation}_execute"

    def get_input_schema(self):
        """The tool's input schema: the stored override, else derived from the method signature."""
        self.ensure_one()
        if self.input_schema:
            schema = json.loads(self.input_schema)
            schema.setdefault("type", "object")
            return {"$schema": SCHEMA_DIALECT, **schema}
        func = self._get_implementation_function()
        if func is None:
            raise UserError(_("Tool %(name)s has no method to run.", name=self.name))
        if getattr(func, "_llm_tool_schema", None) is not None:
            return {"$schema": SCHEMA_DIALECT, "type": "object", **func._llm_tool_schema}
        return schema_from_signature(func)

    def _default_description(self, func):
        """The description when the record has none: the method's docstring."""
        if func is None:
            return ""
        return split_docstring(getattr(func, "_llm_tool_description", None) or inspect.getdoc(func) or "")[0]

    def get_tool_definition(self):
        """The MCP tool definition (name, title, description, inputSchema, outputSchema, annotations)."""
        self.ensure_one()
        func = self._get_implementation_function()
        title = self.title or self.name
        description = self.description or self._default_description(func)
        definition = {
            "name": self.name,
            "title": title,
            "description": description or title,
            "inputSchema": self.get_input_schema(),
        }
        output_schema = self._tool_output_schema(func)
        if output_schema:
            definition["outputSchema"] = output_schema
        definition["annotations"] = {
            "title": title,
            "readOnlyHint": self._effective_read_only(func),
            "destructiveHint": self.destructive_hint,
            "idempotentHint": self.idempotent_hint,
            "openWorldHint": self.open_world_hint,
        }
        return definition

    def _tool_output_schema(self, func):
        return func is not None and getattr(func, "_llm_tool_metadata", {}).get("output_schema") or None

    def _effective_read_only(self, func):
        """Whether the tool counts as read-only: only when its code says so.

        Read-only keys run exactly these tools, so neither an edit of the record (by hand, by a module's
        data file) nor a decorator that does not mention read_only_hint makes a method that may write look
        read-only: ``@llm_tool(read_only_hint=True)`` on the method that runs is the one way.
        """
        return bool(func is not None and is_llm_tool(func) and func._llm_tool_metadata.get("read_only_hint"))

    @api.model
    def _models_with_access_rules(self):
        """Models that have at least one access rule (ir.model.access), archived ones included."""
        self.env["ir.model.access"].flush_model()
        self.env.cr.execute("""
            SELECT DISTINCT m.model FROM ir_model_access a JOIN ir_model m ON m.id = a.model_id
        """)
        return {model for (model,) in self.env.cr.fetchall()}

    def _catalog_entry(self, guarded_models):
        """This tool's ToolEntry; UserError when it cannot run."""
        self.ensure_one()
        model, method = self._tool_holder()
        definition = self.get_tool_definition()
        # Odoo would ignore such a keyword where the sidecar's Ajv applies it: two verdicts for one schema
        outside = [f"{key} {where}" for key in ("inputSchema", "outputSchema")
                   for where in unsupported_keywords(definition.get(key))]
        if outside:
            raise UserError(_("its schemas use keywords outside the subset MCP tools may use: %(where)s",
                              where=", ".join(outside)))
        target = self.env[model]
        return ToolEntry(
            id=self.id,
            name=self.name,
            definition=types.MappingProxyType(definition),
            input_schema=definition["inputSchema"],
            read_only=definition["annotations"]["readOnlyHint"],
            requires_consent=self.requires_user_consent,
            model=model,
            method=method,
            group_ids=frozenset(self.group_ids.ids),
            kind="function" if self.implementation == "function" else "implementation",
            open_holder=target._abstract or model not in guarded_models,
        )

    @api.model
    @tools.ormcache()
    def _tool_catalog(self):
        """{name: ToolEntry} of every active tool that can run; cleared when a tool or an access rule changes."""
        catalog = {}
        guarded = self._models_with_access_rules()
        for tool in self.sudo().search([]):
            try:
                entry = tool._catalog_entry(guarded)
            except UserError as exc:
                _logger.warning("Tool %r left out of the catalog: %s", tool.name, exc.args[0] if exc.args else exc)
                continue
            except Exception:
                _logger.warning("Tool %r left out of the catalog: its definition failed", tool.name, exc_info=True)
                continue
            catalog[tool.name] = entry
        return types.MappingProxyType(catalog)

    @api.model
    def _available_tool_entries(self):
        """{name: ToolEntry} of the tools the current user (not the superuser) may see and run."""
        if not self.browse().has_access("read"):
            return {}
        user_groups = frozenset(self.env.user._get_group_ids())
        return {name: entry for name, entry in self._tool_catalog().items() if self._user_may_use(entry, user_groups)}

    @api.model
    def _available_tool_entry(self, name):
        """The ToolEntry ``name`` if the current user may run it, else None (checks only that tool)."""
        entry = self._tool_catalog().get(name)
        if entry and self.browse().has_access("read") and self._user_may_use(entry):
            return entry
        return None

    @api.model
    def _user_may_use(self, entry, user_groups=None):
        """Whether the current user (who may use tools at all) may see and run ``entry``.

        A tool is the user's when they are in one of its groups (if it has any) and may read the model
        that holds it. A holder model without any access rule (a pure namespace for tools, as apexive's
        ``account.tool.*``) is readable by nobody but the superuser, so that test would hide its tools from
        everyone: such tools are listed to every tool user and run on an empty recordset as that user, so
        the ORM calls in their body decide what the user gets (docs/security.md).
        """
        if user_groups is None:
            user_groups = frozenset(self.env.user._get_group_ids())
        if entry.group_ids and not entry.group_ids & user_groups:
            return False
        if entry.open_holder:
            return True
        return self.env[entry.model].browse().has_access("read")

    # -- running a tool ----------------------------------------------------------------------------------

    @api.model
    def _run_tool_entry(self, entry, arguments, savepoint=True):
        """Validate ``arguments`` and run the tool as the current user.

        Returns the JSON-ready result; raises ToolInputError (arguments refused, nothing ran) or
        ToolExecutionError (the tool failed). With ``savepoint`` (the default) whatever the tool wrote is
        rolled back on failure. ``savepoint=False`` is for a caller whose transaction holds nothing but this
        tool's work (the MCP endpoint): it saves two round trips per call, and on failure the whole
        transaction is rolled back instead.
        """
        validate_arguments(entry.input_schema, arguments)
        if entry.kind == "function":
            method = getattr(self.env[entry.model], entry.method)  # an empty recordset, as the user
        else:
            method = getattr(self.browse(entry.id), entry.method)  # <implementation>_execute of the record

        def run():
            result = method(**arguments)
            self.env.flush_all()  # constraint errors must surface here, as this tool's failure
            return to_json(result)

        try:
            if not savepoint:
                try:
                    return run()
                except Exception as exc:
                    retryable = isinstance(exc, psycopg2.Error) and exc.pgcode in _RETRYABLE_PGCODES
                    if not retryable:
                        self.env.cr.rollback()  # also makes the cursor usable to build the message
                    raise
            with self.env.cr.savepoint():
                return run()
        except ToolInputError:
            raise
        except psycopg2.Error as exc:
            if exc.pgcode in _RETRYABLE_PGCODES:
                raise
            if isinstance(exc, psycopg2.IntegrityError):
                raise ToolExecutionError(str(_as_validation_error(self.env, exc).args[0])) from exc
            raise self._database_error(entry, exc) from exc
        except UserError as exc:  # AccessError, ValidationError, MissingError are UserErrors
            raise ToolExecutionError(str(exc.args[0]) if exc.args else _("The operation was refused.")) from exc
        except ToolExecutionError:
            raise
        except Exception as exc:
            _logger.warning("Tool %s failed", entry.name, exc_info=True)
            raise ToolExecutionError(f"{type(exc).__name__}: {exc}"[:1000]) from exc

    @api.model
    def _database_error(self, entry, exc):
        """The ToolDatabaseError for ``exc``: a message that names its SQLSTATE only, since PostgreSQL's own text
        may quote SQL, data or the database's layout ("bad query", "memory exhausted"); that text goes to the
        log (and, through ``detail``, to the caller's audit row)."""
        detail = ((exc.pgerror or str(exc)).strip().splitlines() or [""])[0][:500]
        # a statement stopped on purpose (the caller's cancellation, a timeout the caller's server set) is no fault
        level = logging.INFO if exc.pgcode == errorcodes.QUERY_CANCELED else logging.WARNING
        _logger.log(level, "Tool %s: the database refused a statement (SQLSTATE %s): %s", entry.name, exc.pgcode,
                    detail)
        return ToolDatabaseError(
            _("The database could not complete the operation (SQLSTATE %(code)s); nothing was changed. The server's "
              "log has the details.", code=exc.pgcode or "unknown"),
            exc.pgcode, detail,
        )

    @api.private
    def execute(self, parameters):
        """Run this tool with ``parameters`` as the current user (apexive-compatible entry point)."""
        self.ensure_one()
        entry = self._tool_catalog().get(self.name)
        if entry is None:
            raise UserError(_("Tool %(name)s is not active or cannot run.", name=self.name))
        return self._run_tool_entry(entry, parameters or {})
