"""MCP resources (docs/contract.md, Resources): records, attachments, PDF reports and exports as URIs.

Reading a resource decides like a tool call does, for the calling user and key: the generic tools' rules
(hidden models, secret fields, no wizards: llm.tool.builtin's own checks, called here, not copied), the
user's access rights and record rules, and the key's restrictions. Each kind of resource gives what a
read-only tool already gives, so it is governed by that tool: records and attachments by ``odoo_read``,
reports by ``odoo_report``, exports by ``odoo_export``. A key or a setting that withholds the tool withholds
its resources (a read-only key keeps them all: the three tools are read-only).
"""

import base64
import hashlib
import json
import logging
import re
from urllib.parse import parse_qs, quote, urlsplit

import psycopg2.errors

from odoo import _, api, models
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.service.model import PG_CONCURRENCY_ERRORS_TO_RETRY
from odoo.addons.base.models.ir_qweb import QWebException
from odoo.tools.safe_eval import safe_eval

from odoo.addons.llm_tool.errors import ToolInputError
from odoo.addons.llm_tool.models.llm_tool_builtin import SECRET_FIELD

from .. import call_bounds, json_input
from ..contract import Answer, ContractError
from ..result_budget import ResultTooLarge, fit
from .llm_mcp_call import AuditedRequest
from .llm_mcp_running_call import TooManyRunning

_logger = logging.getLogger(__name__)

SCHEME = "odoo://"
JSON_MIME = "application/json"
PDF_MIME = "application/pdf"
EXPORT_FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_MAX_ROWS = 10000
REPORT_IDS_MAX = 100
# First key of the advisory lock of a user's report being rendered (the second is the user id): "LMRP"
REPORT_LOCK_NAMESPACE = 0x4C4D5250
LIST_PAGE_SIZE = 50
# Which tool's availability decides each kind of resource (see the module's docstring).
TOOL_OF_KIND = {"record": "odoo_read", "attachment": "odoo_read", "report": "odoo_report", "export": "odoo_export"}
_MODEL_NAME = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
_ID = re.compile(r"^[1-9][0-9]{0,9}$")

TEMPLATES = {
    "record": {
        "uriTemplate": "odoo://{model}/{id}",
        "name": "record",
        "title": "A record",
        "description": "One Odoo record as JSON: its name and key fields, as odoo_read gives them "
                       "(model is the technical name, e.g. res.partner or sale.order).",
        "mimeType": JSON_MIME,
    },
    "attachment": {
        "uriTemplate": "odoo://ir.attachment/{id}",
        "name": "attachment",
        "title": "An attachment",
        "description": "The file of an attachment (ir.attachment), with its MIME type. Binary fields in "
                       "tool results point here.",
    },
    "report": {
        "uriTemplate": "odoo://report/{report}/{ids}",
        "name": "report",
        "title": "A printed report (PDF)",
        "description": "A PDF printed by Odoo's report engine, as the Print menu does: report is the report's "
                       "technical name (e.g. sale.report_saleorder, account.report_invoice), ids the records' "
                       "ids, comma-separated.",
        "mimeType": PDF_MIME,
    },
    "export": {
        "uriTemplate": "odoo://export/{model}.{format}{?domain,fields}",
        "name": "export",
        "title": "An export of a search (CSV or XLSX)",
        "description": "The records of model matching domain, with the columns fields, as Odoo's Export does; "
                       "format is csv or xlsx, domain and fields URL-encoded JSON (a domain list, a list of "
                       "field names or paths such as partner_id.name).",
    },
}


class ResourceError(ContractError):
    """A resource that cannot be read: the contract's status and code, and a message for a person."""

    def __init__(self, status, code, message, outcome=None):
        super().__init__(status, code, message)
        self._outcome = outcome

    @property
    def outcome(self):
        """The audit outcome: the key or a right forbids it, no such resource, or it could not be made."""
        return self._outcome or {403: "denied", 404: "invalid", 400: "invalid"}.get(self.status, "tool_error")


def _unknown(uri):
    return ResourceError(404, "unknown_resource", _("No resource %(uri)s is available to you.", uri=uri))


def record_uri(model, record_id):
    return f"{SCHEME}{model}/{record_id}"


def report_uri(report_name, ids):
    return f"{SCHEME}report/{report_name}/{','.join(map(str, ids))}"


def export_uri(model, file_format, domain=None, fields=None):
    query = []
    if domain:
        query.append("domain=" + quote(json.dumps(domain, separators=(",", ":")), safe=""))
    if fields:
        query.append("fields=" + quote(json.dumps(fields, separators=(",", ":")), safe=""))
    return f"{SCHEME}export/{model}.{file_format}" + ("?" + "&".join(query) if query else "")


class LlmMcpResource(models.AbstractModel):
    _name = "llm.mcp.resource"
    _description = "MCP resources"

    # -- what the key may see ---------------------------------------------------------------------------

    @api.model
    def _mcp_kinds(self, mcp_key):
        """The kinds of resource this user and key may read: those whose governing tool they may run."""
        Config = self.env["llm.mcp.config"]
        visible = {name for name in set(TOOL_OF_KIND.values()) if Config._mcp_visible_tool(mcp_key, name)}
        if not self._mcp_may_export():
            visible.discard("odoo_export")
        return [kind for kind, tool in TOOL_OF_KIND.items() if tool in visible]

    @api.model
    def _mcp_may_export(self):
        """Odoo's own rule for exports (Export in the web client, export_data): the 'Access to export' group."""
        return self.env.user.has_group("base.group_allow_export")

    @api.model
    def _mcp_templates(self, mcp_key):
        return [dict(TEMPLATES[kind]) for kind in self._mcp_kinds(mcp_key)]

    @api.model
    def _mcp_resources(self, mcp_key):
        """A short list of useful resources for the user: their company, themselves, a few entry points."""
        kinds = self._mcp_kinds(mcp_key)
        user = self.env.user
        found = []
        if "record" in kinds:
            found.append({
                "uri": record_uri("res.company", user.company_id.id), "name": "my-company",
                "title": _("My company: %(name)s", name=user.company_id.name), "mimeType": JSON_MIME,
                "description": _("The company you work in now."),
            })
            found.append({
                "uri": record_uri("res.users", user.id), "name": "me",
                "title": _("Me: %(name)s", name=user.name), "mimeType": JSON_MIME,
                "description": _("Your own user record."),
            })
        if "export" in kinds:
            entry_points = [
                ("res.partner", [["is_company", "=", True]], ["name", "email", "phone", "city", "country_id"],
                 "companies", _("Companies (contacts), as CSV")),
                ("sale.order", [["state", "in", ["draft", "sent"]]],
                 ["name", "partner_id", "date_order", "amount_total", "state"],
                 "quotations", _("Quotations waiting for confirmation, as CSV")),
                ("account.move", [["move_type", "=", "out_invoice"], ["state", "=", "posted"],
                                  ["payment_state", "in", ["not_paid", "partial"]]],
                 ["name", "partner_id", "invoice_date_due", "amount_residual"],
                 "unpaid-invoices", _("Unpaid customer invoices, as CSV")),
            ]
            for model, domain, fields, name, title in entry_points:
                if model in self.env and self.env[model].browse().has_access("read"):
                    found.append({"uri": export_uri(model, "csv", domain, fields), "name": name, "title": title,
                                  "mimeType": EXPORT_FORMATS["csv"]})
        return found

    @api.model
    def _mcp_list_page(self, items, cursor):
        """The page of ``items`` that ``cursor`` points at, and the next page's cursor (None at the end).

        The cursor names its offset and the list it was cut from (its SHA-256), as the sidecar's tools/list
        cursors do, so a cursor from a list that changed meanwhile is refused instead of skipping entries.
        """
        fingerprint = hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:16]
        offset = 0
        if cursor is not None:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
                offset, seen = decoded["o"], decoded["f"]
            except (ValueError, TypeError, KeyError, AttributeError):
                raise ResourceError(400, "bad_request", _("Invalid cursor.")) from None
            if not isinstance(offset, int) or offset < 0 or offset > len(items):
                raise ResourceError(400, "bad_request", _("Invalid cursor."))
            if seen != fingerprint:
                raise ResourceError(400, "bad_request",
                                    _("Invalid cursor: the list changed, list again from the start."))
        end = offset + LIST_PAGE_SIZE
        next_cursor = None
        if end < len(items):
            cursor_json = json.dumps({"o": end, "f": fingerprint})
            next_cursor = base64.urlsafe_b64encode(cursor_json.encode()).decode().rstrip("=")
        return items[offset:end], next_cursor

    # -- reading ------------------------------------------------------------------------------------------

    @api.model
    def _mcp_read_request(self, mcp_key, read_body):
        """The Answer of one ``resource`` request (the body from ``read_body()``), audited as
        ``resources/read`` with the URI as its argument, whatever its outcome."""
        audit = AuditedRequest(mcp_key, tool_name="resources/read")

        def read():
            body = audit.read(read_body())
            uri = body.get("uri")
            if not isinstance(uri, str) or not uri:
                raise ContractError(400, "bad_request", "'uri' (a string) is required.")
            audit.arguments = {"uri": uri}
            if json_input.storable(uri) != uri:  # PostgreSQL would refuse it in the first query: a 500
                raise ContractError(400, "bad_request", "'uri' holds a NUL character or an unpaired UTF-16 "
                                                        "surrogate: no resource has such a URI.")
            settings = self.env["llm.mcp.config"]._mcp_enabled_settings()
            longest = settings["call_max_seconds"]
            try:
                with call_bounds.bounded(self.env.cr, longest, f"resource read {uri[:200]!r}"):
                    contents = self._mcp_read(mcp_key, uri, settings)
            except ResourceError:
                self.env.cr.rollback()
                raise
            except psycopg2.Error as exc:
                if exc.pgcode in PG_CONCURRENCY_ERRORS_TO_RETRY:
                    raise  # Odoo replays the request
                self.env.cr.rollback()
                if call_bounds.is_stopped_statement(exc) and call_bounds.ran_out_of_time(audit.started_monotonic,
                                                                                         longest):
                    raise ResourceError(422, "resource_error", _(
                        "Reading %(uri)s took longer than %(seconds)s seconds, the longest a call may run here, and "
                        "was stopped. Ask for less (a narrower domain, fewer fields or records).", uri=uri,
                        seconds=longest,
                    ), outcome="timed_out") from None
                # PostgreSQL's own text may quote SQL or data: the log and the audit row have it, not the client
                detail = ((exc.pgerror or str(exc)).strip().splitlines() or [""])[0][:500]
                _logger.warning("Resource %s: the database refused a statement (SQLSTATE %s): %s", uri[:200],
                                exc.pgcode, detail)
                audit.detail = detail
                raise ResourceError(422, "resource_error", _(
                    "The database could not complete the operation (SQLSTATE %(code)s); nothing was changed. The "
                    "server's log has the details.", code=exc.pgcode or "unknown",
                )) from None
            return "ok", Answer({"contents": contents}), None

        return self.env["llm.mcp.call"]._mcp_audited(
            audit, read, subject=lambda: f"resource read {(audit.arguments or {}).get('uri')!r}",
            failure="read the resource",
        )

    @api.model
    def _mcp_read(self, mcp_key, uri, settings):
        """The ``contents`` of resource ``uri`` for the current user and key; raises ResourceError."""
        kind, parts = self._mcp_parse(uri)
        if kind not in self._mcp_kinds(mcp_key):
            raise ResourceError(403, "resource_refused", _(
                "Your key or the MCP settings do not allow the tool %(tool)s, which %(uri)s needs.",
                tool=TOOL_OF_KIND[kind], uri=uri,
            ))
        try:
            if kind == "record":
                return self._mcp_read_record(uri, settings, *parts)
            if kind == "attachment":
                return self._mcp_read_attachment(uri, settings, *parts)
            if kind == "report":
                return self._mcp_read_report(uri, settings, *parts)
            return self._mcp_read_export(uri, settings, *parts)
        except MissingError:
            raise _unknown(uri) from None
        except AccessError as exc:
            raise ResourceError(403, "resource_refused", str(exc.args[0]) if exc.args else _("Access denied.")) from exc
        except (UserError, ToolInputError) as exc:
            raise ResourceError(422, "resource_error", str(exc.args[0]) if exc.args else _("Refused.")) from exc

    @api.model
    def _mcp_parse(self, uri):
        """(kind, parts) of an odoo:// URI; anything else is an unknown resource."""
        if not isinstance(uri, str) or not uri.startswith(SCHEME) or len(uri) > 8192:
            raise _unknown(uri)
        split = urlsplit(uri)
        host, path = split.netloc, split.path.lstrip("/")
        if host == "report":
            report, _sep, ids = path.rpartition("/")
            id_list = ids.split(",") if ids else []
            if not report or not id_list or not all(_ID.match(i) for i in id_list) or split.query:
                raise _unknown(uri)
            if len(id_list) > REPORT_IDS_MAX:
                raise ResourceError(422, "resource_error", _("A report prints at most %(max)s records at once.",
                                                             max=REPORT_IDS_MAX))
            return "report", (report, [int(i) for i in id_list])
        if host == "export":
            model, _sep, file_format = path.rpartition(".")
            if not _MODEL_NAME.match(model or "") or file_format not in EXPORT_FORMATS:
                raise _unknown(uri)
            query = parse_qs(split.query, keep_blank_values=True)
            if set(query) - {"domain", "fields"} or any(len(v) > 1 for v in query.values()):
                raise ResourceError(422, "resource_error",
                                    _("An export URI takes one domain and one fields parameter."))
            if model not in self.env.registry:
                raise _unknown(uri)
            return "export", (model, file_format, *(self._mcp_json_param(query, name) for name in ("domain", "fields")))
        if not _MODEL_NAME.match(host or "") or not _ID.match(path) or split.query or split.fragment:
            raise _unknown(uri)
        if host not in self.env.registry:
            raise _unknown(uri)
        if host == "ir.attachment":
            return "attachment", (int(path),)
        return "record", (host, int(path))

    @api.model
    def _mcp_json_param(self, query, name):
        if name not in query:
            return None
        try:
            value = json.loads(query[name][0])
        except ValueError:
            raise ResourceError(422, "resource_error", _("%(name)s is not JSON.", name=name)) from None
        if not isinstance(value, list):
            raise ResourceError(422, "resource_error", _("%(name)s must be a JSON list.", name=name))
        return value

    @api.model
    def _mcp_read_record(self, uri, settings, model, record_id):
        Builtin = self.env["llm.tool.builtin"]
        Model = Builtin._tool_model(model)
        records = Builtin._tool_existing(Model, [record_id])
        row = Builtin._tool_format_records(records, Builtin._tool_field_names(Model, None))[0]
        try:
            row = fit(row, settings["result_max_bytes"])
        except ResultTooLarge as exc:
            raise ResourceError(413, "resource_too_large", _(
                "The record is %(size)s bytes of JSON, over the result budget of %(budget)s bytes.",
                size=exc.size, budget=exc.budget,
            )) from None
        return [{"uri": uri, "mimeType": JSON_MIME, "text": json.dumps(row, ensure_ascii=False)}]

    @api.model
    def _mcp_read_attachment(self, uri, settings, attachment_id):
        Builtin = self.env["llm.tool.builtin"]
        Attachment = Builtin._tool_model("ir.attachment")
        Attachment.check_access("read")
        found = Attachment.sudo().browse(attachment_id).exists()
        if not found:
            raise _unknown(uri)
        attachment = found.sudo(False)
        try:
            # Odoo's own rule for attachments: the document they belong to must be readable (and the field
            # they fill, for a binary field's file), and an attachment of no document is its creator's
            attachment.check("read")
        except AccessError:
            raise _unknown(uri) from None  # the same answer as a missing one: no oracle
        res_model, res_field = found.res_model, found.res_field
        if res_model and res_model in Builtin._tool_hidden_models():
            raise AccessError(_("%(model)s is not available to MCP tools: it holds credentials, secrets or the "
                                "server's own settings.", model=res_model))
        if res_field and SECRET_FIELD.search(res_field):
            raise AccessError(_("Field %(field)s of %(model)s holds a secret: MCP tools do not read it.",
                                field=res_field, model=res_model))
        if found.type == "url":
            raise UserError(_("Attachment %(id)s is a link to %(url)s, not a file.", id=attachment_id, url=found.url))
        size = found.file_size
        self._mcp_check_blob_size(size, settings, _("The attachment"))
        raw = found.raw or b""
        self._mcp_check_blob_size(len(raw), settings, _("The attachment"))
        return [{"uri": uri, "mimeType": found.mimetype or "application/octet-stream",
                 "blob": base64.b64encode(raw).decode()}]

    @api.model
    def _mcp_read_report(self, uri, settings, report_name, ids):
        Builtin = self.env["llm.tool.builtin"]
        report = self._mcp_report(report_name)
        Model = Builtin._tool_model(report.model)
        Builtin._tool_existing(Model, ids)
        self._mcp_take_report_turn()
        # as the user (the template reads the records with their rights); no attachment is saved for a read
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True, report_pdf_no_attachment=True)
        try:
            pdf, _kind = Report._render_qweb_pdf(report.report_name, ids)
        except QWebException as exc:
            # the template failed on these records: it read what the user may not (a report meant for another
            # group), or broke on their data. The template's path and code are for the log, not the client.
            cause = exc.__cause__
            if isinstance(cause, (UserError, psycopg2.Error)):
                raise cause from None  # a refusal answered as such (AccessError: 403), a timeout as a timeout
            _logger.warning("Report %s failed to render for %s%s", report.report_name, report.model, ids,
                            exc_info=True)
            raise ResourceError(422, "resource_error", _(
                "Odoo could not render the report %(report)s for these records (%(error)s); its log has the details.",
                report=report.report_name, error=type(cause or exc).__name__,
            )) from exc
        self._mcp_check_blob_size(len(pdf), settings, _("The report"))
        return [{"uri": uri, "mimeType": PDF_MIME, "blob": base64.b64encode(pdf).decode()}]

    @api.model
    def _mcp_take_report_turn(self):
        """One report rendered at a time per user, over every worker and key; else TooManyRunning (429).

        wkhtmltopdf renders outside the database: neither the Longest call (a statement timeout) nor the cap of
        tool calls running at once bounds it, and a big report takes a worker for as long as it renders (red team
        2026-12-02: four 17-second renders of one user held both workers, and every other user's call timed out
        for four minutes). The lock is the request transaction's: it ends with the read.
        """
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [REPORT_LOCK_NAMESPACE, self.env.uid])
        if not self.env.cr.fetchone()[0]:
            raise TooManyRunning(_(
                "Another report of yours is being made; reports are made one at a time. Nothing was run. Retry "
                "when it is done."))

    @api.model
    def _mcp_report(self, report_name):
        """The PDF report ``report_name`` if the user may print it (its groups); else MissingError."""
        report = self.env["ir.actions.report"].sudo().search(
            [("report_name", "=", report_name), ("report_type", "=", "qweb-pdf")], limit=1)
        if not report or (report.groups_id and not report.groups_id & self.env.user.groups_id):
            raise MissingError(_("No PDF report %(report)r is available to you.", report=report_name))
        return report

    @api.model
    def _mcp_report_name(self, report, ids):
        """The file name Odoo's Print menu gives the PDF (the report's print_report_name for one record)."""
        records = self.env[report.model].browse(ids)
        name = report.name
        if report.print_report_name and len(records) == 1:
            try:
                name = safe_eval(report.print_report_name, {"object": records, "time": __import__("time")}) or name
            except Exception:  # a broken expression in a report is no reason to refuse the print
                name = report.name
        return f"{name}.pdf"

    @api.model
    def _mcp_read_export(self, uri, settings, model, file_format, domain, fields):
        Builtin = self.env["llm.tool.builtin"]
        Model = Builtin._tool_model(model)
        Model.check_access("read")
        self._mcp_check_export_right()
        domain = Builtin._tool_domain(Model, domain)
        names = self._mcp_export_fields(Model, fields)
        records = Model.search(domain, limit=EXPORT_MAX_ROWS + 1)
        if len(records) > EXPORT_MAX_ROWS:
            raise UserError(_("The export holds more than %(max)s records: narrow the domain.", max=EXPORT_MAX_ROWS))
        rows = records.export_data([name.replace(".", "/") for name in names])["datas"]
        ends = [self._mcp_field_at(Model, name) for name in names]
        headers = [field.string if "." not in name else name for name, field in zip(names, ends)]
        # Odoo's own Export writers, so the files are what the web client's Export gives
        from odoo.addons.web.controllers.export import CSVExport, ExcelExport

        if file_format == "csv":
            text = CSVExport().from_data(names, headers, rows)
            size = len(text.encode())
            if size > settings["result_max_bytes"]:
                raise ResourceError(413, "resource_too_large", _(
                    "The export is %(size)s bytes, over the result budget of %(budget)s bytes: narrow the domain "
                    "or ask for fewer fields.", size=size, budget=settings["result_max_bytes"],
                ))
            return [{"uri": uri, "mimeType": EXPORT_FORMATS["csv"], "text": text}]
        data = ExcelExport().from_data([{"label": h, "type": f.type} for h, f in zip(headers, ends)], headers, rows)
        self._mcp_check_blob_size(len(data), settings, _("The export"))
        return [{"uri": uri, "mimeType": EXPORT_FORMATS["xlsx"], "blob": base64.b64encode(data).decode()}]

    @api.model
    def _mcp_check_export_right(self):
        if not self._mcp_may_export():
            raise AccessError(_("You may not export data: ask an administrator for the 'Access to export feature' "
                                "right."))

    @api.model
    def _mcp_export_fields(self, Model, fields):
        Builtin = self.env["llm.tool.builtin"]
        if not fields:
            names = [name for name in Builtin._tool_field_names(Model, None) if name != "display_name"]
            return names or ["display_name"]
        if not all(isinstance(name, str) and name for name in fields):
            raise UserError(_("fields must be a list of field names."))
        unknown = [name for name in fields if name.split(".")[0] not in Model._fields]
        if unknown:
            raise UserError(_("Unknown field(s) %(fields)s on %(model)s; odoo_describe_model lists them.",
                              fields=", ".join(unknown), model=Model._name))
        for name in fields:
            Builtin._tool_check_path(Model, name)
            if self._mcp_field_at(Model, name).type == "binary":
                raise UserError(_("%(field)s is a file: exports leave files out (binary fields are read as "
                                  "odoo://ir.attachment/{id} resources).", field=name))
        Model.check_field_access_rights("read", [name.split(".")[0] for name in fields])
        return list(dict.fromkeys(fields))

    @api.model
    def _mcp_field_at(self, Model, path):
        """The field a dotted path ends on (paths are checked field by field before)."""
        names = path.split(".")
        for name in names[:-1]:
            field = Model._fields.get(name)
            if field is None or not field.relational:
                raise UserError(_("%(path)s: %(field)s is not a relation.", path=path, field=name))
            Model = self.env[field.comodel_name]
        field = Model._fields.get(names[-1])
        if field is None:
            raise UserError(_("Unknown field %(field)s on %(model)s.", field=names[-1], model=Model._name))
        return field

    @api.model
    def _mcp_check_blob_size(self, size, settings, what):
        cap = settings["resource_max_bytes"]
        if size > cap:
            raise ResourceError(413, "resource_too_large", _(
                "%(what)s is %(size)s bytes, over the file size limit of %(cap)s bytes (LLM → Configuration → "
                "MCP Server: Largest file).", what=what, size=size, cap=cap,
            ))
