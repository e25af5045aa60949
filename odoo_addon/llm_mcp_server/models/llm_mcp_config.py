import hashlib
import json

import requests

from odoo import _, api, fields, models, tools
from odoo.addons.base.models.res_users import check_identity

from .. import oauth
from ..contract import CallRefused
from .llm_tool import mcp_definition

RESULT_BUDGET_DEFAULT = 256 * 1024
# The sidecar reads at most ODOO_MAX_ANSWER_BYTES (2 MiB) of an answer, which carries the result twice.
RESULT_BUDGET_MAX = 768 * 1024
# Calls per minute (rate_limit.py): a person chatting makes a few; a runaway loop makes hundreds.
RATE_KEY_CALLS_DEFAULT = 120
RATE_KEY_WRITES_DEFAULT = 30
RATE_USER_CALLS_DEFAULT = 300
# A file resource (attachment, PDF, XLSX) travels base64-encoded (4/3 of its size) in an answer the sidecar
# reads up to ODOO_MAX_ANSWER_BYTES (2 MiB): 1500 KiB is 2,048,000 bytes of base64, leaving room for the rest.
RESOURCE_MAX_DEFAULT = 1024 * 1024
RESOURCE_MAX_MAX = 1500 * 1024
# Longest call: each SQL statement of one tool call or resource read stops after this many seconds (its
# transaction's statement_timeout, call_bounds.py), well under Odoo's limit_time_real (120 s by default), so one
# key's slow searches cannot hold the workers that serve everyone else.
CALL_MAX_SECONDS_DEFAULT = 30
CALL_MAX_SECONDS_MAX = 3600
# Calls running at once per user (the running-call registry's cap): each holds an Odoo worker while it runs. Odoo
# sizes prefork at 2 workers per core plus one (5 on 2 cores); 2 leaves most of them to the others, and lets a
# model run two tools side by side.
RUNNING_CALLS_PER_USER_DEFAULT = 2
# Test Connection: short, the person is waiting on the button.
_TEST_TIMEOUT_SECONDS = 5


def running_calls_cap(setting, workers):
    """The cap of calls one user runs at once in force on a server with ``workers`` (0: threaded): the setting,
    but in prefork at most one less than the workers (each call holds one), so one user never holds them all;
    a single worker cannot be shared, it takes one. 0 stays 0: no cap, as the administrator chose."""
    if not setting or not workers:
        return setting
    return min(setting, max(workers - 1, 1))


class LlmMcpConfig(models.Model):
    _name = "llm.mcp.config"
    _inherit = ["llm.registry.cache.mixin"]  # _mcp_settings is cached for the whole registry
    _description = "MCP Server Settings"

    name = fields.Char(compute="_compute_name")
    enabled = fields.Boolean(default=True, help="Off: the MCP endpoints refuse every request (403).")
    server_name = fields.Char(default="Odoo MCP", required=True, help="The name MCP clients show for this server.")
    instructions = fields.Text(help="Optional text MCP clients pass to the model: how to use this database.")
    public_url = fields.Char(
        string="Public URL", help="The address MCP clients use. Empty: this database's web.base.url + /mcp."
    )
    sidecar_url = fields.Char(
        string="Sidecar URL", default="http://127.0.0.1:8765", help="The sidecar's own base URL, for 'Test connection'."
    )
    tool_exposure = fields.Selection(
        [("all", "All active tools"), ("selected", "Selected tools only")], default="all", required=True
    )
    tool_ids = fields.Many2many(
        "llm.tool", "llm_mcp_config_llm_tool_rel", "config_id", "tool_id", string="Exposed Tools",
        help="The tools offered over MCP when exposure is 'Selected tools only'.",
    )
    allow_write_tools = fields.Boolean(
        default=True, help="Off: only tools marked read-only are offered (no create, update, delete or method calls)."
    )
    allow_consent_tools = fields.Boolean(
        default=False,
        help="Consent-flagged tools that require confirmation are always offered (the person confirms each call). "
             "On: consent-flagged tools whose confirmation a manager switched off are offered too.",
    )
    audit_retention_days = fields.Integer(default=90, help="MCP calls older than this are deleted; 0 keeps them.")
    result_max_bytes = fields.Integer(
        string="Result budget (bytes)", default=RESULT_BUDGET_DEFAULT,
        help="Largest tool result sent to a client. A longer list is cut to fit and the cut is said in the "
             "result, so the model can page; the sidecar refuses answers much larger than this.",
    )
    rate_key_calls_per_minute = fields.Integer(
        string="Calls per minute per key", default=RATE_KEY_CALLS_DEFAULT,
        help="Most tool calls one key (or one connected app) makes in any 60 seconds; further calls are refused "
             "(HTTP 429) and audited as rate limited. A key can have a lower limit of its own. 0: no limit.")
    rate_key_writes_per_minute = fields.Integer(
        string="Writes per minute per key", default=RATE_KEY_WRITES_DEFAULT,
        help="Most calls of tools that change data (not read-only) one key makes in any 60 seconds. 0: no limit.")
    rate_user_calls_per_minute = fields.Integer(
        string="Calls per minute per user", default=RATE_USER_CALLS_DEFAULT,
        help="Most tool calls one user makes in any 60 seconds over all their keys and connected apps. 0: no limit.")
    resource_max_bytes = fields.Integer(
        string="Largest file (bytes)", default=RESOURCE_MAX_DEFAULT,
        help="Largest file an MCP client may read as a resource (an attachment, a PDF report, an XLSX export). "
             "A larger one is refused with a message naming this limit.",
    )
    call_max_seconds = fields.Integer(
        string="Longest call (seconds)", default=CALL_MAX_SECONDS_DEFAULT,
        help="How long one database statement of a tool call or resource read may run. A longer one is stopped: "
             "the call fails with a message naming this limit, nothing it did is kept, and it is audited as timed "
             "out. Keeps one client's slow searches from holding the Odoo workers others need.",
    )
    running_calls_per_user = fields.Integer(
        string="Calls running at once per user", default=RUNNING_CALLS_PER_USER_DEFAULT,
        help="Most tool calls one user runs at the same time, over all their keys and connected apps and every "
             "sidecar; a further call is refused before it runs (HTTP 429, retry in 1 s) and audited as too many "
             "running. Each running call holds an Odoo worker: with Odoo's workers (--workers), at most one less "
             "than their number is in force, so one user always leaves a worker to the others. 0: no limit.",
    )
    running_calls_warning = fields.Char(
        compute="_compute_running_calls_warning",
        help="What the cap in force is when it differs from the setting, or why the setting lets one user hold "
             "every Odoo worker.",
    )

    oauth_enabled = fields.Boolean(
        string="OAuth sign-in", default=True,
        help="On: MCP clients given only the URL (claude.ai, Claude Desktop connectors, ChatGPT) sign in with Odoo "
             "and a consent screen. Off: only MCP keys work.")
    oauth_dcr_enabled = fields.Boolean(
        string="Dynamic client registration", default=True,
        help="On: clients may register themselves (RFC 7591), as claude.ai and ChatGPT do. Rate-limited.")
    oauth_cimd_domains = fields.Char(
        string="Allowed client domains",
        help="Comma-separated host names whose Client ID Metadata Documents are accepted (subdomains included). "
             "Empty: any https client.")
    oauth_access_token_minutes = fields.Integer(
        string="Access token lifetime (minutes)", default=60,
        help="How long an OAuth access token works before the client refreshes it (1 to 60 minutes).")

    # the tools a person confirms (Requires Confirmation on each tool's form), listed on the settings form
    confirmed_tool_ids = fields.Many2many(
        "llm.tool", string="Tools that ask for confirmation", compute="_compute_confirmed_tool_ids",
        help="Each call of these tools runs only once the person accepted its preview. Change it on each tool's "
             "form (Requires Confirmation).",
    )

    _sql_constraints = [(
        "oauth_access_token_minutes_range", "CHECK(oauth_access_token_minutes BETWEEN 1 AND 60)",
        "The access token lifetime must be between 1 and 60 minutes.",
    ), (
        "result_max_bytes_range", f"CHECK(result_max_bytes BETWEEN 1024 AND {RESULT_BUDGET_MAX})",
        f"The result budget must be between 1 KB and {RESULT_BUDGET_MAX // 1024} KB.",
    ), (
        "rate_limits_not_negative",
        "CHECK(rate_key_calls_per_minute >= 0 AND rate_key_writes_per_minute >= 0 AND rate_user_calls_per_minute >= 0)",
        "Rate limits are numbers of calls per minute (0: no limit).",
    ), (
        "running_calls_per_user_not_negative", "CHECK(running_calls_per_user >= 0)",
        "Calls running at once per user is a number of calls (0: no limit).",
    ), (
        "resource_max_bytes_range", f"CHECK(resource_max_bytes BETWEEN 1024 AND {RESOURCE_MAX_MAX})",
        f"The largest file must be between 1 KB and {RESOURCE_MAX_MAX // 1024} KB.",
    ), (
        "call_max_seconds_range", f"CHECK(call_max_seconds BETWEEN 1 AND {CALL_MAX_SECONDS_MAX})",
        f"The longest call must be between 1 and {CALL_MAX_SECONDS_MAX} seconds.",
    )]

    def _compute_confirmed_tool_ids(self):
        tools = self.env["llm.tool"].search([("requires_confirmation", "=", True)])
        for config in self:
            config.confirmed_tool_ids = tools

    @api.depends("running_calls_per_user")
    def _compute_running_calls_warning(self):
        workers = tools.config["workers"]
        for config in self:
            setting = config.running_calls_per_user
            if not workers or (setting and setting < workers):
                # threaded Odoo has no fixed count of workers; below it, the setting is what is in force
                config.running_calls_warning = False
            elif workers == 1:
                config.running_calls_warning = _(
                    "Odoo runs one worker: any running call holds it, and everyone else's requests wait. Run "
                    "more workers (--workers).")
            elif not setting:
                config.running_calls_warning = _(
                    "No limit: one user's calls may hold all %(workers)s Odoo workers, and everyone else's "
                    "requests wait.", workers=workers)
            else:
                config.running_calls_warning = _(
                    "Odoo runs %(workers)s workers: one user runs at most %(cap)s calls at once (one worker "
                    "always stays free for the others), not %(setting)s.",
                    workers=workers, cap=running_calls_cap(setting, workers), setting=setting)

    @api.model
    def _running_calls_cap(self):
        """The calls one user may run at once on this Odoo server (0: no cap): the setting, bounded by the
        server's workers."""
        return running_calls_cap(self._mcp_settings()["running_calls_per_user"], tools.config["workers"])

    def _compute_name(self):
        for config in self:
            config.name = config.server_name

    @api.model
    def get_config(self):
        """The settings record of this database (created if its data record was deleted), in sudo."""
        config = self.env.ref("llm_mcp_server.mcp_config", raise_if_not_found=False)
        if not config:
            config = self.sudo().search([], limit=1, order="id") or self.sudo().create({})
        return config.sudo()

    def get_public_url(self):
        """The URL MCP clients connect to."""
        self.ensure_one()
        if self.public_url:
            return self.public_url
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        return base_url.rstrip("/") + "/mcp"

    def _oauth_urls(self):
        """The OAuth URLs (issuer, resource, endpoints, metadata), derived from the public MCP URL."""
        self.ensure_one()
        return oauth.public_urls(self.get_public_url())

    # -- what the MCP endpoints obey ------------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _mcp_settings(self):
        """The settings the endpoints read on every request, cached until the settings change."""
        config = self.get_config()
        return {
            "enabled": config.enabled,
            "server_name": config.server_name or "Odoo MCP",
            "instructions": config.instructions or "",
            "exposed": frozenset(config.tool_ids.ids) if config.tool_exposure == "selected" else None,
            "allow_write_tools": config.allow_write_tools,
            "allow_consent_tools": config.allow_consent_tools,
            "result_max_bytes": config.result_max_bytes or RESULT_BUDGET_DEFAULT,
            "resource_max_bytes": config.resource_max_bytes or RESOURCE_MAX_DEFAULT,
            "call_max_seconds": config.call_max_seconds or CALL_MAX_SECONDS_DEFAULT,
            "running_calls_per_user": config.running_calls_per_user,
            # opt-out of the faster, non-durable commit of read-only calls' audit rows (see llm.mcp.call)
            "durable_read_audit": self.env["ir.config_parameter"].sudo().get_param(
                "llm_mcp_server.durable_read_audit", "False"
            ).lower() in ("1", "true", "yes"),
        }

    @api.model
    def _mcp_enabled_settings(self):
        """The settings, or a refusal (403 ``mcp_disabled``) when the MCP server is switched off."""
        settings = self._mcp_settings()
        if not settings["enabled"]:
            raise CallRefused(403, "mcp_disabled",
                              self.env._("The MCP server is switched off in this database's settings."), "denied")
        return settings

    @api.model
    @tools.ormcache()
    def _mcp_rate_limits(self):
        """The default limits (calls per minute; 0: none) for keys without their own, and the one per user."""
        config = self.get_config()
        return {
            "key_calls": config.rate_key_calls_per_minute,
            "key_writes": config.rate_key_writes_per_minute,
            "user_calls": config.rate_user_calls_per_minute,
        }

    @api.model
    def _mcp_visible_tools(self, mcp_key):
        """{name: ToolEntry} the current user may see and run through ``mcp_key``, after the settings."""
        settings = self._mcp_settings()
        return {
            name: entry
            for name, entry in self.env["llm.tool"]._available_tool_entries().items()
            if self._mcp_allows(settings, mcp_key, entry)
        }

    @api.model
    def _mcp_visible_tool(self, mcp_key, name):
        """The ToolEntry ``name`` if the current user may run it through ``mcp_key``, else None."""
        entry = self.env["llm.tool"]._available_tool_entry(name)
        return entry if entry and self._mcp_allows(self._mcp_settings(), mcp_key, entry) else None

    @api.model
    def _mcp_callable_tool(self, mcp_key, name):
        """The tool ``name`` if this user and key may run it; else 404 (denied or unknown, not saying which)."""
        entry = self._mcp_visible_tool(mcp_key, name)
        if entry:
            return entry
        exists = self.env["llm.tool"]._tool_catalog().get(name)
        raise CallRefused(
            404, "unknown_tool", self.env._("No tool named %(name)r is available to you.", name=name),
            outcome="denied" if exists else "invalid", tool_id=exists.id if exists else None,
        )

    @api.model
    def _mcp_allows(self, settings, mcp_key, entry):
        if settings["exposed"] is not None and entry.id not in settings["exposed"]:
            return False
        if not entry.read_only and (not settings["allow_write_tools"] or mcp_key.read_only):
            return False
        # a consent-flagged tool the person confirms call by call has its consent; without confirmation it
        # is offered only when the settings say so
        if entry.requires_consent and not entry.requires_confirmation and not settings["allow_consent_tools"]:
            return False
        return mcp_key.allowed_tools is None or entry.name in mcp_key.allowed_tools

    @api.model
    def _mcp_tool_definitions(self, visible):
        """The ``tools`` answer's list for ``visible``: MCP definitions sorted by name."""
        return [mcp_definition(visible[name]) for name in sorted(visible)]

    @api.model
    def _mcp_fingerprint(self, visible):
        """SHA-256 of the tool list as ``tools`` returns it; changes whenever that answer would."""
        return self._mcp_fingerprint_of(tuple(sorted(visible)))

    @api.model
    @tools.ormcache("names")
    def _mcp_fingerprint_of(self, names):
        catalog = self.env["llm.tool"]._tool_catalog()
        canonical = json.dumps(
            [mcp_definition(catalog[name]) for name in names], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    # -- the settings form ----------------------------------------------------------------------------

    @check_identity
    def action_new_mcp_key(self):
        return self.env["llm.mcp.key.wizard"].action_open()

    def action_test_connection(self):
        """Check the sidecar's readiness, then that MCP clients reach it at the public URL; say what is wrong."""
        self.ensure_one()
        ready, message = self._check_sidecar_ready()
        if not ready:
            return self._notification(_("MCP server is not ready"), message, "danger")
        reachable, public_message = self._check_public_url()
        if not reachable:
            return self._notification(
                _("MCP server is ready, but…"), "%s %s" % (message, public_message), "warning")
        return self._notification(_("MCP server is ready"), "%s %s" % (message, public_message), "success")

    @staticmethod
    def _notification(title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind != "success"},
        }

    def _check_sidecar_ready(self):
        """Return ``(ok, message)`` for ``GET sidecar_url/readyz``."""
        base = (self.sidecar_url or "").strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            return False, _("The sidecar URL “%(url)s” is not an http(s) URL. Set it to where the sidecar "
                            "listens, e.g. http://127.0.0.1:8765.", url=self.sidecar_url or "")
        url = base + "/readyz"
        try:
            response = requests.get(url, timeout=_TEST_TIMEOUT_SECONDS)
        except requests.exceptions.ConnectionError:
            return False, _("Nothing answers at %(url)s. Is the sidecar running (npm start), and is the "
                            "sidecar URL in these settings right?", url=url)
        except requests.exceptions.Timeout:
            return False, _("The sidecar at %(url)s did not answer within %(seconds)s seconds.",
                            url=url, seconds=_TEST_TIMEOUT_SECONDS)
        except requests.exceptions.RequestException as error:
            return False, _("Could not call %(url)s: %(error)s", url=url, error=error)
        detail = self._readiness_detail(response)
        if response.status_code == 200:
            return True, _("The sidecar at %(url)s is ready and reaches this Odoo.", url=base)
        if response.status_code == 404:
            return False, _("%(url)s answered 404: something else than the MCP sidecar listens there.", url=url)
        return False, _("The sidecar answered HTTP %(status)s at %(url)s: %(detail)s",
                        status=response.status_code, url=url, detail=detail or _("no details given"))

    def _check_public_url(self):
        """Return ``(ok, message)`` for an unauthenticated POST on the public MCP URL.

        The MCP server answers it 401 with a Bearer challenge; anything else means the reverse proxy or the
        sidecar's host allow-list sends clients elsewhere. Called only once the sidecar itself is ready.
        """
        url = self.get_public_url()
        if not url.startswith(("http://", "https://")):
            return False, _("The public MCP URL “%(url)s” is not an http(s) URL.", url=url)
        try:
            response = requests.post(url, data=b"{}", timeout=_TEST_TIMEOUT_SECONDS, allow_redirects=False, headers={
                "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        except requests.exceptions.RequestException:
            return False, _("This Odoo server cannot reach the public MCP URL %(url)s. That is expected if the "
                            "address only works from outside; otherwise check the reverse proxy.", url=url)
        if response.status_code == 401 and "bearer" in response.headers.get("WWW-Authenticate", "").lower():
            return True, _("MCP clients reach it at %(url)s.", url=url)
        detail = self._readiness_detail(response) or _("no details given")
        if response.status_code == 403:
            return False, _("The public MCP URL %(url)s refuses requests: %(detail)s. Add the host name users "
                            "connect to to the sidecar's MCP_ALLOWED_HOSTS.", url=url, detail=detail)
        if response.status_code == 404:
            return False, _("The public MCP URL %(url)s answers 404: the reverse proxy does not send /mcp to "
                            "the sidecar.", url=url)
        if response.is_redirect:
            return False, _("The public MCP URL %(url)s redirects to %(location)s: put the final address in "
                            "the settings.", url=url, location=response.headers.get("Location", "?"))
        return False, _("The public MCP URL %(url)s answered HTTP %(status)s instead of asking for a key: "
                        "%(detail)s", url=url, status=response.status_code, detail=detail)

    @staticmethod
    def _readiness_detail(response):
        """The sidecar's own explanation from a readiness answer (JSON ``error.message``/``message``), or text."""
        try:
            body = response.json()
        except ValueError:
            return response.text[:300].strip()
        if not isinstance(body, dict):
            return str(body)[:300]
        error = body.get("error")
        if isinstance(error, dict):
            error = error.get("message") or error.get("code")
        return str(error or body.get("message") or body.get("reason") or body.get("status") or "")[:300]
