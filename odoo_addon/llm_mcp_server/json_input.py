"""What the call route accepts in a JSON body beyond "it parsed": bounded depth, text Odoo can store."""

import re

MAX_DEPTH = 64
# Python keeps a surrogate pair of a JSON string as one character: any surrogate left is an unpaired one,
# which neither PostgreSQL nor the UTF-8 encoder of the answer accepts.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _walk(value):
    """(item, depth) for every value and key inside ``value``; iterative, so no input exhausts the stack."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        yield item, depth
        if depth > MAX_DEPTH:
            continue
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def too_deep(value):
    return any(depth > MAX_DEPTH for _item, depth in _walk(value))


def problem_of(value, what="'arguments'"):
    """A message for a person if ``value`` is nested too deep or holds text Odoo cannot store, else None."""
    for item, depth in _walk(value):
        if depth > MAX_DEPTH:
            return f"{what} are nested more than {MAX_DEPTH} levels deep."
        if isinstance(item, str) and _UNSTORABLE.search(item):
            return f"{what} hold a NUL character or an unpaired UTF-16 surrogate, which Odoo cannot store."
    return None


def storable(text):
    """``text`` with NUL characters and unpaired surrogates replaced by U+FFFD, for the audit log."""
    return _UNSTORABLE.sub("\ufffd", text)
