import json
from typing import Annotated, Literal, Optional

from odoo.tests import TransactionCase, tagged

from odoo.addons.llm_tool.decorators import get_tool_metadata, is_llm_tool, llm_tool
from odoo.addons.llm_tool.errors import ToolInputError
from odoo.addons.llm_tool import schema as schema_module
from odoo.addons.llm_tool.schema import SCHEMA_DIALECT, schema_from_signature, unsupported_keywords, validate_arguments
from odoo.addons.llm_tool.tests import contract_files


def sample_tool(
    self,
    model: Annotated[str, "The model."],
    ids: list[int],
    note: Optional[str] = None,
    mode: Literal["fast", "exact"] = "fast",
    limit: Annotated[int, {"minimum": 1, "maximum": 10}] = 5,
    values: dict | list[dict] = None,
    ratio: float = 0.5,
    flag: bool = False,
) -> dict:
    """Do something useful.

    Args:
        ids: Records to act on,
            at least one.
        ratio: A ratio.
    """


@tagged("post_install", "-at_install")
class TestSchemaFromSignature(TransactionCase):
    def setUp(self):
        super().setUp()
        self.schema = schema_from_signature(sample_tool)

    def test_root_is_a_closed_2020_12_object(self):
        self.assertEqual(self.schema["$schema"], SCHEMA_DIALECT)
        self.assertEqual(self.schema["type"], "object")
        self.assertIs(self.schema["additionalProperties"], False)
        self.assertNotIn("self", self.schema["properties"])

    def test_parameters_without_default_are_required(self):
        self.assertEqual(self.schema["required"], ["model", "ids"])

    def test_types_map_to_json_schema(self):
        props = self.schema["properties"]
        self.assertEqual(props["model"], {"type": "string", "description": "The model."})
        self.assertEqual(props["ids"]["type"], "array")
        self.assertEqual(props["ids"]["items"], {"type": "integer"})
        self.assertEqual(props["note"]["type"], ["string", "null"])
        self.assertEqual(props["mode"], {"enum": ["fast", "exact"], "type": "string", "default": "fast"})
        self.assertEqual((props["limit"]["minimum"], props["limit"]["maximum"], props["limit"]["default"]), (1, 10, 5))
        self.assertEqual(props["values"]["type"], ["object", "array"])
        self.assertEqual(props["values"]["items"], {"type": "object"})
        self.assertEqual(props["ratio"]["type"], "number")
        self.assertEqual(props["flag"], {"type": "boolean", "default": False})

    def test_docstring_args_describe_parameters(self):
        self.assertEqual(self.schema["properties"]["ids"]["description"], "Records to act on, at least one.")
        self.assertEqual(self.schema["properties"]["ratio"]["description"], "A ratio.")

    def test_no_any_of_or_one_of(self):
        text = json.dumps(self.schema)
        self.assertNotIn("anyOf", text)
        self.assertNotIn("oneOf", text)

    def test_var_keyword_opens_the_object(self):
        def open_tool(self, name: str, **extra) -> dict:
            """Open."""
        self.assertIs(schema_from_signature(open_tool)["additionalProperties"], True)


@tagged("post_install", "-at_install")
class TestArgumentValidation(TransactionCase):
    def setUp(self):
        super().setUp()
        self.schema = schema_from_signature(sample_tool)

    def assertRefused(self, arguments, *fragments):
        with self.assertRaises(ToolInputError) as caught:
            validate_arguments(self.schema, arguments)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))

    def test_accepts_valid_arguments(self):
        validate_arguments(self.schema, {"model": "res.partner", "ids": [1, 2], "note": None, "values": [{"a": 1}]})

    def test_missing_argument_is_named(self):
        self.assertRefused({"model": "res.partner"}, "Missing required argument 'ids'")

    def test_unknown_argument_is_named(self):
        self.assertRefused({"model": "x", "ids": [1], "limt": 3}, "Unknown argument 'limt'", "limit")

    def test_wrong_type_is_named(self):
        self.assertRefused({"model": 3, "ids": [1]}, "Argument 'model' must be string, got integer")
        self.assertRefused({"model": "x", "ids": [1, "2"]}, "Argument 'ids[1]' must be integer, got string")
        self.assertRefused({"model": "x", "ids": [1], "flag": "yes"}, "Argument 'flag' must be boolean")

    def test_a_whole_float_is_an_integer_and_reaches_the_tool_as_an_int(self):
        arguments = {"model": "x", "ids": [1.0, 2], "limit": 3.0}
        validate_arguments(self.schema, arguments)
        self.assertEqual(arguments, {"model": "x", "ids": [1, 2], "limit": 3})
        self.assertEqual([type(v) for v in (*arguments["ids"], arguments["limit"])], [int, int, int])
        self.assertRefused({"model": "x", "ids": [1.5]}, "Argument 'ids[0]' must be integer, got number")

    def test_booleans_are_not_integers(self):
        self.assertRefused({"model": "x", "ids": [True]}, "ids[0]", "got boolean")

    def test_bounds_and_enums(self):
        self.assertRefused({"model": "x", "ids": [1], "limit": 11}, "'limit' must be at most 10")
        self.assertRefused({"model": "x", "ids": [1], "mode": "slow"}, "'mode' must be one of")

    def test_arguments_must_be_an_object(self):
        self.assertRefused(["x"], "JSON object")


@tagged("post_install", "-at_install")
class TestSchemaCases(TransactionCase):
    """docs/contract/schema-cases.json: the verdicts and messages of Odoo's validator, which the sidecar's suite
    holds its Ajv and the contract stand-in to (test/unit/schemaCases.test.ts)."""

    def setUp(self):
        super().setUp()
        self.table = contract_files.load(contract_files.contract_dir(self) / "schema-cases.json")

    def test_every_case_gets_its_verdict_and_message(self):
        for case in self.table["cases"]:
            with self.subTest(case=case["title"]):
                self.assertEqual(unsupported_keywords(case["schema"]), [])
                if case["valid"]:
                    validate_arguments(case["schema"], case["arguments"])
                    continue
                with self.assertRaises(ToolInputError) as caught:
                    validate_arguments(case["schema"], case["arguments"])
                self.assertEqual(str(caught.exception), case["message"])

    def test_the_subset_is_the_one_of_the_table(self):
        self.assertEqual(list(schema_module.VALIDATED_KEYWORDS), self.table["validated"])
        self.assertEqual(list(schema_module.OUTSIDE_SUBSET), self.table["outside_subset"])

    def test_keywords_outside_the_subset_are_found_at_any_depth(self):
        schema = {"type": "object", "allOf": [], "properties": {
            "not": {"type": "string"},  # a property's name, not the keyword
            "a": {"type": "array", "items": {"anyOf": [{"type": "string"}]}},
            "b": {"additionalProperties": {"$ref": "#/$defs/x"}},
        }}
        self.assertEqual(unsupported_keywords(schema),
                         ["#/allOf", "#/properties/a/items/anyOf", "#/properties/b/additionalProperties/$ref"])


@tagged("post_install", "-at_install")
class TestDecoratorCompatibility(TransactionCase):
    """Same public shape as apexive/odoo-llm's llm_tool decorator, so its tools plug in unchanged."""

    def test_bare_decorator_marks_the_function(self):
        @llm_tool
        def greet(self, name: str) -> str:
            """Say hello."""
            return f"hello {name}"

        self.assertTrue(is_llm_tool(greet))
        self.assertEqual(greet(None, "Ann"), "hello Ann")
        meta = get_tool_metadata(greet)
        self.assertEqual((meta["name"], meta["description"], meta["schema"]), ("greet", "Say hello.", None))

    def test_options_become_metadata(self):
        @llm_tool(name="custom_name", description="Custom.", read_only_hint=True, destructive_hint=False)
        def tool(self, x: int) -> dict:
            return {}

        self.assertEqual(tool._llm_tool_name, "custom_name")
        self.assertEqual(tool._llm_tool_description, "Custom.")
        self.assertEqual(tool._llm_tool_metadata, {"read_only_hint": True, "destructive_hint": False})
        self.assertFalse(tool._llm_tool_xml_managed)

    def test_missing_type_hints_are_refused_unless_a_schema_is_given(self):
        with self.assertRaises(ValueError):
            @llm_tool
            def untyped(self, x):
                """No hints."""

        @llm_tool(schema={"type": "object", "properties": {"x": {"type": "integer"}}}, xml_managed=True)
        def legacy(self, x):
            """Legacy."""

        self.assertEqual(get_tool_metadata(legacy)["schema"]["properties"], {"x": {"type": "integer"}})
        self.assertTrue(legacy._llm_tool_xml_managed)
