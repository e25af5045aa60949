import datetime

from odoo import models

from odoo.addons.llm_tool.decorators import llm_tool


class TestLlmToolWizard(models.TransientModel):
    """Tools on a TransientModel with an access rule (apexive's llm_tool_demo: llm.utility.tools)."""

    _name = "test.llm.tool.wizard"
    _description = "Test LLM tools on a transient model"

    @llm_tool(read_only_hint=True, idempotent_hint=True, destructive_hint=False)
    def test_llm_days_between(self, start: str, end: str) -> dict:
        """Count the days between two dates (YYYY-MM-DD).

        Args:
            start: The first day.
            end: The last day.
        """
        first, last = (datetime.date.fromisoformat(day) for day in (start, end))
        return {"days": (last - first).days, "records": len(self)}
