"""completion/complete: suggestions for prompt arguments and resource-template variables, as the user.

Only what the user could use is suggested: models they may read that the generic tools serve (hidden models
never), record names found by ``name_search`` under their rights and record rules, fields they may read
that hold no secret, reports of models they may read whose groups they are in.
"""

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.llm_tool.models.llm_tool_builtin import SECRET_FIELD

from .. import json_input
from .llm_mcp_prompt import RECORD_ID

COMPLETION_MAX_VALUES = 100
VALUE_MAX_CHARS = 200  # what a person types into a completion box; longer is cut, not an error
EXPORT_FORMATS = ("csv", "xlsx")

# The resource templates of docs/contract.md ("Resources"), by the variables they take.
RECORD_TEMPLATE = "odoo://{model}/{id}"
ATTACHMENT_TEMPLATE = "odoo://ir.attachment/{id}"
REPORT_TEMPLATE = "odoo://report/{report}/{ids}"
EXPORT_TEMPLATE = "odoo://export/{model}.{format}{?domain,fields}"


class UnknownReference(Exception):
    """The completion names a prompt or resource template this user does not have."""


class LlmMcpCompletion(models.AbstractModel):
    _name = "llm.mcp.completion"
    _description = "MCP completions"

    @api.model
    def _complete(self, ref, name, value, context, mcp_key):
        """(values, total, has_more) for argument ``name`` typed as ``value`` so far, of a prompt or resource
        template that ``mcp_key`` may use."""
        # text no record holds (a NUL, an unpaired surrogate; PostgreSQL refuses it in a search) matches nothing
        value = json_input.storable(value[:VALUE_MAX_CHARS]) if isinstance(value, str) else ""
        context = {k: json_input.storable(v) for k, v in (context or {}).items()
                   if isinstance(k, str) and isinstance(v, str)}
        if ref.get("type") == "ref/prompt":
            prompt = self.env["llm.mcp.prompt"]._mcp_available_prompt(ref.get("name"), mcp_key)
            if not prompt:
                raise UnknownReference(
                    self.env._("No prompt named %(name)r is available to you.", name=ref.get("name")))
            argument = prompt.argument_ids.filtered(lambda a: a.name == name)
            if not argument:
                return self._page([])
            return self._complete_argument(argument, value, context)
        if ref.get("type") == "ref/resource":
            uri = ref.get("uri")
            # the templates the key may read (a key without odoo_read completes no record's name or id)
            if uri not in [t["uriTemplate"] for t in self.env["llm.mcp.resource"]._mcp_templates(mcp_key)]:
                raise UnknownReference(self.env._("No resource template %(uri)r.", uri=uri))
            return self._complete_template_variable(uri, name, value, context)
        raise UnknownReference("ref.type must be 'ref/prompt' or 'ref/resource'.")

    @api.model
    def _complete_argument(self, argument, value, context):
        if argument.kind == "model":
            return self._page(self._matching(self._readable_models(), value))
        if argument.kind == "report":
            return self._page(self._matching(self._readable_reports(), value))
        if argument.kind == "choice":
            return self._page(self._matching(argument._choice_values(), value))
        model = argument.model
        if argument.model_argument:
            model = context.get(argument.model_argument)
        if not model:
            return self._page([])
        if argument.kind == "field":
            return self._page(self._matching(self._readable_fields(model), value))
        if argument.kind == "record":
            return self._record_names(model, value, as_ids=False)
        return self._page([])

    @api.model
    def _complete_template_variable(self, template, name, value, context):
        if name == "model" and template in (RECORD_TEMPLATE, EXPORT_TEMPLATE):
            return self._page(self._matching(self._readable_models(), value))
        if name == "id" and template == RECORD_TEMPLATE and context.get("model"):
            return self._record_names(context["model"], value, as_ids=True)
        if name == "id" and template == ATTACHMENT_TEMPLATE:
            return self._record_names("ir.attachment", value, as_ids=True)
        if name == "report" and template == REPORT_TEMPLATE:
            return self._page(self._matching(self._readable_reports(), value))
        if name == "ids" and template == REPORT_TEMPLATE and context.get("report"):
            model = self._readable_reports().get(context["report"])
            if not model:
                return self._page([])
            done, _sep, last = value.rpartition(",")
            prefix = f"{done}," if done else ""
            values, total, has_more = self._record_names(model, last, as_ids=True)
            return [prefix + v for v in values], total, has_more
        if name == "format" and template == EXPORT_TEMPLATE:
            return self._page(self._matching(EXPORT_FORMATS, value))
        if name == "fields" and template == EXPORT_TEMPLATE and context.get("model"):
            done, _sep, last = value.rpartition(",")
            prefix = f"{done}," if done else ""
            chosen = set(done.split(",")) if done else set()
            names = [n for n in self._matching(self._readable_fields(context["model"]), last) if n not in chosen]
            values, total, has_more = self._page(names)
            return [prefix + v for v in values], total, has_more
        return self._page([])

    # -- what the user may use ----------------------------------------------------------------------------

    @api.model
    def _readable_models(self):
        """{technical name: label} of the models the generic tools serve and the user may read."""
        hidden = self.env["llm.tool.builtin"]._tool_hidden_models()
        found = {}
        for name in sorted(self.env.registry):
            Model = self.env[name]
            if Model._abstract or Model._transient or name in hidden:
                continue
            if Model.browse().has_access("read"):
                found[name] = Model._description or name
        return found

    @api.model
    def _readable_fields(self, model):
        """Field names of ``model`` the user may read, without secrets or paths to hidden models."""
        Builtin = self.env["llm.tool.builtin"]
        try:
            Model = Builtin._tool_model(model)
        except (UserError, AccessError):
            return []
        if not Model.browse().has_access("read"):
            return []
        hidden = Builtin._tool_hidden_models()
        names = []
        for name, info in sorted(Model.fields_get(attributes=["relation"]).items()):
            if SECRET_FIELD.search(name) or info.get("relation") in hidden:
                continue
            names.append(name)
        return names

    @api.model
    def _readable_reports(self):
        """{report_name: model} of the reports the user may print: their model readable, their groups theirs."""
        readable = self._readable_models()
        user_groups = set(self.env.user._get_group_ids())
        found = {}
        # ir.actions.report is readable by administrators only; which reports a user may print is decided
        # here, as Odoo's own report route does (model access, the report's groups)
        for report in self.env["ir.actions.report"].sudo().search([], order="report_name"):
            if report.model in readable and (not report.groups_id or set(report.groups_id.ids) & user_groups):
                found.setdefault(report.report_name, report.model)
        return found

    @api.model
    def _record_names(self, model, value, as_ids):
        """Records of ``model`` whose name matches ``value``, by ``name_search`` as the user."""
        try:
            Model = self.env["llm.tool.builtin"]._tool_model(model)
        except (UserError, AccessError):
            return self._page([])
        if not Model.browse().has_access("read"):
            return self._page([])
        if as_ids and RECORD_ID.fullmatch(value):
            record = Model.browse(int(value)).exists()
            exact = [str(record.id)] if record and record._filtered_access("read") else []
            return self._page(exact)
        found = Model.name_search(value, limit=COMPLETION_MAX_VALUES + 1)
        values = [str(rid) for rid, _name in found] if as_ids else list(dict.fromkeys(name for _rid, name in found))
        has_more = len(found) > COMPLETION_MAX_VALUES
        values = values[:COMPLETION_MAX_VALUES]
        return values, None if has_more else len(values), has_more

    # -- helpers ------------------------------------------------------------------------------------------

    @api.model
    def _matching(self, candidates, value):
        """``candidates`` containing ``value`` (case-insensitive), those starting with it first."""
        needle = value.lower()
        hits = [c for c in candidates if needle in c.lower()]
        return sorted(hits, key=lambda c: (not c.lower().startswith(needle), c))

    @api.model
    def _page(self, values):
        values = list(values)
        return values[:COMPLETION_MAX_VALUES], len(values), len(values) > COMPLETION_MAX_VALUES
