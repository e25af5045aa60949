"""The byte budget of one tool result: what a model reads and what the sidecar must hold stays bounded."""

import json


class ResultTooLarge(Exception):
    """A result that cannot be cut to the budget (it has no list to shorten)."""

    def __init__(self, size, budget):
        super().__init__(size, budget)
        self.size = size
        self.budget = budget


def size_of(result):
    return len(json.dumps(result, ensure_ascii=False).encode())


def fit(result, budget):
    """``result`` if its JSON is within ``budget`` bytes, else a copy with its longest list cut to fit.

    The cut is said in the result itself (``truncated``, a note for the model, ``has_more``), so the model
    knows to page or to ask for fewer fields. Raises ResultTooLarge when no cut gets within the budget.
    """
    size = size_of(result)
    if size <= budget:
        return result
    lists = [key for key, value in result.items() if isinstance(value, list) and value]
    if not lists:
        raise ResultTooLarge(size, budget)
    key = max(lists, key=lambda name: len(result[name]))
    items = result[key]

    def cut(count):
        note = (
            f"Only the first {count} of {len(items)} {key} fit the result budget of {budget} bytes: ask for "
            "fewer fields or fewer records (limit/offset, or narrower ids)."
        )
        shorter = {**result, key: items[:count], "truncated": True, "truncated_note": note}
        if "has_more" in shorter:
            shorter["has_more"] = True
        return shorter

    low, high = 0, len(items) - 1  # the largest count that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if size_of(cut(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    shortest = cut(low)
    if size_of(shortest) > budget:
        raise ResultTooLarge(size, budget)
    return shortest
