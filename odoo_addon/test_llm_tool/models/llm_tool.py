from odoo import api, models


class LlmTool(models.Model):
    """A non-function implementation, run by <implementation>_execute (apexive's odoo_record_retriever)."""

    _inherit = "llm.tool"

    @api.model
    def _get_available_implementations(self):
        return super()._get_available_implementations() + [("test_llm_echo", "Test Echo")]

    def test_llm_echo_execute(self, text: str, times: int = 1) -> dict:
        """Repeat a text.

        Args:
            text: What to repeat.
            times: How many times.
        """
        return {"echo": " ".join([text] * times), "tool": self.name, "uid": self.env.uid}
