"""What the platform sends is printed as text: a key's name is never rich markup (`[/]` crashed the
table, `[link=…]` became a disguised hyperlink in the admin's terminal) nor a terminal control sequence."""

import io
import json

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli import main

NAME = "[/]x [link=http://evil]y"
KEY = {"id": "k1", "name": NAME, "role": "station", "warehouses": ["[b]W1"], "created_at": "2026-11-25T09:30:00Z",
       "last_used_at": None, "revoked_at": None}


@pytest.fixture
def platform(monkeypatch):
    """The gateway as a handler: keys listed, one created, a refusal that names itself in markup."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/admin/api-keys":
            return httpx.Response(200, json={"items": [KEY], "next_cursor": None})
        if request.method == "POST":
            return httpx.Response(201, json={**KEY, "key": "ask_[red]secret"})
        return httpx.Response(404, json={"code": "not_found", "detail": "No key [link=http://evil]k9[/link]\x1b[2J"})

    real = httpx.Client
    monkeypatch.setattr(main.httpx, "Client", lambda **kw: real(transport=httpx.MockTransport(handler), **kw))


def terminal(monkeypatch) -> tuple[io.StringIO, io.StringIO]:
    screens = io.StringIO(), io.StringIO()
    monkeypatch.setattr(main, "out", Console(file=screens[0], force_terminal=True, color_system="truecolor",
                                             width=200))
    monkeypatch.setattr(main, "err", Console(file=screens[1], force_terminal=True, color_system="truecolor",
                                             width=200))
    return screens


def invoke(*args: str):
    return CliRunner().invoke(main.app, ["--key", "k", *args], catch_exceptions=False)


def test_a_key_named_as_markup_is_listed_verbatim_on_a_terminal(platform, monkeypatch):
    screen, _ = terminal(monkeypatch)
    result = invoke("keys", "list")
    assert result.exit_code == 0, result.output
    shown = screen.getvalue()
    assert NAME in shown and "[b]W1" in shown
    assert "\x1b]8;" not in shown  # no hyperlink escape: nothing disguised


def test_a_key_named_as_markup_is_listed_verbatim_when_piped(platform):
    result = invoke("keys", "list")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1].split("\t")[:3] == ["k1", NAME, "station"]


def test_a_made_key_and_a_refusal_print_as_text(platform, monkeypatch):
    screen, errors = terminal(monkeypatch)
    assert invoke("keys", "create", "--role", "station", "--name", NAME).exit_code == 0
    assert f"name: {NAME}" in screen.getvalue() and "key: ask_[red]secret" in screen.getvalue()
    assert invoke("keys", "revoke", "k9").exit_code == 1
    shown = errors.getvalue()
    assert "No key [link=http://evil]k9[/link]\\x1b[2J" in shown and "\x1b]8;" not in shown
    assert "\x1b[2J" not in shown  # a control sequence from the platform is shown, not obeyed


def test_the_key_option_says_it_is_visible_to_other_users():
    result = CliRunner().invoke(main.app, ["keys", "list", "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.output.split())
    assert "visible to other users" in text and "AFTERSALES_API_KEY" in text
    assert json.dumps(main.KEY_HELP)  # one wording, for the option before and after the command
