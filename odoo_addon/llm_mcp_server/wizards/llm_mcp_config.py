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
