"""Built-in tools for the work people do on a record's chatter: post a message or a note, schedule an activity.

They run as the calling user, like the generic tools, and refuse what those refuse (hidden and read-only
models, wizards). Posting on a record or planning an activity on it asks for the right to *change* that
record (rights and record rules), whatever the model's own ``_mail_post_access`` says: a key that may only
read a record cannot write on its chatter through MCP. Text from the model is always plain text: it is
escaped and turned into paragraphs by Odoo's ``plaintext2html``, never taken as HTML.
"""

import datetime
from typing import Annotated

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import plaintext2html

from ..decorators import llm_tool
from .llm_tool_builtin import ModelName

BODY_MAX_CHARS = 20000

RecordId = Annotated[int, {"minimum": 1}, "Id of the record."]


class LlmToolBuiltin(models.AbstractModel):
    _inherit = "llm.tool.builtin"

    @llm_tool(
        title="Post on a record's chatter",
        read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True,
        output_schema={
            "type": "object",
            "properties": {
                "message_id": {"type": "integer"},
                "model": {"type": "string"},
                "res_id": {"type": "integer"},
                "kind": {"type": "string", "enum": ["message", "note"]},
            },
            "required": ["message_id", "model", "res_id", "kind"],
        },
    )
    @api.private
    def odoo_post_message(
        self,
        model: ModelName,
        res_id: RecordId,
        body: Annotated[str, {"minLength": 1, "maxLength": BODY_MAX_CHARS},
                        "The text, plain text only (line breaks are kept; HTML is shown as text, not rendered)."],
        kind: Annotated[str, {"enum": ["note", "message"]},
                        "'note': an internal note, seen by employees only, nobody is notified. 'message': sent "
                        "to the record's followers (customers included) by email."] = "note",
    ) -> dict:
        """Post an internal note or a message on the chatter of an Odoo record (a quotation, an invoice, a
        contact...), as you. Prefer a note unless asked to write to the customer: a message is emailed to
        the record's followers."""
        record = self._tool_chatter_record(model, res_id, "mail.thread")
        subtype = "mail.mt_comment" if kind == "message" else "mail.mt_note"
        message = record.message_post(
            body=plaintext2html(body), message_type="comment", subtype_xmlid=subtype,
        )
        return {"message_id": message.id, "model": model, "res_id": record.id, "kind": kind}

    @llm_tool(
        title="Schedule an activity",
        read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False,
        output_schema={
            "type": "object",
            "properties": {
                "activity_id": {"type": "integer"},
                "activity_type": {"type": "string"},
                "date_deadline": {"type": "string"},
                "user": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            },
            "required": ["activity_id", "activity_type", "date_deadline", "user"],
        },
    )
    @api.private
    def odoo_schedule_activity(
        self,
        model: ModelName,
        res_id: RecordId,
        summary: Annotated[str, {"minLength": 1, "maxLength": 200}, "What is to be done, in a few words."],
        date_deadline: Annotated[str, {"format": "date"}, "Due date, YYYY-MM-DD."],
        activity_type: Annotated[str, "Activity type by name, e.g. 'To-Do', 'Call', 'Email', 'Meeting'."] = "To-Do",
        user_id: Annotated[int, {"minimum": 1}, "Id of the user it is assigned to; omitted: yourself."] = None,
        note: Annotated[str, {"maxLength": BODY_MAX_CHARS}, "Details, plain text."] = None,
    ) -> dict:
        """Schedule an activity (to-do, call, email, meeting...) on an Odoo record, as you, for yourself or a
        colleague: it shows in their activities and on the record's chatter."""
        record = self._tool_chatter_record(model, res_id, "mail.activity.mixin")
        try:
            deadline = datetime.date.fromisoformat(date_deadline)
        except (TypeError, ValueError):
            raise UserError(_(
                "date_deadline must be a date as YYYY-MM-DD, got %(value)r.", value=date_deadline,
            )) from None
        types = self.env["mail.activity.type"].search(["|", ("res_model", "=", False), ("res_model", "=", model)])
        wanted = (activity_type or "").strip().lower()
        found = types.filtered(lambda t: (t.name or "").lower() == wanted)[:1]
        if not found:
            raise UserError(_(
                "No activity type %(type)r for %(model)s; available: %(names)s.",
                type=activity_type, model=model, names=", ".join(sorted(set(types.mapped("name")))) or _("none"),
            ))
        assignee = self.env.user
        if user_id is not None:
            assignee = self.env["res.users"].search([("id", "=", user_id), ("share", "=", False)], limit=1)
            if not assignee:
                raise UserError(_("No internal user with id %(id)s.", id=user_id))
        activity = record.activity_schedule(
            activity_type_id=found.id,
            summary=summary,
            note=plaintext2html(note) if note else "",
            date_deadline=deadline,
            user_id=assignee.id,
            automated=False,
        )
        return {
            "activity_id": activity.id,
            "activity_type": found.name,
            "date_deadline": fields.Date.to_string(activity.date_deadline),
            "user": {"id": assignee.id, "name": assignee.name},
        }

    @api.model
    def _tool_chatter_record(self, model, res_id, mixin):
        """The record ``res_id`` of ``model``, which must have a chatter (``mixin``) the user may write on."""
        Model = self._tool_model(model, write=True)
        if mixin not in self.env.registry or not isinstance(Model, self.env.registry[mixin]):
            # whole sentences, so a translation need not fit an article to either word
            if mixin == "mail.activity.mixin":
                raise UserError(_("%(model)s records have no activities.", model=model))
            raise UserError(_("%(model)s records have no chatter.", model=model))
        # the right to change the record, not only to read it: record rules apply, an unseen record is missing
        record = self._tool_existing(Model, [res_id], "write")
        record.check_access("write")
        return record
