from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestLlmGroups(TransactionCase):
    def test_internal_users_get_llm_user(self):
        user = new_test_user(self.env, login="llm_groups_internal", groups="base.group_user")
        self.assertTrue(user.has_group("llm.group_llm_user"))
        self.assertFalse(user.has_group("llm.group_llm_manager"))

    def test_portal_users_do_not(self):
        user = new_test_user(self.env, login="llm_groups_portal", groups="base.group_portal")
        self.assertFalse(user.has_group("llm.group_llm_user"))

    def test_admin_is_manager_and_manager_implies_user(self):
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("llm.group_llm_manager"))
        manager = self.env.ref("llm.group_llm_manager")
        self.assertIn(self.env.ref("llm.group_llm_user"), manager.implied_ids)

    def test_user_group_allows_ninety_day_keys(self):
        self.assertEqual(self.env.ref("llm.group_llm_user").api_key_duration, 90)

    def test_menus_exist_with_their_groups(self):
        root = self.env.ref("llm.menu_llm_root")
        config = self.env.ref("llm.menu_llm_configuration")
        self.assertEqual(config.parent_id, root)
        self.assertEqual(config.groups_id, self.env.ref("llm.group_llm_manager"))
