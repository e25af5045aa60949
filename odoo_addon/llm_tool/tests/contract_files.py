"""The repository's contract files (``docs/contract/``), which these tests check and, on request, write.

The contract's examples, the tool snapshots and the schema cases are JSON files of the repository that the
sidecar's suite reads too: the addons' tests prove them against the real code. The addons sit in
``<repo>/odoo_addon/<addon>/``; installed elsewhere (a copy without the repository) there is nothing to check,
and the tests that need the files skip with a message saying so.

``UPDATE_CONTRACT_FIXTURES=1`` in the environment makes the tests write what the code answers instead of
comparing: review the diff, then commit it (as github-mcp-server's ``UPDATE_TOOLSNAPS``).
"""

import json
import os
import pathlib
import unittest

UPDATE_FLAG = "UPDATE_CONTRACT_FIXTURES"
CONTRACT_DIR = pathlib.Path(__file__).resolve().parents[3] / "docs" / "contract"


def updating():
    """Whether this run writes the files instead of checking them."""
    return os.environ.get(UPDATE_FLAG) == "1"


def contract_dir(test):
    """``docs/contract/`` of the repository holding this addon; skips ``test`` when there is none."""
    if not (CONTRACT_DIR.parent / "contract.md").is_file():
        raise unittest.SkipTest(
            f"no repository around this addon ({CONTRACT_DIR.parent}/contract.md not found): "
            "the contract files of docs/contract/ are not checked"
        )
    return CONTRACT_DIR


def dumps(value):
    """A file's text: sorted keys, two-space indent, UTF-8 as is, one final newline (stable diffs)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def write(path, value):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(value), encoding="utf-8")


def check_or_write(test, path, actual, what):
    """Compare ``actual`` with the file at ``path`` (or write it when updating); fails with the difference."""
    path = pathlib.Path(path)
    if updating():
        write(path, actual)
        return
    if not path.is_file():
        test.fail(f"{path} is missing for {what}: run the tests with {UPDATE_FLAG}=1 to write it, then commit it")
    expected = load(path)
    test.maxDiff = None  # the difference is the point: show all of it
    test.assertEqual(
        actual, expected,
        f"{what} differs from {path.name}: if the change is meant, run with {UPDATE_FLAG}=1 and commit the diff",
    )
