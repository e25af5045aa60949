"""Red team F1, F2, F4: secret fields searched through any / not any sub-domains, and x2many commands in
odoo_create / odoo_update that changed or deleted records the call did not name (lines of another order)."""

from odoo.tests import tagged

from .test_builtin_tools import ToolCase


@tagged("post_install", "-at_install", "llm_security")
class TestSubdomains(ToolCase):
    def names(self, result):
        return sorted(record["display_name"] for record in result["records"])

    def test_secret_fields_inside_any_sub_domains_are_refused(self):
        admin = self.env.ref("base.user_admin")
        by_key = [["user_ids", "any", [["api_key_ids", "!=", False]]]]
        attempts = [
            ("odoo_search", {"model": "res.partner", "domain": by_key}),
            ("odoo_count", {"model": "res.partner", "domain": by_key}),
            ("odoo_aggregate", {"model": "res.partner", "groupby": [], "domain": by_key}),
            ("odoo_search", {"model": "res.partner", "domain": [
                ["user_ids", "not any", [["totp_secret", "!=", False]]]]}),
            ("odoo_search", {"model": "res.partner", "domain": [
                ["user_ids", "ANY", [["password", "=like", "$pbkdf2%"]]]]}),
            ("odoo_search", {"model": "res.partner", "domain": [
                "|", ["name", "=", "x"],
                ["user_ids", "Not Any", [["login", "=", "admin"], ["api_key_ids.name", "!=", False]]]]}),
            # depth 2
            ("odoo_search", {"model": "res.partner", "domain": [
                ["child_ids", "any", [["user_ids", "any", [["api_key_ids", "any", [["name", "!=", False]]]]]]]]}),
            ("odoo_count", {"model": "res.partner", "domain": [
                ["child_ids", "any", [["name", "!=", False], ["user_ids", "not any", [["password", "!=", False]]]]]]}),
            # a dotted path before the sub-domain
            ("odoo_search", {"model": "res.partner", "domain": [
                ["child_ids.user_ids", "any", [["api_key_ids", "!=", False]]]]}),
        ]
        if "sale.order" in self.env:
            order = self.env["sale.order"].search([], limit=1)
            attempts += [  # the red team's extraction of an order's portal token, one comparison a call
                ("odoo_search", {"model": "res.partner", "fields": ["name"], "domain": [
                    ["sale_order_ids", "any", [["id", "=", order.id], ["access_token", ">=", "8"]]]]}),
                ("odoo_count", {"model": "sale.order", "domain": [
                    ["partner_id", "any", [["sale_order_ids", "any", [["access_token", "!=", False]]]]]]}),
            ]
        for tool, arguments in attempts:
            with self.subTest(tool=tool, domain=arguments["domain"]):
                self.assertToolError(tool, arguments, "holds a secret", user=admin)

    def test_hidden_models_reached_through_any_are_refused(self):
        admin = self.env.ref("base.user_admin")
        for domain in ([["log_ids", "any", [["create_date", "!=", False]]]],
                       [["user_ids", "any", [["log_ids", "any", []]]]],
                       [["child_ids", "any", [["user_ids", "any", [["log_ids.create_date", "!=", False]]]]]]):
            model = "res.users" if domain[0][0] == "log_ids" else "res.partner"
            with self.subTest(domain=domain):
                self.assertToolError("odoo_count", {"model": model, "domain": domain}, "res.users.log", user=admin)

    def test_any_values_that_are_not_domains_are_refused(self):
        for domain, fragment in [
            ([["child_ids", "any", "name = 'x'"]], "must be a domain"),
            ([["child_ids", "not any", 5]], "must be a domain"),
            ([["child_ids", "any", [["name", "=", "x"], "+"]]], "domain[0][2][1]"),
            ([["child_ids", "any", [{"name": "x"}]]], "domain[0][2][0]"),
            ([["name", "any", [["id", "=", 1]]]], "needs a relational field"),
        ]:
            with self.subTest(domain=domain):
                self.assertToolError("odoo_search", {"model": "res.partner", "domain": domain}, fragment)
        deep = [["id", "!=", False]]
        for _level in range(12):
            deep = [["child_ids", "any", deep]]
        self.assertToolError("odoo_count", {"model": "res.partner", "domain": deep}, "nested more than")

    def test_any_on_ordinary_fields_still_works(self):
        result = self.run_tool("odoo_search", {"model": "res.partner", "domain": [
            ["child_ids", "any", [["name", "=", "Bolt LLM Test"]]]]})
        self.assertEqual(self.names(result), ["Acme LLM Test"])
        result = self.run_tool("odoo_search", {"model": "res.partner", "domain": [
            ["name", "ilike", "LLM Test"], ["category_id", "not any", [["name", "=", "LLM tool test tag"]]]]})
        self.assertEqual(self.names(result), ["Acme LLM Test, Bolt LLM Test", "Crane LLM Test"])
        count = self.run_tool("odoo_count", {"model": "res.partner", "domain": [
            ["child_ids", "ANY", [["parent_id", "any", [["email", "=", "info@acme-llm.test"]]]]]]})
        self.assertEqual(count["count"], 1)


@tagged("post_install", "-at_install", "llm_security")
class TestX2manyCommands(ToolCase):
    def assertUntouched(self):
        self.assertTrue(self.bolt.exists())
        self.assertEqual((self.bolt.name, self.bolt.parent_id), ("Bolt LLM Test", self.acme))
        self.assertEqual((self.tag.exists().name, self.acme.category_id), ("LLM tool test tag", self.tag))

    def refused_commands(self):
        """(values, fragment): x2many values that would change, delete or move records the call does not name."""
        bolt, tag = self.bolt.id, self.tag.id
        return [
            ({"child_ids": [[1, bolt, {"name": "HIJACKED"}]]}, "odoo_update on res.partner"),
            ({"child_ids": [[2, bolt, 0]]}, "odoo_delete on res.partner"),
            ({"child_ids": [[2, bolt]]}, "odoo_delete"),
            ({"child_ids": [[2, str(bolt), 0]]}, "odoo_delete"),
            ({"child_ids": [[1, str(bolt), {"name": "HIJACKED"}]]}, "odoo_update"),
            ({"child_ids": [[3, bolt, 0]]}, "one2many"),
            ({"child_ids": [[4, bolt, 0]]}, "one2many"),
            ({"child_ids": [[5, 0, 0]]}, "one2many"),
            ({"child_ids": [[5]]}, "one2many"),
            ({"child_ids": [[6, 0, [bolt]]]}, "one2many"),
            ({"child_ids": [bolt]}, "one2many"),  # Odoo reads a list of ids as set
            ({"child_ids": False}, "one2many"),  # and False as clear
            ({"child_ids": [[True, bolt, {"name": "HIJACKED"}]]}, "command code"),  # True == 1 to Odoo
            ({"child_ids": [[2.0, bolt, 0]]}, "command code"),
            ({"child_ids": [["2", bolt, 0]]}, "command code"),
            ({"child_ids": [[0, 0, {"name": "x"}], bolt]}, "not a command"),
            ({"child_ids": [[]]}, "not a command"),
            ({"child_ids": {"name": "x"}}, "list of commands"),
            ({"child_ids": [[0, 0, "x"]]}, "[0, 0, {values}]"),
            ({"category_id": [[1, tag, {"name": "HIJACKED"}]]}, "odoo_update on res.partner.category"),
            ({"category_id": [[2, tag, 0]]}, "odoo_delete on res.partner.category"),
            ({"category_id": [[4, str(tag)]]}, "integer id"),
            ({"category_id": [[6, 0, [str(tag)]]]}, "integer ids"),
            # nested in the values of a new line
            ({"child_ids": [[0, 0, {"name": "Kid", "child_ids": [[2, bolt, 0]]}]]}, "odoo_delete"),
            ({"child_ids": [[0, 0, {"name": "Kid", "category_id": [[1, tag, {"name": "HIJACKED"}]]}]]}, "odoo_update"),
        ]

    def test_create_refuses_commands_on_existing_records(self):
        for values, fragment in self.refused_commands():
            with self.subTest(values=values):
                self.assertToolError("odoo_create", {"model": "res.partner", "values": {"name": "Intruder", **values}},
                                     fragment)
                self.assertUntouched()
        self.assertFalse(self.env["res.partner"].search([("name", "in", ("Intruder", "Kid"))]))

    def test_update_refuses_commands_on_existing_records(self):
        for values, fragment in self.refused_commands():
            with self.subTest(values=values):
                self.assertToolError("odoo_update", {"model": "res.partner", "ids": self.crane.ids,
                                                     "values": {"comment": "harmless", **values}}, fragment)
                self.assertUntouched()
        # the record's own lines too: odoo_update on the parent does not delete or orphan them
        for values in ({"child_ids": [[2, self.bolt.id, 0]]}, {"child_ids": [[5, 0, 0]]}, {"child_ids": False},
                       {"child_ids": [[6, 0, []]]}, {"child_ids": [[3, self.bolt.id]]}):
            with self.subTest(own=values):
                self.assertToolError("odoo_update", {"model": "res.partner", "ids": self.acme.ids, "values": values})
                self.assertUntouched()
        self.assertFalse(self.crane.comment)

    def test_the_red_team_order_line_commands_are_refused(self):
        if "sale.order" not in self.env:
            self.skipTest("sale is not installed")
        admin = self.env.ref("base.user_admin")
        line = self.env["sale.order.line"].search([], limit=1)
        other = self.env["sale.order"].search([("id", "!=", line.order_id.id)], limit=1)
        name = line.name
        for command in ([2, line.id, 0], [1, line.id, {"name": "HIJACKED via create"}], [3, line.id, 0]):
            with self.subTest(command=command):
                self.assertToolError("odoo_create", {"model": "sale.order", "values": {
                    "partner_id": self.acme.id, "order_line": [command]}}, "sale.order.line", user=admin)
                self.assertToolError("odoo_update", {"model": "sale.order", "ids": other.ids, "values": {
                    "note": "harmless note", "order_line": [command]}}, "sale.order.line", user=admin)
        self.assertTrue(line.exists())
        self.assertEqual(line.name, name)
        self.assertFalse(self.env["sale.order"].search([("partner_id", "=", self.acme.id)]))

    def test_new_lines_and_many2many_relations_still_work(self):
        tag2 = self.env["res.partner.category"].create({"name": "LLM tool second tag"})
        created = self.run_tool("odoo_create", {"model": "res.partner", "values": {
            "name": "Dyno LLM Test", "child_ids": [[0, 0, {"name": "Dyno Kid", "category_id": [[4, tag2.id]]}]],
            "category_id": [[6, 0, [self.tag.id]], [4, tag2.id, 0]],
        }})
        dyno = self.env["res.partner"].browse(created["ids"])
        self.assertEqual(dyno.child_ids.mapped("name"), ["Dyno Kid"])
        self.assertEqual(dyno.child_ids.category_id, tag2)
        self.assertEqual(dyno.category_id, self.tag | tag2)
        for values, expected in [({"category_id": [[3, self.tag.id, 0]]}, tag2),
                                 ({"category_id": [[5]]}, self.env["res.partner.category"]),
                                 ({"category_id": [self.tag.id]}, self.tag),
                                 ({"category_id": [[5, 0, 0], [4, tag2.id]]}, tag2),
                                 ({"category_id": False}, self.env["res.partner.category"]),
                                 ({"child_ids": [[0, 0, {"name": "Dyno Kid 2"}]]}, self.env["res.partner.category"])]:
            with self.subTest(values=values):
                self.run_tool("odoo_update", {"model": "res.partner", "ids": dyno.ids, "values": values})
                self.assertEqual(dyno.category_id, expected)
        self.assertEqual(sorted(dyno.child_ids.mapped("name")), ["Dyno Kid", "Dyno Kid 2"])
        self.assertTrue(self.tag.exists() and tag2.exists())
