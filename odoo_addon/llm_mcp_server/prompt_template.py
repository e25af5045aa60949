"""Placeholders of prompt templates: ``$name`` / ``${name}`` and nothing else.

``string.Template`` substitutes by name lookup only: no attribute access, indexing, format specs or code,
so neither a manager's template nor an argument value can make Odoo evaluate anything. Values are inserted
as text; a value that itself contains ``$name`` is not substituted again.
"""

import string

# Filled for every prompt, whatever its arguments.
BUILTIN_PLACEHOLDERS = ("today", "user", "company")


class PromptTemplate(string.Template):
    idpattern = r"[a-z][a-z0-9_]*"
    flags = 0  # names are lower-case: "$Total" stays text


def placeholder_of(value):
    """The name in a domain value written exactly ``"$name"`` or ``"${name}"``, else None."""
    if not isinstance(value, str) or not value.startswith("$"):
        return None
    template = PromptTemplate(value)
    names = template.get_identifiers() if template.is_valid() else []
    if len(names) == 1 and value in (f"${names[0]}", f"${{{names[0]}}}"):
        return names[0]
    return None
