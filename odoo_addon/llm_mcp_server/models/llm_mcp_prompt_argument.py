import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

ARGUMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class LlmMcpPromptArgument(models.Model):
    _name = "llm.mcp.prompt.argument"
    _description = "MCP Prompt Argument"
    _order = "prompt_id, sequence, id"

    prompt_id = fields.Many2one("llm.mcp.prompt", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, help="How templates refer to it ($name): lower-case letters, digits and '_'.")
    description = fields.Char(translate=True, help="What to give, for the person or model filling the prompt.")
    required = fields.Boolean(default=False)
    kind = fields.Selection(
        [
            ("text", "Text"),
            ("record", "Record"),
            ("model", "Model"),
            ("field", "Field"),
            ("report", "Report"),
            ("choice", "Choice"),
        ],
        required=True, default="text",
        help="Text: inserted as given. Record: a record of the model below, found by name (or id) as the user; "
             "templates get its name, domains its id. Model, Field, Report: a technical name, completed from "
             "what the user may read. Choice: one of the values below.",
    )
    model = fields.Char(help="Record arguments: the model, e.g. res.partner.")
    model_argument = fields.Char(
        help="Record and Field arguments: the name of the Model argument that gives the model instead.",
    )
    choices = fields.Char(help="Choice arguments: the values, comma-separated.")
    default_value = fields.Char(
        translate=True, help="What templates get when an optional argument is not given (empty by default).",
    )

    _sql_constraints = [("name_unique", "UNIQUE(prompt_id, name)", "A prompt's arguments have distinct names.")]

    @api.constrains("name", "kind", "model", "model_argument", "choices")
    def _check_argument(self):
        for argument in self:
            if not ARGUMENT_NAME.match(argument.name or ""):
                raise ValidationError(_(
                    "Argument name %(name)r: use lower-case letters, digits and '_', starting with a letter.",
                    name=argument.name,
                ))
            if argument.kind == "record" and not (argument.model or argument.model_argument):
                raise ValidationError(_(
                    "Record argument %(name)s needs a model or a model argument.", name=argument.name,
                ))
            if argument.kind == "field" and not argument.model_argument and not argument.model:
                raise ValidationError(_(
                    "Field argument %(name)s needs a model or a model argument.", name=argument.name,
                ))
            if argument.kind == "choice" and not argument._choice_values():
                raise ValidationError(_("Choice argument %(name)s needs its values.", name=argument.name))
            if argument.model_argument:
                source = argument.prompt_id.argument_ids.filtered(lambda a: a.name == argument.model_argument)
                if not source or source.kind != "model":
                    raise ValidationError(_(
                        "Argument %(name)s takes its model from %(source)r, which is not a Model argument of the "
                        "prompt.", name=argument.name, source=argument.model_argument,
                    ))
        # a renamed argument must not leave a template pointing at the old name
        self.prompt_id._check_placeholders()

    def _choice_values(self):
        self.ensure_one()
        return [value.strip() for value in (self.choices or "").split(",") if value.strip()]

    def _mcp_definition(self):
        """The MCP PromptArgument: name, description, required."""
        self.ensure_one()
        definition = {"name": self.name, "required": self.required}
        if self.description:
            definition["description"] = self.description
        return definition
