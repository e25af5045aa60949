import time
from typing import Annotated

from odoo import models

from odoo.addons.llm_tool.decorators import llm_tool


class ResPartner(models.Model):
    """Tools on a regular model (apexive's llm_tool_demo: sale.order, crm.lead, res.users)."""

    _inherit = "res.partner"

    @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
    def test_llm_partner_card(self, partner_id: Annotated[int, "Id of the contact."]) -> dict:
        """Give the name and e-mail of one contact."""
        partner = self.browse(partner_id)
        return {"name": partner.name, "email": partner.email or None}

    @llm_tool(destructive_hint=True)
    def test_llm_partner_rename(self, partner_id: int, name: str) -> dict:
        """Rename one contact (declares no read_only_hint: it counts as writing)."""
        partner = self.browse(partner_id)
        partner.name = name
        return {"id": partner.id, "name": partner.name}

    @llm_tool(xml_managed=True, read_only_hint=True, destructive_hint=False)
    def test_llm_xml_partner_count(self, name: str = "") -> dict:
        """Count contacts whose name contains a text (its llm.tool record comes from a data file)."""
        return {"count": self.search_count([("name", "ilike", name)])}

    @llm_tool(destructive_hint=False, idempotent_hint=True)
    def test_llm_partner_slow_tag(self, partner_id: int, ref: str, seconds: float = 5.0) -> dict:
        """Write a contact's reference, then wait in the database (pg_sleep) before answering.

        A call that runs long inside a query and has written something: what cancellation must stop and roll back.
        """
        partner = self.browse(partner_id)
        partner.ref = ref
        partner.flush_recordset(["ref"])
        self.env.cr.execute("SELECT pg_sleep(%s)", [min(max(seconds, 0.0), 60.0)])
        return {"id": partner.id, "ref": partner.ref}

    @llm_tool(destructive_hint=False, idempotent_hint=True)
    def test_llm_partner_busy_tag(self, partner_id: int, ref: str, seconds: float = 3.0) -> dict:
        """Write a contact's reference, then stay busy in Python (no query running) before answering."""
        partner = self.browse(partner_id)
        partner.ref = ref
        partner.flush_recordset(["ref"])
        deadline = time.monotonic() + min(max(seconds, 0.0), 30.0)
        while time.monotonic() < deadline:
            time.sleep(0.05)
        return {"id": partner.id, "ref": partner.ref}
