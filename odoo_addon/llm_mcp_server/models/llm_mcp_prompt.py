"""Prompts offered to MCP clients: templates of messages for common Odoo workflows.

A prompt is data (managers edit it in LLM → Configuration → Prompts); filling it runs as the calling user:
record arguments are found with ``name_search`` under their rights and record rules, and the records a
message embeds are read through the generic tools' own methods (``llm.tool.builtin``), so the same hidden
models, secret fields and result budget apply as to ``odoo_search`` and ``odoo_read``. A prompt is listed
only to users who may read every model it uses, through keys that may run those tools (a key limited to
odoo_search reads no embedded record: red team 2026-12-02); models of apps that are not installed hide it too.
"""

import json
import re
from urllib.parse import quote

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .. import json_input
from ..contract import Answer, CallRefused, ContractError
from ..prompt_template import BUILTIN_PLACEHOLDERS, PromptTemplate, placeholder_of
from ..result_budget import ResultTooLarge, fit
from .llm_mcp_call import AuditedRequest

PROMPT_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
# An id as a person types it: ASCII digits that fit a PostgreSQL integer (anything else is a name).
RECORD_ID = re.compile(r"[0-9]{1,9}")
# More prompts than this are paged; the sidecar follows nextCursor (docs/contract.md).
PROMPTS_PAGE_SIZE = 500
ARGUMENT_VALUE_MAX_CHARS = 1000
AMBIGUOUS_SHOWN = 5
# The built-in tool whose read a message of this kind makes (a text message reads nothing)
TOOL_OF_MESSAGE = {"record": "odoo_read", "records": "odoo_search"}


class PromptArgumentError(Exception):
    """prompts/get arguments that cannot be used (missing, unknown, no such record): the message names it."""


class LlmMcpPrompt(models.Model):
    _name = "llm.mcp.prompt"
    _description = "MCP Prompt"
    _order = "sequence, name"

    name = fields.Char(required=True, help="The name MCP clients ask for: letters, digits, '_', '.', '-'.")
    title = fields.Char(translate=True, help="A short title people see in the client's prompt menu.")
    description = fields.Text(translate=True, help="What the prompt is for, for the person choosing it.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    argument_ids = fields.One2many("llm.mcp.prompt.argument", "prompt_id", string="Arguments", copy=True)
    message_ids = fields.One2many("llm.mcp.prompt.message", "prompt_id", string="Messages", copy=True)
    model_names = fields.Char(
        string="Models", compute="_compute_model_names",
        help="The models the prompt reads: users who may not read one of them do not see the prompt.",
    )

    _sql_constraints = [("name_unique", "UNIQUE(name)", "A prompt with this name already exists.")]

    @api.depends("argument_ids.model", "argument_ids.kind", "message_ids.model", "message_ids.kind")
    def _compute_model_names(self):
        for prompt in self:
            prompt.model_names = ", ".join(sorted(prompt._required_models()))

    @api.constrains("name")
    def _check_name(self):
        for prompt in self:
            if not PROMPT_NAME.match(prompt.name or ""):
                raise ValidationError(_("Prompt name %(name)r must be 1-128 letters, digits, '_', '.' or '-'.",
                                        name=prompt.name))

    def _check_placeholders(self):
        """Every placeholder of the templates names an argument or a built-in value."""
        for prompt in self:
            known = set(prompt.argument_ids.mapped("name")) | set(BUILTIN_PLACEHOLDERS)
            for message in prompt.message_ids:
                used = set()
                if message.text and PromptTemplate(message.text).is_valid():
                    used |= set(PromptTemplate(message.text).get_identifiers())
                if message.kind == "records":
                    used |= {name for leaf in message._parsed_domain() for name in _placeholders_in(leaf[2])}
                unknown = used - known
                if unknown:
                    raise ValidationError(_(
                        "Prompt %(prompt)s uses %(names)s, which are neither its arguments nor %(builtins)s.",
                        prompt=prompt.name, names=", ".join(f"${n}" for n in sorted(unknown)),
                        builtins=", ".join(f"${n}" for n in BUILTIN_PLACEHOLDERS),
                    ))

    def _required_models(self):
        self.ensure_one()
        found = {argument.model for argument in self.argument_ids
                 if argument.kind in ("record", "field") and argument.model}
        found |= {message.model for message in self.message_ids if message.kind == "records" and message.model}
        return found

    # -- listing ------------------------------------------------------------------------------------------

    @api.model
    def _mcp_available_prompts(self, mcp_key):
        """The active prompts the current user may use through ``mcp_key``, as records (read as that user, in their
        language)."""
        if not self.browse().has_access("read"):
            return self.browse()
        return self.search([]).filtered(lambda prompt: prompt._mcp_user_may_use(mcp_key))

    @api.model
    def _mcp_available_prompt(self, name, mcp_key):
        if not isinstance(name, str) or not self.browse().has_access("read"):
            return self.browse()
        prompt = self.search([("name", "=", name)], limit=1)
        return prompt if prompt and prompt._mcp_user_may_use(mcp_key) else self.browse()

    def _mcp_tools_read_with(self):
        """The built-in tools whose reads filling the prompt makes: an embedded record is odoo_read's, a search
        and a record argument found by its name are odoo_search's."""
        self.ensure_one()
        tools = {TOOL_OF_MESSAGE[kind] for kind in self.message_ids.mapped("kind") if kind in TOOL_OF_MESSAGE}
        if "record" in self.argument_ids.mapped("kind"):
            tools.add("odoo_search")
        return tools

    def _mcp_user_may_use(self, mcp_key):
        """Whether the key may run every tool whose reads the prompt makes (a key limited to odoo_search gets no
        embedded records, as it reads no odoo:// resource), and every model the prompt reads is installed, open to
        MCP tools and readable by the user."""
        self.ensure_one()
        Config = self.env["llm.mcp.config"]
        if not all(Config._mcp_visible_tool(mcp_key, tool) for tool in self._mcp_tools_read_with()):
            return False
        Builtin = self.env["llm.tool.builtin"]
        for model in self._required_models():
            try:
                Model = Builtin._tool_model(model)
            except (UserError, AccessError):
                return False
            if not Model.browse().has_access("read"):
                return False
        return True

    def _mcp_definition(self):
        """The MCP Prompt: name, title, description, arguments."""
        self.ensure_one()
        definition = {
            "name": self.name,
            "title": self.title or self.name,
            "description": self.description or self.title or self.name,
        }
        definition["arguments"] = [argument._mcp_definition() for argument in self.argument_ids]
        return definition

    @api.model
    def _mcp_list_page(self, cursor, mcp_key):
        """The ``prompts`` answer: the page of prompts available through ``mcp_key`` from ``cursor`` (an offset),
        and the next one."""
        if cursor is not None and not (isinstance(cursor, str) and RECORD_ID.fullmatch(cursor)):
            raise ContractError(400, "bad_request", "'cursor' must be a cursor from an earlier answer.")
        offset = int(cursor or 0)
        prompts = self._mcp_available_prompts(mcp_key)
        page = prompts[offset:offset + PROMPTS_PAGE_SIZE]
        payload = {"prompts": [prompt._mcp_definition() for prompt in page]}
        if offset + PROMPTS_PAGE_SIZE < len(prompts):
            payload["nextCursor"] = str(offset + PROMPTS_PAGE_SIZE)
        return payload

    # -- filling ------------------------------------------------------------------------------------------

    @api.model
    def _mcp_get(self, mcp_key, read_body):
        """The Answer of one ``prompt`` request (the body from ``read_body()``): the prompt filled as the user,
        in their language, and audited (kind "prompt"), whatever its outcome. Nothing else is kept."""
        audit = AuditedRequest(mcp_key, kind="prompt")

        def get():
            body = audit.read(read_body())
            name, arguments = body.get("name"), body.get("arguments")
            if not isinstance(name, str) or not name:
                raise ContractError(400, "bad_request", "'name' (a string) is required.")
            audit.tool_name = name
            arguments = {} if arguments is None else arguments
            if not isinstance(arguments, dict):
                raise ContractError(400, "invalid_arguments", "'arguments' must be an object of texts.")
            audit.arguments = arguments
            problem = json_input.problem_of(arguments)
            if problem:  # PostgreSQL would refuse such a text in a search: a 500
                raise ContractError(400, "invalid_arguments", problem)
            settings = self.env["llm.mcp.config"]._mcp_enabled_settings()
            prompt = self._mcp_available_prompt(name, mcp_key)
            if not prompt:
                exists = self.sudo().search([("name", "=", name)], limit=1)
                audit.prompt_id = exists.id or None
                raise CallRefused(404, "unknown_prompt",
                                  self.env._("No prompt named %(name)r is available to you.", name=name),
                                  outcome="denied" if exists else "invalid")
            audit.prompt_id = prompt.id
            try:
                result = prompt._mcp_render(arguments, settings["result_max_bytes"])
            except PromptArgumentError as exc:
                self.env.cr.rollback()
                error = ContractError(400, "invalid_arguments", str(exc))
                raise error from None
            self.env.cr.rollback()  # reading a prompt changes nothing: nothing but the audit row is kept
            return "ok", Answer(result), None

        return self.env["llm.mcp.call"]._mcp_audited(
            audit, get, subject=lambda: f"prompt {audit.tool_name!r}", failure="fill the prompt")

    def _mcp_render(self, arguments, budget):
        """``{"description", "messages"}`` of prompts/get for ``arguments``, read as the current user.

        Raises PromptArgumentError for arguments that cannot be used; what the user may not read is never
        embedded (the prompt is not offered, a record argument is "not found", a search finds nothing).
        """
        self.ensure_one()
        values = self._mcp_resolve_arguments(arguments)
        searches = self.message_ids.filtered(lambda m: m.kind == "records")
        share = max(1024, budget // max(1, len(searches)))
        messages = []
        for message in self.message_ids:
            messages.extend(self._mcp_render_message(message, values, share))
        return {"description": self.description or self.title or self.name, "messages": messages}

    def _mcp_resolve_arguments(self, arguments):
        """{name: (text, value)} per argument and built-in: text for templates, value for domains."""
        if not isinstance(arguments, dict):
            raise PromptArgumentError(_("'arguments' must be an object of texts."))
        by_name = {argument.name: argument for argument in self.argument_ids}
        unknown = sorted(set(arguments) - set(by_name))
        if unknown:
            raise PromptArgumentError(_(
                "Unknown argument(s) %(names)s for prompt %(prompt)s. Its arguments: %(known)s.",
                names=", ".join(map(repr, unknown)), prompt=self.name, known=", ".join(by_name) or _("none"),
            ))
        user = self.env.user
        today = fields.Date.to_string(fields.Date.context_today(self.with_context(tz=user.tz or "UTC")))
        company = self.env.company
        resolved = {"today": (today, today), "user": (user.name, user.id), "company": (company.name, company.id)}
        # model arguments first: record and field arguments may take their model from one
        for argument in sorted(self.argument_ids, key=lambda a: a.kind != "model"):
            raw = arguments.get(argument.name)
            if raw is None or raw == "":
                if argument.required:
                    raise PromptArgumentError(_("Missing required argument %(name)r for prompt %(prompt)s.",
                                                name=argument.name, prompt=self.name))
                continue
            if not isinstance(raw, str):
                raise PromptArgumentError(_("Argument %(name)r must be a string.", name=argument.name))
            if len(raw) > ARGUMENT_VALUE_MAX_CHARS:
                raise PromptArgumentError(_("Argument %(name)r is longer than %(max)s characters.",
                                            name=argument.name, max=ARGUMENT_VALUE_MAX_CHARS))
            resolved[argument.name] = self._mcp_resolve_argument(argument, raw.strip(), resolved)
        return resolved

    def _mcp_resolve_argument(self, argument, raw, resolved):
        Completion = self.env["llm.mcp.completion"]
        if argument.kind == "record":
            record = self._mcp_find_record(self._mcp_argument_model(argument, resolved), raw, argument.name)
            return (record.display_name, record.id, record)
        if argument.kind == "model":
            if raw not in Completion._readable_models():
                raise PromptArgumentError(_(
                    "Argument %(name)r: %(value)r is not a model you may read.", name=argument.name, value=raw,
                ))
            return (raw, raw)
        if argument.kind == "field":
            model = self._mcp_argument_model(argument, resolved)
            if raw not in Completion._readable_fields(model):
                raise PromptArgumentError(_("Argument %(name)r: %(model)s has no field %(value)r you may read.",
                                            name=argument.name, model=model, value=raw))
            return (raw, raw)
        if argument.kind == "report":
            if raw not in Completion._readable_reports():
                raise PromptArgumentError(_(
                    "Argument %(name)r: no report %(value)r you may print.", name=argument.name, value=raw,
                ))
            return (raw, raw)
        if argument.kind == "choice":
            choices = argument._choice_values()
            if raw not in choices:
                raise PromptArgumentError(_(
                    "Argument %(name)r must be one of %(choices)s.", name=argument.name, choices=", ".join(choices),
                ))
        return (raw, raw)

    def _mcp_argument_model(self, argument, resolved):
        if argument.model_argument:
            if argument.model_argument not in resolved:
                raise PromptArgumentError(_("Argument %(name)r needs %(source)r to be given first.",
                                            name=argument.name, source=argument.model_argument))
            return resolved[argument.model_argument][1]
        return argument.model

    def _mcp_find_record(self, model, raw, argument_name):
        """The one record of ``model`` the user may read whose id or name is ``raw``."""
        Model = self.env["llm.tool.builtin"]._tool_model(model)
        label = Model._description or model
        if RECORD_ID.fullmatch(raw):
            record = Model.browse(int(raw)).exists()
            if record and record._filtered_access("read"):
                return record
        else:
            for operator in ("=", "ilike"):
                found = Model.name_search(raw, operator=operator, limit=AMBIGUOUS_SHOWN + 1)
                if len(found) == 1:
                    return Model.browse(found[0][0])
                if len(found) > 1 and operator == "ilike":
                    names = ", ".join(dict.fromkeys(name for _id, name in found[:AMBIGUOUS_SHOWN]))
                    raise PromptArgumentError(_(
                        "Argument %(name)r: several %(label)s match %(value)r (%(names)s); give the exact name.",
                        name=argument_name, label=label, value=raw, names=names,
                    ))
                if len(found) > 1:
                    return Model.browse(found[0][0])  # same exact name twice: the first, as Odoo's own lookups
        raise PromptArgumentError(_("Argument %(name)r: no %(label)s %(value)r that you can see.",
                                    name=argument_name, label=label, value=raw))

    def _mcp_render_message(self, message, values, budget):
        texts = {name: str(value[0]) for name, value in values.items()}
        defaults = {argument.name: argument.default_value or "" for argument in self.argument_ids}

        def fill(text):
            return PromptTemplate(text or "").substitute({**defaults, **texts})

        if message.kind == "text":
            return [{"role": message.role, "content": {"type": "text", "text": fill(message.text)}}]
        Builtin = self.env["llm.tool.builtin"]
        if message.kind == "record":
            value = values.get(message.record_argument)
            if not value:
                return []  # an optional record argument not given: nothing to embed
            record = value[2]
            row = Builtin.odoo_read(record._name, [record.id])["records"][0]
            resource = {"uri": f"odoo://{record._name}/{record.id}", "mimeType": "application/json",
                        "text": json.dumps(row, ensure_ascii=False, default=str)}
            return [{"role": message.role, "content": {"type": "resource", "resource": resource}}]
        domain = self._mcp_domain(message, values)
        field_names = message._field_list() or None
        try:
            found = Builtin.odoo_search(
                message.model, domain, field_names, limit=message.limit, order=message.order or None,
            )
        except (UserError, AccessError) as exc:
            raise PromptArgumentError(str(exc.args[0]) if exc.args else _("The prompt's search was refused.")) from exc
        try:
            found = fit(found, budget)
        except ResultTooLarge:
            found = {"records": [], "total": found["total"], "has_more": True, "truncated": True}
        heading = fill(message.text) if message.text else ""
        body = json.dumps(found, ensure_ascii=False, default=str)
        parts = [{"role": message.role, "content": {"type": "text", "text": f"{heading}\n{body}" if heading else body}}]
        query = "domain=" + quote(json.dumps(domain, separators=(",", ":"), default=str), safe="")
        if field_names:
            query += "&fields=" + quote(",".join(field_names), safe=",")
        parts.append({"role": message.role, "content": {
            "type": "resource_link", "uri": f"odoo://export/{message.model}.csv?{query}",
            "name": f"{message.model}.csv", "title": _("All %(count)s records as CSV", count=found["total"]),
            "mimeType": "text/csv",
        }})
        return parts

    def _mcp_domain(self, message, values):
        """The message's domain with "$name" values replaced; conditions on missing optional arguments left out."""
        domain = []
        for field_name, operator, value in message._parsed_domain():
            names = _placeholders_in(value)
            if any(name not in values for name in names):
                continue
            domain.append([field_name, operator, _substitute(value, values)])
        return domain


def _placeholders_in(value):
    if isinstance(value, list):
        return [name for item in value for name in _placeholders_in(item)]
    name = placeholder_of(value)
    return [name] if name else []


def _substitute(value, values):
    if isinstance(value, list):
        return [_substitute(item, values) for item in value]
    name = placeholder_of(value)
    return values[name][1] if name else value
