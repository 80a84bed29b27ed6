"""Redocly's lint of the committed document: the whole `recommended` ruleset
(tests/clients/redocly.yaml) reports nothing, neither errors nor warnings."""

import json

from tests.live import COMMITTED
from tests.node_tools import CLIENTS, run, tool


def test_redocly_lint_reports_nothing() -> None:
    output = run(
        [
            str(tool("redocly")),
            "lint",
            "--config",
            str(CLIENTS / "redocly.yaml"),
            "--format",
            "json",
            str(COMMITTED),
        ],
        CLIENTS,
    )
    report = json.loads(output)
    problems = [
        f"{p['severity']} {p['ruleId']}: {p['message']} at {p['location'][0]['pointer']}"
        for p in report["problems"]
    ]
    assert not problems, "\n".join(problems)
