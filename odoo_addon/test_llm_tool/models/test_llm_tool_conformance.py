from odoo import models
from odoo.exceptions import UserError

from odoo.addons.llm_tool.decorators import llm_tool


class TestLlmToolConformance(models.AbstractModel):
    """The tools the MCP conformance suite calls by name, as an Odoo tool can give them: the contract fixtures
    record their answers, which the sidecar's stand-in serves to the suite (test/sidecar/realClients.test.ts).
    Its image, audio and embedded-resource tools are not here: an Odoo tool answers JSON text only."""

    _name = "test.llm.tool.conformance"
    _description = "Test LLM tools named as the MCP conformance suite calls them"

    @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
    def test_simple_text(self) -> dict:
        """Conformance fixture: answers a text."""
        return {"text": "This is a simple text response for testing."}

    @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
    def test_error_handling(self) -> dict:
        """Conformance fixture: always fails."""
        raise UserError("This tool intentionally returns an error for testing")
