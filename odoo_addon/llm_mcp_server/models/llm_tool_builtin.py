from typing import Annotated, Literal

from odoo import _, api, models
from odoo.exceptions import UserError

from odoo.addons.llm_tool.decorators import llm_tool
from odoo.addons.llm_tool.models.llm_tool_builtin import Domain, ModelName

from .llm_mcp_resource import EXPORT_FORMATS, EXPORT_MAX_ROWS, PDF_MIME, REPORT_IDS_MAX, export_uri, report_uri

# The MCP server's own security models: its keys and their restrictions, the audit log, its settings and
# the key wizards, the rate limits' counter, the confirmations answered, the resources' reader, the OAuth
# authorization server's clients, grants, codes and refresh tokens, and the prompts (their own endpoints serve
# them, filtered per user). No generic tool touches them, whoever the user is (docs/security.md).
MCP_HIDDEN_MODELS = frozenset({
    "llm.mcp.key", "llm.mcp.call", "llm.mcp.config", "llm.mcp.key.wizard", "llm.mcp.key.show",
    "llm.mcp.key.usage",
    "llm.mcp.rate.limit",
    "llm.mcp.running.call",
    "llm.mcp.oauth.client", "llm.mcp.oauth.grant", "llm.mcp.oauth.code", "llm.mcp.oauth.refresh.token",
    "llm.mcp.confirmation",
    "llm.mcp.resource",
    "llm.mcp.prompt", "llm.mcp.prompt.argument", "llm.mcp.prompt.message",
})

_RESOURCE_LINKS_SCHEMA = {
    "type": "array",
    "description": "Each is also a resource_link content block: read it with resources/read.",
    "items": {
        "type": "object",
        "properties": {
            "uri": {"type": "string"}, "name": {"type": "string"}, "mimeType": {"type": "string"},
            "description": {"type": "string"},
        },
        "required": ["uri", "name"],
    },
}


class LlmToolBuiltin(models.AbstractModel):
    _inherit = "llm.tool.builtin"

    @api.model
    def _tool_hidden_models(self):
        return super()._tool_hidden_models() | MCP_HIDDEN_MODELS

    @api.model
    def _tool_binary_references(self, records, field_names):
        """A binary field's file is the resource odoo://ir.attachment/{id}: its size marker says so."""
        references = super()._tool_binary_references(records, field_names)
        if records._name == "ir.attachment":
            # an attachment's own content fields (datas, raw, db_datas) are the attachment's file
            for record_id in records.ids:
                for name in field_names:
                    references[(record_id, name)] = {"uri": f"odoo://ir.attachment/{record_id}"}
            return references
        names = [name for name in field_names if records._fields[name].attachment]
        if not names or not records:
            return references
        # the ids only, of fields of records the caller has just read; reading the file checks its rights
        attachments = self.env["ir.attachment"].sudo().search_read(
            [("res_model", "=", records._name), ("res_field", "in", names), ("res_id", "in", records.ids)],
            ["res_id", "res_field"],
        )
        for attachment in attachments:
            references[(attachment["res_id"], attachment["res_field"])] = {
                "uri": f"odoo://ir.attachment/{attachment['id']}"
            }
        return references

    # -- files: reports and exports, as resource links ------------------------------------------------------

    @llm_tool(
        title="Print a report (PDF)",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={"type": "object", "properties": {"resource_links": _RESOURCE_LINKS_SCHEMA},
                       "required": ["resource_links"]},
    )
    @api.private
    def odoo_report(
        self,
        report: Annotated[str, "Technical name of a PDF report, e.g. 'sale.report_saleorder' (quotation / "
                               "order) or 'account.report_invoice' (invoice); the ir.actions.report records of "
                               "the model list them (report_name)."],
        ids: Annotated[list[int], {"minItems": 1, "maxItems": REPORT_IDS_MAX}, "Ids of the records to print."],
    ) -> dict:
        """Print records as a PDF with Odoo's report engine, as the web client's Print menu does. Returns a
        link to the PDF (a resource): read it with resources/read. Nothing is rendered until it is read."""
        Resource = self.env["llm.mcp.resource"]
        found = Resource._mcp_report(report)
        Model = self._tool_model(found.model)
        self._tool_existing(Model, ids)
        ids = list(dict.fromkeys(ids))
        return {"resource_links": [{
            "uri": report_uri(found.report_name, ids),
            "name": Resource._mcp_report_name(found, ids),
            "mimeType": PDF_MIME,
            "description": _("%(report)s of %(count)s %(model)s record(s)", report=found.name, count=len(ids),
                             model=Model._description),
        }]}

    @llm_tool(
        title="Export a search (CSV or XLSX)",
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False,
        output_schema={"type": "object",
                       "properties": {"resource_links": _RESOURCE_LINKS_SCHEMA, "count": {"type": "integer"}},
                       "required": ["resource_links", "count"]},
    )
    @api.private
    def odoo_export(
        self,
        model: ModelName,
        fields: Annotated[list[str], {"minItems": 1}, "Columns: field names or paths, e.g. ['name', "
                          "'partner_id.name', 'amount_total']."],
        domain: Domain = None,
        format: Annotated[Literal["csv", "xlsx"], "File format."] = "csv",  # noqa: A002 (the argument's name)
    ) -> dict:
        """Export the records matching a domain as a CSV or XLSX file, as the web client's Export does.
        Returns a link to the file (a resource) and the number of records: read it with resources/read."""
        Model = self._tool_model(model)
        Model.check_access("read")
        self.env["llm.mcp.resource"]._mcp_check_export_right()
        normalized = self._tool_domain(Model, domain)
        self.env["llm.mcp.resource"]._mcp_export_fields(Model, fields)
        count = Model.search_count(normalized)
        if count > EXPORT_MAX_ROWS:
            raise UserError(_("The export would hold %(count)s records, more than %(max)s: narrow the domain.",
                              count=count, max=EXPORT_MAX_ROWS))
        return {"count": count, "resource_links": [{
            "uri": export_uri(model, format, domain or None, fields),
            "name": f"{model}.{format}",
            "mimeType": EXPORT_FORMATS[format],
            "description": _("%(count)s %(model)s record(s)", count=count, model=Model._description),
        }]}
