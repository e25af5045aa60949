from odoo import models

from odoo.addons.llm_tool.decorators import llm_tool


class TestLlmToolGuarded(models.Model):
    """A holder model whose access rule grants only settings administrators (apexive's website.tool.media)."""

    _name = "test.llm.tool.guarded"
    _description = "Test LLM tools on a holder model with access rules"

    @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
    def test_llm_guarded_ping(self) -> dict:
        """Answer pong (offered only to those who may read its holder model)."""
        return {"pong": True}
