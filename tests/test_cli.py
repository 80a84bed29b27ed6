"""`claims serve` runs uvicorn as the settings say."""

from typing import Any

import pytest
from typer.testing import CliRunner

from app import cli
from app.settings import get_settings


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("true", True)])
def test_serve_follows_access_log_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: ran.update(kwargs))
    monkeypatch.setenv("ACCESS_LOG", value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.cli, ["serve", "--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert ran["access_log"] is expected
    assert ran["port"] == 8123


def test_serve_runs_the_workers_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: dict[str, Any] = {}
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: ran.update(kwargs))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.cli, ["serve", "--port", "8123", "--workers", "3"])
        refused = CliRunner().invoke(cli.cli, ["serve", "--workers", "0"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert (ran["workers"], ran["factory"], ran["port"]) == (3, True, 8123)
    assert refused.exit_code == 2
