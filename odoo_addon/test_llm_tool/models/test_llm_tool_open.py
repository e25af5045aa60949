from odoo import models

from odoo.addons.llm_tool.decorators import llm_tool


class TestLlmToolOpen(models.Model):
    """A holder model without any access rule (apexive's account.tool.*): only the tool body's own ORM calls,
    made as the calling user, decide what they get."""

    _name = "test.llm.tool.open"
    _description = "Test LLM tools on a holder model without access rules"

    @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
    def test_llm_system_parameter_count(self) -> dict:
        """Count the system parameters (only settings administrators may read them)."""
        return {
            "parameters": self.env["ir.config_parameter"].search_count([]),
            "holder_records": len(self),
            "uid": self.env.uid,
        }

    @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
    def test_llm_contact_count(self) -> dict:
        """Count the contacts you can see."""
        return {"contacts": self.env["res.partner"].search_count([]), "uid": self.env.uid}
