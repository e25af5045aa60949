"""The built-in tools: generic access to any Odoo model, always as the calling user.

Each method is an ordinary ``@llm_tool`` method (so the registry treats them like any add-on's tools) and
``@api.private`` (so neither ``call_kw`` nor the ``odoo_call_method`` tool can reach them by RPC). They run
in the caller's environment: access rights, record rules, field groups and company rules apply as in the
web client.
"""

import datetime
import re
from typing import Annotated

from odoo import _, api, models
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.service.model import get_public_method

from ..decorators import llm_tool
from ..errors import ToolInputError

SEARCH_DEFAULT_LIMIT = 20
SEARCH_MAX_LIMIT = 200
IDS_MAX = 1000
MISSING_IDS_SHOWN = 10
AGGREGATE_MAX_GROUPS = 1000
# Fields worth showing when a search names none: the record's name plus the fields people recognise a
# record by. Anything else must be asked for (a partner has ~160 fields; returning them all is ~100 KB).
DEFAULT_FIELD_CANDIDATES = (
    "name", "ref", "default_code", "email", "phone", "state", "partner_id", "date_order", "date",
    "invoice_date", "amount_total", "list_price", "user_id", "company_id",
)
DEFAULT_FIELDS_MAX = 8
_UNSHOWN_BY_DEFAULT = {"binary", "one2many", "many2many", "html", "properties", "properties_definition", "json"}
# Models no generic tool reads, writes or calls, whoever the user is (admin included): credentials, sessions,
# system secrets and settings, logs. A model that follows an instruction injected into a record must not be
# able to read a secret or lift its own key's restrictions with them (docs/security.md). Add-ons extend
# the set with _tool_hidden_models (llm_mcp_server adds its keys, audit log and settings).
HIDDEN_MODELS = frozenset({
    "res.users.apikeys", "res.users.apikeys.description", "res.users.apikeys.show", "res.users.identitycheck",
    "change.password.wizard", "change.password.user", "change.password.own", "auth_totp.wizard",
    "res.users.deletion", "res.device", "res.device.log", "res.users.log",
    "ir.config_parameter", "res.config.settings", "ir.mail_server", "fetchmail.server",
    "ir.logging", "ir.profile", "ir.model.data",
    "llm.tool", "llm.tool.builtin",
})
# Models whose records run code or grant rights: readable (to understand the database), never created,
# changed, deleted or called through a generic tool, since that would let a key escape its restrictions.
READ_ONLY_MODELS = frozenset({
    "ir.actions.server", "ir.cron", "ir.cron.trigger", "base.automation", "ir.actions.actions",
    "ir.actions.act_window", "ir.actions.report", "ir.actions.client", "ir.actions.act_url",
    "ir.model", "ir.model.fields", "ir.model.fields.selection", "ir.model.constraint", "ir.model.relation",
    "ir.model.access", "ir.rule", "res.groups", "ir.ui.view", "ir.ui.menu", "ir.asset", "ir.default",
    "ir.module.module", "ir.module.module.dependency", "ir.module.category", "base.module.upgrade",
    "base.module.uninstall", "base.module.update", "base.language.install", "base.language.import",
    "ir.http", "ir.qweb", "ir.sequence", "mail.template", "res.users",
})
# Method names that manage credentials: odoo_call_method never calls them, on any model.
CREDENTIAL_METHOD = re.compile(r"pass(word|wd)|secret|token|api_?key|totp|credential|identity|signup|login", re.I)
# Field names that hold secrets (passwords, signup and access tokens, TOTP secrets, payment providers' keys):
# never read, searched, grouped by or written through a generic tool, on any model.
SECRET_FIELD = re.compile(r"passw|secret|token|api_?key|hmac|totp|private_key|credential", re.I)
# A secret carried in a URL's query (a portal access_token, a signup token): withheld from every result.
_SECRET_IN_URL = re.compile(r"([?&;](?:[\w-]*token|[\w-]*secret|api_?key|signature)=)[^&#\s\"'<>]+", re.I)
# The ORM's own reading and writing methods: odoo_call_method refuses them, because the dedicated tools
# (search, read, create, update, delete...) apply the checks above and these would bypass them.
GENERIC_ORM_METHODS = frozenset({
    "create", "write", "unlink", "copy", "copy_data", "copy_multi", "read", "search", "search_read",
    "search_count", "search_fetch", "fetch", "read_group", "web_read", "web_search_read", "web_save",
    "web_save_multi", "web_read_group", "read_progress_bar", "name_search", "web_name_search", "export_data",
    "load", "onchange", "default_get", "web_resequence", "browse", "exists",
    # the web client's search panel: a read_group and a search of any domain (red team, 2026-12-01)
    "search_panel_select_range", "search_panel_select_multi_range",
})
_AGGREGATE_FUNCTIONS = {"sum", "avg", "min", "max", "count", "count_distinct", "bool_and", "bool_or"}
_DOMAIN_OPERATORS = {"&", "|", "!"}
# Condition operators whose value is a domain on the field's comodel (Odoo 18): their sub-domains get the same
# checks as the top level, or a secret field could be searched through them (red team F1). Odoo compares
# operators case-insensitively, so these are matched lowercased.
_SUBDOMAIN_OPERATORS = {"any", "not any"}
SUBDOMAIN_MAX_DEPTH = 8
# The most conditions, and the most prefix operators, one domain may hold (sub-domains of any / not any
# included). The body alone (1 MiB) let a domain reach 30,000 conditions: PostgreSQL ran out of memory
# planning it, and 3,000 'not ilike' conditions held an Odoo worker for 10 s (red team, docs/security.md). The
# web client's filters, Odoo's own actions and record rules stay far below: the largest of the 1,586 domains in
# Odoo 18's addons' views, data and rules holds at most 40 conditions (docs/contract.md, call: Domains).
DOMAIN_MAX_CONDITIONS = 100
DOMAIN_MAX_OPERATORS = 100
# Odoo's x2many command codes (odoo.fields.Command) and what the write tools let through (red team F2, F4):
# odoo_create and odoo_update change only the records they name, so a command that writes, deletes or moves
# an existing related record is refused; odoo_update / odoo_delete on that record's model do it, with the
# confirmation they ask for.
_CREATE, _UPDATE, _DELETE, _UNLINK, _LINK, _CLEAR, _SET = range(7)
_COMMAND_NAMES = {_CREATE: "create", _UPDATE: "update", _DELETE: "delete", _UNLINK: "unlink", _LINK: "link",
                  _CLEAR: "clear", _SET: "set"}

ModelName = Annotated[str, "Technical model name, e.g. 'res.partner' or 'sale.order' (see odoo_list_models)."]
Domain = Annotated[
    list,
    {"items": {"type": ["string", "array"]}},
    "Odoo domain: a list of conditions [field, operator, value] combined with the prefix operators "
    "'&' (and, the default between conditions), '|' (or) and '!' (not). A field may be a dotted path "
    "('partner_id.country_id.code'). Operators: =, !=, >, >=, <, <=, like, ilike, not ilike, in, not in, "
    "child_of, parent_of, =like, =ilike, and any / not any with a domain on the related model "
    "(['child_ids', 'any', [['name', 'ilike', 'acme']]]). Example: ['|', ['name', 'ilike', 'acme'], ['email', 'ilike', "
    "'@acme.com']]. Empty: every record.",
]
Ids = Annotated[list[int], {"minItems": 1, "maxItems": IDS_MAX}, "Record ids."]
FieldNames = Annotated[
    list[str],
    "Field names to return (see odoo_describe_model). Omitted: the record's name and a few key fields.",
]

_RECORDS_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]},
}
_IDS_SCHEMA = {"type": "array", "items": {"type": "integer"}}


class LlmToolBuiltin(models.AbstractModel):
    _name = "llm.tool.builtin"
    _description = "LLM built-in Odoo tools"

    # -- reading --------------------------------------------------------------------------------------

    @llm_tool(
        title="Search records",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={
            "type": "object",
            "properties": {
                "records": _RECORDS_SCHEMA,
                "total": {"type": "integer", "description": "Records matching the domain."},
                "has_more": {"type": "boolean", "description": "More records exist after this page."},
            },
            "required": ["records", "total", "has_more"],
        },
    )
    @api.private
    def odoo_search(
        self,
        model: ModelName,
        domain: Domain = None,
        fields: FieldNames = None,
        limit: Annotated[int, {"minimum": 1, "maximum": SEARCH_MAX_LIMIT}, "Page size."] = SEARCH_DEFAULT_LIMIT,
        offset: Annotated[int, {"minimum": 0}, "Records to skip, for paging."] = 0,
        order: Annotated[str, "Sort order, e.g. 'date_order desc, id'."] = None,
    ) -> dict:
        """Search records of an Odoo model with a domain and return a page of them.

        Many2one fields come back as {"id", "name"}, binary fields as a size marker, dates as
        'YYYY-MM-DD' and datetimes as 'YYYY-MM-DD HH:MM:SS' in UTC. Use `total` and `has_more` with
        `offset` to page through large result sets, or odoo_count / odoo_aggregate for figures.
        """
        Model = self._tool_model(model).with_context(bin_size=True)
        domain = self._tool_domain(Model, domain)
        field_names = self._tool_field_names(Model, fields)
        self._tool_check_order(Model, order)
        # like search_read: the search applied the record rules, so the rows need no second access check
        records = Model.search_fetch(domain, field_names, offset=offset, limit=limit, order=order)
        rows = records._read_format(field_names)
        if offset == 0 and len(records) < limit:
            total = len(records)
        else:
            total = Model.search_count(domain)
        return {
            "records": self._tool_format_rows(records, rows),
            "total": total,
            "has_more": offset + len(records) < total,
        }

    @llm_tool(
        title="Read records",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={"type": "object", "properties": {"records": _RECORDS_SCHEMA}, "required": ["records"]},
    )
    @api.private
    def odoo_read(self, model: ModelName, ids: Ids, fields: FieldNames = None) -> dict:
        """Read records of an Odoo model by id (same value formats as odoo_search)."""
        Model = self._tool_model(model)
        records = self._tool_existing(Model, ids)
        field_names = self._tool_field_names(Model, fields)
        return {"records": self._tool_format_records(records, field_names)}

    @llm_tool(
        title="Count records",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={"type": "object", "properties": {"count": {"type": "integer"}}, "required": ["count"]},
    )
    @api.private
    def odoo_count(self, model: ModelName, domain: Domain = None) -> dict:
        """Count the records of an Odoo model that match a domain."""
        Model = self._tool_model(model)
        return {"count": Model.search_count(self._tool_domain(Model, domain))}

    @llm_tool(
        title="Aggregate records",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={
            "type": "object",
            "properties": {"groups": {"type": "array", "items": {"type": "object"}}},
            "required": ["groups"],
        },
    )
    @api.private
    def odoo_aggregate(
        self,
        model: ModelName,
        groupby: Annotated[
            list[str],
            "Fields to group by; dates take a granularity: 'date_order:month' (day, week, month, quarter, "
            "year). Empty: one group with the totals.",
        ],
        aggregates: Annotated[
            list[str],
            "Values per group: '__count' or 'field:function' with sum, avg, min, max, count, "
            "count_distinct, e.g. 'amount_total:sum'.",
        ] = ("__count",),
        domain: Domain = None,
        order: Annotated[str, "Order of the groups, e.g. 'amount_total:sum desc'."] = None,
        limit: Annotated[int, {"minimum": 1, "maximum": AGGREGATE_MAX_GROUPS}, "Groups at most."] = 100,
    ) -> dict:
        """Group records of an Odoo model and compute totals per group (sums, averages, counts...).

        Each group is an object keyed by the groupby and aggregate specs as given, e.g.
        {"date_order:month": "2026-11-01", "amount_total:sum": 1250.0}; a many2one group value is
        {"id", "name"}, a date group value the first day of the period.
        """
        Model = self._tool_model(model)
        for spec in aggregates:
            fname, _sep, function = spec.partition(":")
            if spec != "__count" and (fname not in Model._fields or function not in _AGGREGATE_FUNCTIONS):
                raise UserError(_(
                    "Invalid aggregate %(spec)r: use '__count' or 'field:function' with a field of %(model)s "
                    "and one of %(functions)s.",
                    spec=spec, model=model, functions=", ".join(sorted(_AGGREGATE_FUNCTIONS)),
                ))
        field_names = {spec.partition(":")[0] for spec in [*groupby, *aggregates] if spec != "__count"}
        Model.check_field_access_rights("read", [name.split(".")[0] for name in field_names])
        for name in field_names:
            self._tool_check_path(Model, name)
        self._tool_check_order(Model, order)
        rows = Model._read_group(
            self._tool_domain(Model, domain), groupby, aggregates, order=order or None, limit=limit
        )
        specs = [*groupby, *aggregates]
        return {"groups": [{spec: self._tool_group_value(spec, value) for spec, value in zip(specs, row)}
                           for row in rows]}

    @llm_tool(
        title="List models",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={
            "type": "object",
            "properties": {
                "models": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"model": {"type": "string"}, "name": {"type": "string"}},
                        "required": ["model", "name"],
                    },
                },
            },
            "required": ["models"],
        },
    )
    @api.private
    def odoo_list_models(
        self, query: Annotated[str, "Only models whose technical name or label contains this text."] = None
    ) -> dict:
        """List the Odoo models you may read, with their labels (e.g. sale.order: Sales Order)."""
        needle = (query or "").lower()
        hidden = self._tool_hidden_models()
        found = []
        for name in sorted(self.env.registry):
            Model = self.env[name]
            if Model._abstract or Model._transient or name in hidden:
                continue
            label = Model._description or name
            if needle and needle not in name.lower() and needle not in label.lower():
                continue
            if Model.browse().has_access("read"):
                found.append({"model": name, "name": label})
        return {"models": found}

    @llm_tool(
        title="Describe a model",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={
            "type": "object",
            "properties": {
                "model": {"type": "string"},
                "name": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "object"}},
            },
            "required": ["model", "name", "fields"],
        },
    )
    @api.private
    def odoo_describe_model(
        self,
        model: ModelName,
        fields: Annotated[list[str], "Only these fields."] = None,
        query: Annotated[str, "Only fields whose name or label contains this text."] = None,
    ) -> dict:
        """Describe the fields of an Odoo model you may read: type, label, required, readonly, relation,
        selection values and help. Use it before searching or writing a model you do not know."""
        Model = self._tool_model(model)
        Model.browse().check_access("read")
        attributes = ["type", "string", "required", "readonly", "relation", "selection", "help", "store"]
        described = Model.fields_get(allfields=fields or None, attributes=attributes)
        needle = (query or "").lower()
        result = {}
        for name, info in sorted(described.items()):
            if needle and needle not in name.lower() and needle not in (info.get("string") or "").lower():
                continue
            entry = {key: info[key] for key in ("type", "string", "required", "readonly", "store") if key in info}
            if info.get("relation"):
                entry["relation"] = info["relation"]
            if isinstance(info.get("selection"), list):
                entry["selection"] = [[value, label] for value, label in info["selection"]]
            if info.get("help"):
                entry["help"] = info["help"]
            result[name] = entry
        return {"model": model, "name": Model._description or model, "fields": result}

    # -- writing ----------------------------------------------------------------------------------------

    @llm_tool(
        title="Create records",
        read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False,
        output_schema={"type": "object", "properties": {"ids": _IDS_SCHEMA, "records": _RECORDS_SCHEMA},
                       "required": ["ids", "records"]},
    )
    @api.private
    def odoo_create(
        self,
        model: ModelName,
        values: Annotated[
            dict | list[dict],
            "Field values of the new record, or a list of them to create several at once. Many2one: an "
            "id; one2many: new lines only, [[0, 0, {values}], ...]; many2many: [[6, 0, [ids]]] (set), "
            "[[4, id]] (add), [[3, id]] (remove) or [[0, 0, {values}]]. Existing related records are changed "
            "or deleted with odoo_update / odoo_delete on their own model.",
        ],
    ) -> dict:
        """Create one or several records of an Odoo model. All or nothing: if one fails, none is created."""
        Model = self._tool_model(model, write=True)
        vals_list = [values] if isinstance(values, dict) else values
        if not vals_list:
            raise UserError(_("Nothing to create: 'values' is empty."))
        for vals in vals_list:
            self._tool_check_values(Model, vals)
        records = Model.create(vals_list)
        return {"ids": records.ids, "records": [{"id": r.id, "display_name": r.display_name} for r in records]}

    @llm_tool(
        title="Update records",
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False,
        output_schema={"type": "object", "properties": {"updated": {"type": "integer"}, "ids": _IDS_SCHEMA},
                       "required": ["updated", "ids"]},
    )
    @api.private
    def odoo_update(
        self,
        model: ModelName,
        ids: Ids,
        values: Annotated[dict, "Field values to write on every record (same formats as odoo_create)."],
    ) -> dict:
        """Write the same field values on records of an Odoo model. All or nothing."""
        Model = self._tool_model(model, write=True)
        self._tool_check_values(Model, values)
        records = self._tool_existing(Model, ids, "write")
        records.write(values)
        return {"updated": len(records), "ids": records.ids}

    @llm_tool(
        title="Delete records",
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False,
        output_schema={"type": "object", "properties": {"deleted": {"type": "integer"}, "ids": _IDS_SCHEMA},
                       "required": ["deleted", "ids"]},
    )
    @api.private
    def odoo_delete(self, model: ModelName, ids: Ids) -> dict:
        """Delete records of an Odoo model by id. All or nothing. Prefer archiving (odoo_update with
        active=false) for records other documents refer to."""
        Model = self._tool_model(model, write=True)
        records = self._tool_existing(Model, ids, "unlink")
        count = len(records)
        records.unlink()
        return {"deleted": count, "ids": list(ids)}

    @llm_tool(
        title="Call a model method",
        read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=True,
    )
    @api.private
    def odoo_call_method(
        self,
        model: ModelName,
        method: Annotated[str, "A public method, e.g. 'action_confirm' on sale.order "
                               "or 'action_post' on account.move."],
        ids: Annotated[list[int], "Records to call it on; omit for a model-level method."] = None,
        args: Annotated[list, "Positional arguments after the records."] = None,
        kwargs: Annotated[dict, "Keyword arguments."] = None,
    ) -> dict:
        """Call a public business method of an Odoo model, as a button in the web client would: confirm a
        quotation, post an invoice, validate a transfer. Methods starting with '_' cannot be called."""
        Model = self._tool_model(model, write=True)
        function = self._tool_callable_method(Model, method, kwargs, args)
        call_args = list(args or [])
        if getattr(function, "_api", None):
            if ids:
                raise UserError(_("%(method)s is a model-level method: call it without ids.", method=method))
        else:
            if not ids:
                raise UserError(_("%(method)s works on records: pass their ids.", method=method))
            self._tool_existing(Model, ids)
            call_args = [ids, *call_args]
        result = api.call_kw(Model, method, call_args, dict(kwargs or {}))
        return {"result": scrub(result)}

    # -- helpers ------------------------------------------------------------------------------------------

    @api.model
    def _tool_callable_method(self, Model, method, kwargs=None, args=None):
        """The public business method ``method`` of ``Model`` odoo_call_method may call; refuses any other, and
        arguments over the domain bound (_tool_check_call_domains)."""
        if not isinstance(method, str) or CREDENTIAL_METHOD.search(method):
            raise AccessError(_("%(method)r manages credentials or identities: it cannot be called through MCP "
                                "tools.", method=method))
        if method in GENERIC_ORM_METHODS:
            raise UserError(_("%(method)s is not a business method: use odoo_search, odoo_read, odoo_create, "
                              "odoo_update or odoo_delete instead.", method=method))
        if kwargs and "context" in kwargs:
            # context keys such as default_<field> would reach every record the method creates, past the checks
            raise UserError(_("A context cannot be passed through odoo_call_method."))
        self._tool_check_call_domains(args, kwargs)
        try:
            return get_public_method(Model, method)
        except AttributeError as exc:
            raise UserError(_("%(model)s has no method %(method)r.", model=Model._name, method=method)) from exc

    @api.model
    def _tool_hidden_models(self):
        """Hook: models no generic tool reads, writes or calls (see HIDDEN_MODELS)."""
        return HIDDEN_MODELS

    @api.model
    def _tool_read_only_models(self):
        """Hook: models the generic tools may read but never change or call (see READ_ONLY_MODELS)."""
        return READ_ONLY_MODELS

    @api.model
    def _tool_model(self, model, write=False):
        """The model named ``model`` for a tool; refuses unknown, hidden and (when ``write``) read-only ones."""
        if not isinstance(model, str) or model not in self.env.registry or self.env[model]._abstract:
            raise UserError(_("Unknown model %(model)r. odoo_list_models lists the models you may use.", model=model))
        if model in self._tool_hidden_models():
            raise AccessError(_("%(model)s is not available to MCP tools: it holds credentials, secrets or the "
                                "server's own settings.", model=model))
        if self.env[model]._transient:
            # wizards are the web client's, and some write anywhere (base_import.import imports into any model)
            raise AccessError(_("%(model)s is a wizard of the web client: it is not available to MCP tools.",
                                model=model))
        if write and model in self._tool_read_only_models():
            raise AccessError(_("%(model)s can be read but not changed through MCP tools: its records run code "
                                "or grant rights. Use the web client.", model=model))
        return self.env[model]

    @api.model
    def _tool_check_path(self, Model, path):
        """Refuse a field path (``partner_id.country_id.code``) that reaches a hidden model."""
        hidden = self._tool_hidden_models()
        for name in path.split("."):
            if SECRET_FIELD.search(name):
                raise AccessError(_("Field %(field)s of %(model)s holds a secret: MCP tools do not read, search or "
                                    "write it.", field=name, model=Model._name))
            field = Model._fields.get(name)
            if field is None:
                return  # unknown fields are Odoo's to report
            if field.relational:
                if field.comodel_name in hidden:
                    raise AccessError(_("Field %(field)s of %(model)s leads to %(comodel)s, which is not available "
                                        "to MCP tools.", field=name, model=Model._name, comodel=field.comodel_name))
                Model = self.env[field.comodel_name]
            elif field.type == "many2one_reference" and field.model_field:
                return  # the target model is data; reading the id alone reveals nothing hidden

    @api.model
    def _tool_check_values(self, Model, values, depth=0):
        """Refuse values (create/write) that reach a hidden model, hold a secret field or change records other
        than the ones being created or written (x2many commands on existing records), at any depth."""
        if not isinstance(values, dict):
            return
        if depth > 8:
            raise UserError(_("Values nested more than 8 levels deep are not accepted."))
        for name, value in values.items():
            if not isinstance(name, str):
                continue
            self._tool_check_path(Model, name)
            field = Model._fields.get(name)
            if field is not None and field.type in ("one2many", "many2many"):
                self._tool_check_x2many(Model, field, value, depth)

    @api.model
    def _tool_check_x2many(self, Model, field, value, depth):
        """Refuse an x2many value whose commands would change existing records of the comodel.

        Allowed: create new related records (0, checked like values of the comodel), and on a many2many
        field link (4), unlink (3), clear (5) and set (6): they change the relation, not the records. Refused:
        update (1) and delete (2) everywhere, and on a one2many field every command that takes an existing
        line (3, 4, 5, 6: the line's parent changes, or an unlinked line is deleted or orphaned). Odoo reads
        False as clear and a list of ids as set (fields._RelationalMulti.write_batch): checked as such.
        """
        comodel = self.env[field.comodel_name]
        where = f"{Model._name}.{field.name}"
        if value is False or value is None:
            commands = [[_CLEAR]]
        elif not isinstance(value, (list, tuple)):
            raise UserError(_("%(field)s takes a list of commands such as [[0, 0, {values}]] or [[6, 0, [ids]]], "
                              "got %(value)r.", field=where, value=value))
        elif value and not isinstance(value[0], (list, tuple)):
            commands = [[_SET, 0, list(value)]]
        else:
            commands = value
        for command in commands:
            if not isinstance(command, (list, tuple)) or not command:
                raise UserError(_("%(field)s: %(command)r is not a command: use [code, id, values], e.g. "
                                  "[0, 0, {values}] or [4, id].", field=where, command=command))
            code = command[0]
            # the exact type: Odoo compares codes with ==, so True would be update and 2.0 delete
            if type(code) is not int or code not in _COMMAND_NAMES:
                raise UserError(_("%(field)s: %(command)r does not start with a command code 0-6.",
                                  field=where, command=command))
            if code == _CREATE:
                if len(command) != 3 or not isinstance(command[2], dict):
                    raise UserError(_("%(field)s: a create command is [0, 0, {values}], got %(command)r.",
                                      field=where, command=command))
                if comodel._name in self._tool_read_only_models():
                    raise AccessError(_(
                        "Field %(field)s of %(model)s would change %(comodel)s records, which MCP tools "
                        "cannot change.", field=field.name, model=Model._name, comodel=comodel._name,
                    ))
                self._tool_check_values(comodel, command[2], depth + 1)
            elif code == _UPDATE:
                raise UserError(_(
                    "%(field)s: command %(command)r would change an existing %(comodel)s record in place. "
                    "odoo_create and odoo_update change only the records they name: use odoo_update on "
                    "%(comodel)s for that record.", field=where, command=command, comodel=comodel._name,
                ))
            elif code == _DELETE:
                raise UserError(_(
                    "%(field)s: command %(command)r would delete an existing %(comodel)s record. odoo_create "
                    "and odoo_update change only the records they name: use odoo_delete on %(comodel)s, which "
                    "asks for a confirmation.", field=where, command=command, comodel=comodel._name,
                ))
            elif field.type == "one2many":
                raise UserError(_(
                    "%(field)s is a one2many field: command %(command)r (%(name)s) would move, delete or orphan "
                    "existing %(comodel)s records. Only new lines can be added here ([0, 0, {values}]); use "
                    "odoo_update on %(comodel)s to move a line (its %(inverse)s) and odoo_delete to remove one, "
                    "which asks for a confirmation.", field=where, command=command, name=_COMMAND_NAMES[code],
                    comodel=comodel._name, inverse=field.inverse_name or _("parent field"),
                ))
            elif code in (_UNLINK, _LINK):
                if len(command) < 2 or type(command[1]) is not int:
                    raise UserError(_("%(field)s: a %(name)s command is [%(code)s, id] with an integer id, got "
                                      "%(command)r.", field=where, name=_COMMAND_NAMES[code], code=code,
                                      command=command))
            elif code == _SET:
                ids = command[2] if len(command) == 3 else None
                if not isinstance(ids, (list, tuple)) or any(type(i) is not int for i in ids):
                    raise UserError(_("%(field)s: a set command is [6, 0, [ids]] with integer ids, got "
                                      "%(command)r.", field=where, command=command))

    @api.model
    def _tool_check_domain(self, Model, domain, depth=0):
        """Refuse a domain whose conditions, at any depth of any/not any sub-domains, use a secret field or a
        path to a hidden model; each sub-domain is checked against its field's comodel."""
        for item in domain:
            if not isinstance(item, (list, tuple)) or len(item) != 3 or not isinstance(item[0], str):
                continue
            path, operator, value = item
            self._tool_check_path(Model, path)
            if isinstance(operator, str) and operator.lower() in _SUBDOMAIN_OPERATORS:
                comodel = self._tool_path_comodel(Model, path, operator)
                if depth >= SUBDOMAIN_MAX_DEPTH:
                    raise UserError(_("Sub-domains (any, not any) nested more than %(max)s levels deep are not "
                                      "accepted.", max=SUBDOMAIN_MAX_DEPTH))
                if not isinstance(value, (list, tuple)):
                    raise UserError(_("The value of %(operator)r on %(path)s must be a domain (a list of "
                                      "conditions), got %(value)r.", operator=operator, path=path, value=value))
                self._tool_check_domain(comodel, value, depth + 1)

    @api.model
    def _tool_path_comodel(self, Model, path, operator):
        """The comodel at the end of ``path``, whose sub-domain the condition ``operator`` takes."""
        field = None
        for name in path.split("."):
            field = Model._fields.get(name)
            if field is None or not field.relational:
                raise UserError(_("%(operator)r needs a relational field: %(path)s of %(model)s is not one.",
                                  operator=operator, path=path, model=Model._name))
            Model = self.env[field.comodel_name]
        return Model

    @api.model
    def _tool_check_order(self, Model, order):
        for term in (order or "").split(","):
            words = term.split()
            if words:
                self._tool_check_path(Model, words[0].split(":")[0])

    @api.model
    def _tool_domain(self, Model, domain):
        """The domain with its conditions as tuples, after a shape check whose errors name the position, and
        the checks of _tool_check_domain (sub-domains of any / not any included)."""
        domain = domain or []
        self._tool_check_domain_size(domain)
        normalized = self._tool_domain_shape(domain, "domain", 0)
        self._tool_check_domain(Model, normalized)
        return normalized

    @api.model
    def _tool_check_domain_size(self, domain):
        """Refuse (as invalid arguments, before anything reads the domain) a domain over DOMAIN_MAX_CONDITIONS
        conditions or DOMAIN_MAX_OPERATORS operators, sub-domains included. Counted without recursion, so no
        nesting can exhaust the stack (each level holds a condition: a deep one meets the count; the shape check
        then refuses sub-domains nested over SUBDOMAIN_MAX_DEPTH)."""
        conditions = operators = 0
        pending = [domain]
        while pending:
            items = pending.pop()
            if not isinstance(items, (list, tuple)):
                continue  # the shape check names it
            for item in items:
                if isinstance(item, str):
                    operators += 1
                elif isinstance(item, (list, tuple)):
                    conditions += 1
                    if len(item) == 3 and isinstance(item[1], str) and item[1].lower() in _SUBDOMAIN_OPERATORS:
                        pending.append(item[2])
            if conditions > DOMAIN_MAX_CONDITIONS or operators > DOMAIN_MAX_OPERATORS:
                raise ToolInputError(_(
                    "domain: at most %(conditions)s conditions and %(operators)s operators ('&', '|', '!') are "
                    "accepted, sub-domains included; this one has more. Narrow the search, or use 'in' with a "
                    "list of values instead of many '|' conditions on one field.",
                    conditions=DOMAIN_MAX_CONDITIONS, operators=DOMAIN_MAX_OPERATORS,
                ))

    @api.model
    def _tool_check_call_domains(self, *values):
        """odoo_call_method: the domain bound on whatever its arguments hold. A public method may take a domain
        anywhere (``search_domain=``, a positional filter) and build it in Python before any statement runs (the
        red team's 11,000 conditions held a worker for 16 s, within the Longest call): every condition-like item
        (``[field, operator, value]``) and domain operator in the arguments, at any depth, counts against one
        domain's limits. Counted without recursion."""
        conditions = operators = 0
        pending = list(values)
        while pending:
            value = pending.pop()
            if isinstance(value, dict):
                pending.extend(value.values())
            elif isinstance(value, (list, tuple)):
                if len(value) == 3 and isinstance(value[1], str):
                    conditions += 1
                for item in value:
                    if isinstance(item, str):
                        operators += item in _DOMAIN_OPERATORS
                    elif isinstance(item, (list, tuple, dict)):
                        pending.append(item)
            if conditions > DOMAIN_MAX_CONDITIONS or operators > DOMAIN_MAX_OPERATORS:
                raise ToolInputError(_(
                    "args, kwargs: at most %(conditions)s domain conditions and %(operators)s operators ('&', '|', "
                    "'!') are accepted in the arguments of a method; these hold more.",
                    conditions=DOMAIN_MAX_CONDITIONS, operators=DOMAIN_MAX_OPERATORS,
                ))

    @api.model
    def _tool_domain_shape(self, domain, where, depth):
        if not isinstance(domain, (list, tuple)):
            raise UserError(_("%(where)s must be a domain (a list of conditions), got %(item)r.",
                              where=where, item=domain))
        if depth > SUBDOMAIN_MAX_DEPTH:
            raise UserError(_("Sub-domains (any, not any) nested more than %(max)s levels deep are not accepted.",
                              max=SUBDOMAIN_MAX_DEPTH))
        normalized = []
        for index, item in enumerate(domain):
            position = f"{where}[{index}]"
            if isinstance(item, str):
                if item not in _DOMAIN_OPERATORS:
                    raise UserError(_("%(where)s: %(item)r is not an operator ('&', '|', '!').",
                                      where=position, item=item))
                normalized.append(item)
            elif (isinstance(item, (list, tuple)) and len(item) == 3 and isinstance(item[0], str)
                  and isinstance(item[1], str)):
                path, operator, value = item
                if operator.lower() in _SUBDOMAIN_OPERATORS:
                    # canonical spelling: Odoo recognises a sub-domain by the lowercase operator only
                    operator = operator.lower()
                    value = self._tool_domain_shape(value, f"{position}[2]", depth + 1)
                normalized.append((path, operator, value))
            else:
                raise UserError(_(
                    "%(where)s must be an operator ('&', '|', '!') or a condition "
                    "[field, operator, value], got %(item)r.", where=position, item=item,
                ))
        return normalized

    @api.model
    def _tool_existing(self, Model, ids, operation="read"):
        """The records ``ids``, all of which must exist and be visible to the user.

        The model's access right is checked first and records hidden by a record rule count as missing, so
        the answer for an id never tells whether a record the user may not see exists.
        """
        Model.check_access(operation)
        records = Model.browse(ids)
        # what the user may read is no secret; whether a record beyond that exists is
        visible = records.exists()._filtered_access("read")
        if len(visible) != len(set(ids)):
            missing = sorted(set(ids) - set(visible.ids))
            shown = ", ".join(map(str, missing[:MISSING_IDS_SHOWN]))
            if len(missing) > MISSING_IDS_SHOWN:
                shown += _(" and %(count)s more", count=len(missing) - MISSING_IDS_SHOWN)
            raise MissingError(_(
                "No %(label)s (%(model)s) with id %(ids)s, or you may not see it.",
                label=Model._description, model=Model._name, ids=shown,
            ))
        return records

    @api.model
    def _tool_field_names(self, Model, fields):
        if fields:
            unknown = [name for name in fields if name not in Model._fields]
            if unknown:
                raise UserError(_(
                    "Unknown field(s) %(fields)s on %(model)s; odoo_describe_model lists them.",
                    fields=", ".join(unknown), model=Model._name,
                ))
            for name in fields:
                self._tool_check_path(Model, name)
            return list(dict.fromkeys(fields))
        names = ["display_name"]
        candidates = [Model._rec_name] if Model._rec_name else []
        for name in [*candidates, *DEFAULT_FIELD_CANDIDATES]:
            field = Model._fields.get(name)
            if (
                field and name not in names and field.type not in _UNSHOWN_BY_DEFAULT
                and field.is_accessible(self.env) and len(names) < DEFAULT_FIELDS_MAX
            ):
                names.append(name)
        return names

    @api.model
    def _tool_format_records(self, records, field_names):
        return self._tool_format_rows(records, records.with_context(bin_size=True).read(field_names))

    @api.model
    def _tool_format_rows(self, records, rows):
        """Rows as JSON: many2one {id, name}, binary a size marker, empty values null (booleans stay).

        A binary value is never inlined (base64 would fill the result budget and the model's context with
        bytes it cannot read): it becomes ``{"binary": true, "size": …}`` plus what
        _tool_binary_references adds (llm_mcp_server: the URI to read the file by).
        """
        model_fields = records._fields
        binary_names = [name for name in (rows[0] if rows else {})
                        if getattr(model_fields.get(name), "type", None) == "binary"]
        references = self._tool_binary_references(records, binary_names) if binary_names else {}
        for row in rows:
            for name, value in row.items():
                field = model_fields.get(name)
                kind = field.type if field else None
                if kind == "many2one":
                    row[name] = {"id": value[0], "name": value[1]} if value else None
                elif kind == "binary":
                    # with bin_size, Odoo gives the human size ("4.20 Kb"), as bytes or str
                    size = value.decode() if isinstance(value, bytes) else value
                    row[name] = ({"binary": True, "size": size, **references.get((row.get("id"), name), {})}
                                 if value else None)
                elif kind in ("date", "datetime"):
                    row[name] = value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else (
                        value.isoformat() if value else None)
                elif kind in ("boolean", "integer", "float", "monetary"):
                    continue
                elif value is False:
                    row[name] = None
        return [scrub(row) for row in rows]

    @api.model
    def _tool_binary_references(self, records, field_names):
        """Hook: {(record id, field name): {…}} merged into the size marker of those binary values."""
        return {}

    @api.model
    def _tool_group_value(self, spec, value):
        if isinstance(value, models.BaseModel):
            if not value:
                return None
            if len(value) == 1:
                return {"id": value.id, "name": value.sudo().display_name}
            return value.ids
        if isinstance(value, datetime.datetime):
            granularity = spec.partition(":")[2]
            if granularity in ("day", "week", "month", "quarter", "year"):
                return value.date().isoformat()  # the period's first day, as the spec asked for a date period
            return value.isoformat(sep=" ")
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value


def scrub(value):
    """``value`` with secrets withheld: values under secret-named keys and secrets in URLs' queries.

    The field checks keep secret fields out of the arguments; this keeps them out of what methods and text
    fields return (get_portal_url() hands out the order's access_token, a message body may carry a link).
    """
    if isinstance(value, dict):
        return {key: "[redacted]" if isinstance(key, str) and SECRET_FIELD.search(key) else scrub(item)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    if isinstance(value, str):
        return _SECRET_IN_URL.sub(r"\1[redacted]", value)
    return value
