import io
import os

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import trans_export

ADDONS = ("llm", "llm_tool", "llm_mcp_server")


@tagged("post_install", "-at_install")
class TestTranslationTemplates(TransactionCase):
    """Each addon ships i18n/<addon>.pot with exactly the strings Odoo's exporter finds (scripts/i18n-export.sh)."""

    def exported_strings(self, addon):
        with io.BytesIO() as buffer:
            trans_export(None, [addon], buffer, "po", self.env.cr)
            return {entry.msgid for entry in polib.pofile(buffer.getvalue().decode())}

    def test_every_addon_ships_a_current_template(self):
        for addon in ADDONS:
            with self.subTest(addon=addon):
                path = os.path.join(get_module_path(addon), "i18n", f"{addon}.pot")
                self.assertTrue(os.path.isfile(path), f"{addon} has no i18n/{addon}.pot: run scripts/i18n-export.sh")
                entries = polib.pofile(path)
                exported = self.exported_strings(addon)
                missing = exported - {entry.msgid for entry in entries}
                self.assertFalse(missing, f"strings missing from {addon}.pot: run scripts/i18n-export.sh")
                # The name of a model the addon only extends is exported for whichever installed module Odoo picks
                # (this database has more than the addon and its dependencies, which the script installs).
                stale = {entry.msgid for entry in entries if entry.msgid not in exported
                         and not all(self.inherited_model_name(o) for o in entry.occurrences)}
                self.assertFalse(stale, f"strings {addon}.pot keeps that the code no longer has: "
                                        "run scripts/i18n-export.sh")

    @staticmethod
    def inherited_model_name(occurrence):
        return occurrence[0].startswith("model:ir.model,name:")
