import io
import os
from unittest.mock import patch

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import ReadonlyDict
from odoo.tools.translate import code_translations, trans_export

from .common import CALL, McpHttpCase

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


@tagged("post_install", "-at_install")
class TestMessagesInTheUserLanguage(McpHttpCase):
    """Messages for a person are in the calling user's language; codes and transport messages are not
    (docs/contract.md, "Messages and languages")."""

    confirmations = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.user.lang = "fr_FR"
        cls.env["llm.tool"].search([("name", "=", "odoo_delete")]).requires_confirmation = True

    def french(self, translations):
        """As if llm_mcp_server shipped an i18n/fr.po with ``translations`` (where Odoo reads code translations)."""
        return patch.dict(code_translations.python_translations,
                          {("llm_mcp_server", "fr_FR"): ReadonlyDict(translations)})

    def test_a_refusal_is_in_the_users_language_and_keeps_its_code(self):
        with self.french({"No tool named %(name)r is available to you.": "Aucun outil %(name)r ne vous est ouvert."}):
            body = self.assertContractError(self.call(self.user_key, "no_such_tool"), 404, "unknown_tool")
        self.assertEqual(body["error"]["message"], "Aucun outil 'no_such_tool' ne vous est ouvert.")
        self.assertEqual(self.audit_rows()[-1].message, "Aucun outil 'no_such_tool' ne vous est ouvert.")

    def test_a_refused_confirmation_is_in_the_users_language(self):
        partner = self.env["res.partner"].create({"name": "Cible"})
        source = "The confirmation is not valid: nothing was done. Call the tool again without it to get a new one."
        with self.french({source: "La confirmation n'est pas valable : rien n'a été fait."}):
            body = self.call(self.user_key, "odoo_delete", {"model": "res.partner", "ids": [partner.id],
                                                            "confirmation_token": "forged"}).json()
        self.assertIs(body["isError"], True, body)
        self.assertEqual(body["content"][0]["text"], "La confirmation n'est pas valable : rien n'a été fait.")
        self.assertTrue(partner.exists())

    def test_transport_messages_stay_in_english(self):
        # the sidecar's own mistakes, for its developers: the same words in every database
        with self.french({"The body must be a JSON object.": "Le corps doit être un objet JSON."}):
            body = self.assertContractError(self.post(CALL, raw="[]", key=self.user_key), 400, "bad_request")
        self.assertEqual(body["error"]["message"], "The body must be a JSON object.")
