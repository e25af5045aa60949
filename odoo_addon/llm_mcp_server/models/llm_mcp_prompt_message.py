import json

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..prompt_template import PromptTemplate

RECORDS_MAX_LIMIT = 100


class LlmMcpPromptMessage(models.Model):
    _name = "llm.mcp.prompt.message"
    _description = "MCP Prompt Message"
    _order = "prompt_id, sequence, id"

    prompt_id = fields.Many2one("llm.mcp.prompt", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    role = fields.Selection([("user", "User"), ("assistant", "Assistant")], required=True, default="user")
    kind = fields.Selection(
        [("text", "Text"), ("record", "A record (embedded)"), ("records", "Records found by a search")],
        required=True, default="text",
        help="Text: the template, filled. A record: the record a Record argument names, embedded as the "
             "resource odoo://<model>/<id>. Records: the template as a heading, then the records a search "
             "finds as the user (at most the limit), then a link to the export of the whole search.",
    )
    text = fields.Text(
        translate=True,
        help="Plain text with placeholders: $argument or ${argument}, and $today, $user, $company; $$ is a "
             "'$'. Values are inserted as text, never evaluated.",
    )
    record_argument = fields.Char(help="A record: the name of the Record argument whose record is embedded.")
    model = fields.Char(help="Records: the model searched, e.g. sale.order.")
    domain = fields.Text(
        default="[]",
        help='Records: a JSON list of conditions ["field", "operator", value], all of which must hold. A value '
             'written "$argument" is replaced by the argument (a Record argument gives its id); a condition '
             "whose optional argument is not given is left out.",
    )
    field_names = fields.Char(
        string="Fields", help="Records: the fields shown, comma-separated; empty: a few key fields.",
    )
    order = fields.Char(help="Records: sort order, e.g. 'date_order desc'.")
    limit = fields.Integer(default=20, help=f"Records: at most this many (1-{RECORDS_MAX_LIMIT}).")

    @api.constrains("kind", "text", "record_argument", "model", "domain", "limit")
    def _check_message(self):
        for message in self:
            if message.kind in ("text", "records") and message.text:
                template = PromptTemplate(message.text)
                if not template.is_valid():
                    raise ValidationError(_(
                        "The text of a message of %(prompt)s has a '$' that starts no placeholder: write $$ for a "
                        "dollar sign.", prompt=message.prompt_id.name,
                    ))
            if message.kind == "text" and not message.text:
                raise ValidationError(_("A text message of %(prompt)s has no text.", prompt=message.prompt_id.name))
            if message.kind == "record":
                argument = message.prompt_id.argument_ids.filtered(lambda a: a.name == message.record_argument)
                if not argument or argument.kind != "record":
                    raise ValidationError(_(
                        "A record message of %(prompt)s must name a Record argument of the prompt.",
                        prompt=message.prompt_id.name,
                    ))
            if message.kind == "records":
                if not message.model:
                    raise ValidationError(_(
                        "A records message of %(prompt)s needs a model.", prompt=message.prompt_id.name,
                    ))
                if not 1 <= message.limit <= RECORDS_MAX_LIMIT:
                    raise ValidationError(_(
                        "The limit of a records message is between 1 and %(max)s.", max=RECORDS_MAX_LIMIT,
                    ))
                message._parsed_domain()
            message.prompt_id._check_placeholders()

    def _parsed_domain(self):
        """The domain as a list of [field, operator, value] conditions; ValidationError when it is not."""
        self.ensure_one()
        try:
            domain = json.loads(self.domain or "[]")
        except ValueError as exc:
            raise ValidationError(_("The domain of a message of %(prompt)s is not JSON: %(error)s",
                                    prompt=self.prompt_id.name, error=exc)) from exc
        if not isinstance(domain, list) or not all(
            isinstance(leaf, list) and len(leaf) == 3 and isinstance(leaf[0], str) and isinstance(leaf[1], str)
            for leaf in domain
        ):
            raise ValidationError(_(
                'The domain of a message of %(prompt)s must be a JSON list of ["field", "operator", value] '
                "conditions.", prompt=self.prompt_id.name,
            ))
        return domain

    def _field_list(self):
        self.ensure_one()
        return [name.strip() for name in (self.field_names or "").split(",") if name.strip()]
