"""JSON Schema 2020-12 for tool inputs: derived from a Python signature, and checked against arguments.

No pydantic (Debian ships only 1.x) and no ``anyOf``/``oneOf`` in what we emit, because several MCP
clients reject them: unions of simple types become ``"type": [..]`` lists. The validator applies the
subset of docs/contract.md (Schemas): VALIDATED_KEYWORDS; a schema using a keyword of OUTSIDE_SUBSET
(which it would ignore, and the sidecar's Ajv would not) is not published. Every error names the argument
(``limit``, ``values[2].name``) so a model can correct its call. The repository's
docs/contract/schema-cases.json holds the cases both halves are tested against (TestSchemaCases).
"""

import datetime
import enum
import inspect
import json
import re
import types
import typing

from .errors import ToolInputError

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# The keywords validate_arguments applies; every other keyword is an annotation to it (title, format...)
VALIDATED_KEYWORDS = (
    "type", "enum", "const", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
    "items", "properties", "required", "additionalProperties",
)
# The 2020-12 keywords that change a verdict and that validate_arguments does not apply: a tool schema using
# one would be checked differently by Odoo and by the sidecar's Ajv, so it is refused (unsupported_keywords)
OUTSIDE_SUBSET = (
    "$ref", "$dynamicRef", "$defs", "definitions", "$anchor", "$dynamicAnchor", "allOf", "anyOf", "oneOf", "not",
    "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies", "prefixItems", "additionalItems",
    "contains", "minContains", "maxContains", "uniqueItems", "propertyNames", "patternProperties", "minProperties",
    "maxProperties", "unevaluatedItems", "unevaluatedProperties", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf",
)

_SIMPLE_TYPES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    tuple: "array",
    set: "array",
    frozenset: "array",
    type(None): "null",
}

_DOC_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params|Returns|Return|Yields|Raises|Example|Examples):\s*$")
_DOC_PARAM = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def split_docstring(doc):
    """Return (description without the Args/Returns sections, {parameter: description}) of a Google docstring."""
    summary, params = [], {}
    section, current = None, None
    for line in (doc or "").splitlines():
        stripped = line.strip()
        match = _DOC_SECTION.match(stripped)
        if match and not line.startswith((" ", "\t")):
            section, current = match.group(1), None
            continue
        if section is None:
            summary.append(line)
        elif section in ("Args", "Arguments", "Parameters", "Params") and stripped:
            param = _DOC_PARAM.match(stripped)
            indent = len(line) - len(line.lstrip())
            if param and (current is None or indent <= params[current][1]):
                current = param.group(1).lstrip("*")
                params[current] = [param.group(2).strip(), indent]
            elif current:
                params[current][0] = (params[current][0] + " " + stripped).strip()
    return "\n".join(summary).strip(), {name: text for name, (text, _indent) in params.items() if text}


def schema_from_signature(func):
    """The input schema of ``func`` (root ``type: object``, ``additionalProperties: false``)."""
    hints = typing.get_type_hints(func, include_extras=True)
    _summary, doc_params = split_docstring(inspect.getdoc(func))
    properties, required, open_ended = {}, [], False
    for name, param in inspect.signature(func).parameters.items():
        if name == "self" or param.kind is param.VAR_POSITIONAL:
            continue
        if param.kind is param.VAR_KEYWORD:
            open_ended = True
            continue
        prop = type_to_schema(hints.get(name, typing.Any))
        if name in doc_params and "description" not in prop:
            prop["description"] = doc_params[name]
        if param.default is param.empty:
            required.append(name)
        elif _is_json_value(param.default) and param.default is not None:
            prop["default"] = list(param.default) if isinstance(param.default, tuple) else param.default
        properties[name] = prop
    schema = {"$schema": SCHEMA_DIALECT, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    schema["additionalProperties"] = open_ended
    return schema


def type_to_schema(tp):
    """JSON Schema for one Python type hint."""
    if tp is typing.Any or tp is inspect.Parameter.empty:
        return {}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        schema = type_to_schema(args[0])
        for extra in args[1:]:
            if isinstance(extra, str):
                schema["description"] = extra
            elif isinstance(extra, dict):
                schema.update(extra)
        return schema
    if origin in (typing.Union, types.UnionType):
        return _merge_union([type_to_schema(arg) for arg in args])
    if origin is typing.Literal:
        schema = {"enum": list(args)}
        kinds = {_SIMPLE_TYPES.get(type(value)) for value in args}
        if len(kinds) == 1 and None not in kinds:
            schema["type"] = kinds.pop()
        return schema
    if origin in (list, tuple, set, frozenset, typing.Sequence):
        schema = {"type": "array"}
        item_types = [arg for arg in args if arg is not Ellipsis]
        if len(item_types) == 1 or (origin is tuple and len(set(item_types)) == 1):
            schema["items"] = type_to_schema(item_types[0])
        return schema
    if origin in (dict, typing.Mapping):
        schema = {"type": "object"}
        if len(args) == 2 and args[1] is not typing.Any:
            schema["additionalProperties"] = type_to_schema(args[1])
        return schema
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [member.value for member in tp]}
    if tp is datetime.datetime:
        return {"type": "string", "format": "date-time"}
    if tp is datetime.date:
        return {"type": "string", "format": "date"}
    if isinstance(tp, type) and typing.is_typeddict(tp):
        return _typeddict_schema(tp)
    for python_type, json_type in _SIMPLE_TYPES.items():
        if tp is python_type:
            return {"type": json_type}
    return {}


def _typeddict_schema(tp):
    hints = typing.get_type_hints(tp, include_extras=True)
    schema = {"type": "object", "properties": {name: type_to_schema(hint) for name, hint in hints.items()}}
    required = sorted(getattr(tp, "__required_keys__", ()))
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _merge_union(schemas):
    """``X | Y`` without anyOf: a list of types, keeping the keywords of each member (items, properties...)."""
    if any(not schema.get("type") for schema in schemas):
        return {}  # a member without a type (Any, an unknown class) makes the union unconstrained
    merged, kinds = {}, []
    for schema in schemas:
        member_types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        kinds.extend(kind for kind in member_types if kind not in kinds)
        for keyword, value in schema.items():
            if keyword != "type":
                merged.setdefault(keyword, value)
    merged["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "enum" in merged and "null" in kinds and None not in merged["enum"]:
        merged["enum"] = [*merged["enum"], None]
    return merged


def _is_json_value(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_json_value(item) for key, item in value.items())
    return False


# ---------------------------------------------------------------------------------------------------
# Validation

_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    # JSON Schema 2020-12: an integer is any number with a zero fractional part (1.0 is one), as Ajv says
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def unsupported_keywords(schema, path="#"):
    """The places (``#/properties/a/anyOf``) where ``schema`` uses a keyword outside the contract's subset."""
    if not isinstance(schema, dict):
        return []
    found = [f"{path}/{keyword}" for keyword in OUTSIDE_SUBSET if keyword in schema]
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            found += unsupported_keywords(sub, f"{path}/properties/{name}")
    for keyword in ("items", "additionalProperties"):
        found += unsupported_keywords(schema.get(keyword), f"{path}/{keyword}")
    return found


def _json_equal(a, b):
    """Equality as JSON means it: true is not 1, 0 is not false (Python's == says they are); 1 == 1.0."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _json_text(value):
    # compact, as JavaScript's JSON.stringify writes it: the contract stand-in words its messages the same way
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def validate_arguments(schema, arguments):
    """Raise ToolInputError naming the first argument that does not fit ``schema`` (a root object schema).

    A whole number sent as a float (1.0) where the schema says integer is put in ``arguments`` as an int, so
    the tool gets what its signature says."""
    if not isinstance(arguments, dict):
        raise ToolInputError("The arguments must be a JSON object.")
    _check_object(schema, arguments, None)
    return arguments


def check_value(schema, value, path="value"):
    """Raise ToolInputError if ``value`` does not fit ``schema`` (same keywords as validate_arguments); returns
    ``value``, a whole float where the schema says integer as an int."""
    return _check(schema, value, path)


def _check(schema, value, path):
    """The checks of ``value`` against ``schema``; returns ``value``, whole floats typed integer as ints."""
    expected = schema.get("type")
    if expected:
        kinds = expected if isinstance(expected, list) else [expected]
        if not any(_TYPE_CHECKS.get(kind, lambda v: True)(value) for kind in kinds):
            raise ToolInputError(
                f"Argument '{path}' must be {' or '.join(kinds)}, got {_json_type_name(value)}."
            )
        if isinstance(value, float) and "integer" in kinds and "number" not in kinds:
            value = int(value)
    if "enum" in schema and not any(_json_equal(value, item) for item in schema["enum"]):
        allowed = ", ".join(_json_text(item) for item in schema["enum"])
        raise ToolInputError(f"Argument '{path}' must be one of {allowed}, got {_json_text(value)}.")
    if "const" in schema and not _json_equal(value, schema["const"]):
        raise ToolInputError(f"Argument '{path}' must be {_json_text(schema['const'])}, got {_json_text(value)}.")
    if _TYPE_CHECKS["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            raise ToolInputError(f"Argument '{path}' must be at least {schema['minimum']}, got {value}.")
        if "maximum" in schema and value > schema["maximum"]:
            raise ToolInputError(f"Argument '{path}' must be at most {schema['maximum']}, got {value}.")
    elif isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise ToolInputError(f"Argument '{path}' must have at least {schema['minLength']} characters.")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise ToolInputError(f"Argument '{path}' must have at most {schema['maxLength']} characters.")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise ToolInputError(f"Argument '{path}' must match the pattern {schema['pattern']}.")
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise ToolInputError(f"Argument '{path}' must have at least {schema['minItems']} items.")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise ToolInputError(f"Argument '{path}' must have at most {schema['maxItems']} items.")
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                value[index] = _check(schema["items"], item, f"{path}[{index}]")
    elif isinstance(value, dict):
        _check_object(schema, value, path)
    return value


def _check_object(schema, value, path):
    """The object keywords; ``path`` None: the arguments themselves, whose problems are worded for a tool call."""
    properties = schema.get("properties") or {}
    for name in schema.get("required") or ():
        if name not in value:
            raise ToolInputError(f"Missing required argument '{name}'." if path is None
                                 else f"Argument '{path}' is missing the required key '{name}'.")
    additional = schema.get("additionalProperties", True)
    for name, item in value.items():
        place = name if path is None else f"{path}.{name}"
        if name in properties:
            value[name] = _check(properties[name], item, place)
        elif additional is False and path is None:
            known = ", ".join(sorted(properties)) or "none"
            raise ToolInputError(f"Unknown argument '{name}'. Accepted arguments: {known}.")
        elif additional is False:
            raise ToolInputError(f"Argument '{path}' has an unknown key '{name}'.")
        elif isinstance(additional, dict):
            value[name] = _check(additional, item, place)


def _json_type_name(value):
    for kind in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _TYPE_CHECKS[kind](value):
            return kind
    return type(value).__name__
