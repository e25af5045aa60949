"""Server actions as tools: an LLM manager points an llm.tool record at an ir.actions.server.

The action runs through Odoo's own ``ir.actions.server.run()`` in the calling user's environment, exactly
as when the user picks it in the web client's Action menu: Odoo checks the action's "Allowed Groups" (or,
for an action without groups, write access to its model and records), and Python code runs with the user's
``env``. On top of that, the records given must be ones the user can see, and the action may not touch a
model or field the generic tools keep out of reach. Such a tool is never read-only (docs/security.md).
"""

import dataclasses

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..schema import SCHEMA_DIALECT
from .llm_tool_builtin import IDS_MAX, SECRET_FIELD

SERVER_ACTION_OUTPUT_SCHEMA = {
    "type": "object",
    "properties": {
        "record_ids": {"type": "array", "items": {"type": "integer"}, "description": "The records it ran on."},
        "result": {
            "description": "What the action returned (an action to open, or a code action's `action`), or null.",
        },
    },
    "required": ["record_ids", "result"],
}
# What a returned window or client action says that a model can use; the rest (views, contexts) is UI.
_ACTION_KEYS = ("type", "name", "res_model", "res_id", "url", "tag", "params")


class LlmTool(models.Model):
    _inherit = "llm.tool"

    server_action_id = fields.Many2one(
        "ir.actions.server",
        string="Server Action",
        ondelete="cascade",
        domain=[("usage", "=", "ir_actions_server")],
        help="The server action this tool runs, as the calling user, on the record ids it is given.",
    )

    @api.model
    def _get_available_implementations(self):
        return super()._get_available_implementations() + [("server_action", _("Server Action"))]

    @api.constrains("implementation", "server_action_id", "read_only_hint")
    def _check_server_action(self):
        for tool in self.filtered(lambda t: t.implementation == "server_action"):
            if not tool.server_action_id:
                raise ValidationError(_("Tool %(name)s runs a server action: choose one.", name=tool.name))
            problem = tool._server_action_problem(tool.sudo().server_action_id)
            if problem:
                raise ValidationError(problem)
            if tool.read_only_hint:
                raise ValidationError(_(
                    "Tool %(name)s runs a server action, and a server action can write: it cannot be read-only.",
                    name=tool.name,
                ))

    @api.model
    def _server_action_problem(self, action):
        """Why ``action`` (in sudo) cannot be a tool, or None.

        Scheduled actions are not offered. The action, and every action it runs, must stay off the models
        the generic tools hide or keep read-only (credentials, the MCP server's own records, records that
        run code or grant rights) and off fields that hold secrets: otherwise a manager's click would open
        what the generic tools refuse. What Python code does inside is its author's (a system administrator).
        """
        if action.usage != "ir_actions_server":
            return _("%(action)s is not a plain server action (%(usage)s): it cannot be a tool.",
                     action=action.display_name, usage=action.usage)
        builtin = self.env["llm.tool.builtin"]
        off_limits = builtin._tool_hidden_models() | builtin._tool_read_only_models()
        seen, todo = set(), [action]
        while todo:
            current = todo.pop()
            if current.id in seen:
                continue
            seen.add(current.id)
            for model in {current.model_id.model, current.crud_model_id.model} - {False}:
                if model in off_limits:
                    return _(
                        "The server action %(action)s works on %(model)s, which MCP tools may not change: "
                        "it cannot be a tool.", action=current.display_name, model=model,
                    )
            used_fields = current.update_field_id
            if "webhook_field_ids" in current._fields:  # what a webhook sends out
                used_fields |= current.webhook_field_ids
            secret_fields = [field.name for field in used_fields if SECRET_FIELD.search(field.name)]
            if secret_fields:
                return _(
                    "The server action %(action)s uses the field %(field)s, which holds a secret: it cannot be a tool.",
                    action=current.display_name, field=secret_fields[0],
                )
            todo.extend(current.child_ids)
        return None

    # -- the catalog ----------------------------------------------------------------------------------------

    def _get_implementation_function(self):
        self.ensure_one()
        if self.implementation == "server_action":
            return type(self).server_action_execute
        return super()._get_implementation_function()

    def _tool_holder(self):
        self.ensure_one()
        if self.implementation != "server_action":
            return super()._tool_holder()
        action = self.sudo().server_action_id
        if not action:
            raise UserError(_("it has no server action"))
        problem = self._server_action_problem(action)
        if problem:
            raise UserError(problem)
        return action.model_id.model, "server_action_execute"

    def get_input_schema(self):
        self.ensure_one()
        if self.implementation != "server_action" or self.input_schema:
            return super().get_input_schema()
        model = self.sudo().server_action_id.model_id.model
        label = self.env[model]._description or model
        return {
            "$schema": SCHEMA_DIALECT,
            "type": "object",
            "properties": {
                "record_ids": {
                    "type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": IDS_MAX,
                    "description": f"Ids of the {label} ({model}) records to run the action on.",
                },
            },
            "required": ["record_ids"],
            "additionalProperties": False,
        }

    def _default_description(self, func):
        if self.implementation != "server_action":
            return super()._default_description(func)
        action = self.sudo().server_action_id
        label = self.env[action.model_id.model]._description or action.model_id.model
        return _("Runs the server action '%(action)s' on the given %(label)s records.", action=action.name, label=label)

    def _tool_output_schema(self, func):
        if self.implementation == "server_action":
            return SERVER_ACTION_OUTPUT_SCHEMA
        return super()._tool_output_schema(func)

    def _effective_read_only(self, func):
        # a server action can write, whatever the record says: read-only keys never run one
        return False if self.implementation == "server_action" else super()._effective_read_only(func)

    def _catalog_entry(self, guarded_models):
        entry = super()._catalog_entry(guarded_models)
        if self.implementation != "server_action":
            return entry
        action = self.sudo().server_action_id
        return dataclasses.replace(entry, kind="server_action", open_holder=False,
                                   action_group_ids=frozenset(action.groups_id.ids))

    @api.model
    def _user_may_use(self, entry, user_groups=None):
        if entry.kind != "server_action":
            return super()._user_may_use(entry, user_groups)
        if user_groups is None:
            user_groups = frozenset(self.env.user._get_group_ids())
        if entry.group_ids and not entry.group_ids & user_groups:
            return False
        # who may run it, as ir.actions.server.run() decides: its groups, else write access to its model
        if entry.action_group_ids:
            return bool(entry.action_group_ids & user_groups)
        return self.env[entry.model].browse().has_access("write")

    # -- running ----------------------------------------------------------------------------------------------

    @api.private
    def server_action_execute(self, **arguments):
        """Run the tool's server action as the current user on ``record_ids`` (apexive's dispatch name).

        The whole arguments object is in the context as ``llm_tool_arguments``, for a code action with an
        input schema of its own (``env.context['llm_tool_arguments']``).
        """
        self.ensure_one()
        action_sudo = self.sudo().server_action_id
        if not action_sudo:
            raise UserError(_("Tool %(name)s has no server action to run.", name=self.name))
        problem = self._server_action_problem(action_sudo)
        if problem:
            raise UserError(problem)
        model = action_sudo.model_id.model
        ids = arguments.get("record_ids") or []
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise UserError(_("'record_ids' must be a list of record ids."))
        if len(ids) > IDS_MAX:
            raise UserError(_("At most %(count)s records at once.", count=IDS_MAX))
        if ids:
            # the records must be ones the user can see, as in the web client's list the action is run from
            self.env["llm.tool.builtin"]._tool_existing(self.env[model], ids)
        context = {
            "active_model": model,
            "active_ids": ids,
            "active_id": ids[0] if ids else False,
            "llm_tool_arguments": dict(arguments),
        }
        # not sudo: run() checks the action's groups (or write access) against this user, code runs as them
        action = self.env["ir.actions.server"].browse(action_sudo.id).with_context(**context)
        result = action.run()
        return {"record_ids": ids, "result": self._server_action_result(result)}

    @api.model
    def _server_action_result(self, result):
        if isinstance(result, dict) and str(result.get("type") or "").startswith("ir.actions"):
            return {key: result[key] for key in _ACTION_KEYS if result.get(key) not in (None, False)}
        return None if result is False else result
