import requests

from odoo import _, models
from odoo.addons.base.models.res_users import check_identity

# Short: the person is waiting on the button.
_TEST_TIMEOUT_SECONDS = 5


class LlmMcpConfig(models.Model):
    """Buttons of the MCP Server settings form."""

    _inherit = "llm.mcp.config"

    @check_identity
    def action_new_mcp_key(self):
        return self.env["llm.mcp.key.wizard"].action_open()

    def action_test_connection(self):
        """Call the sidecar's readiness URL and say in plain words what is wrong if it is not ready."""
        self.ensure_one()
        ok, message = self._check_sidecar_ready()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("MCP server is ready") if ok else _("MCP server is not ready"),
                "message": message,
                "type": "success" if ok else "danger",
                "sticky": not ok,
            },
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
