"""deploy/compose/init_env.py: `make up`'s .env, with new secrets, never overwritten."""

import stat
import subprocess
import sys

from compose_support import ENV_EXAMPLE, ROOT, read_env_file

SCRIPT = ROOT / "deploy" / "compose" / "init_env.py"


def run(tmp_path, *args):
    return subprocess.run([sys.executable, str(SCRIPT), "--example", str(ENV_EXAMPLE), *args],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_it_writes_new_secrets_and_keeps_every_other_setting(tmp_path):
    result = run(tmp_path, "--env", "first.env")
    assert result.returncode == 0, result.stderr
    first = read_env_file(tmp_path / "first.env")
    example = read_env_file(ENV_EXAMPLE)
    assert set(first) == set(example)
    secrets = {name for name, value in example.items() if value == "change-me"}
    assert secrets == {"ADMIN_API_KEY", "INTERNAL_TOKEN", "POSTGRES_PASSWORD"}
    for name in example:
        if name in secrets:
            assert len(first[name]) >= 32 and first[name] != "change-me"
            assert all(c.isalnum() or c in "-_" for c in first[name])  # safe inside DATABASE_URL
        else:
            assert first[name] == example[name]
    assert len({first[name] for name in secrets}) == len(secrets)
    assert stat.S_IMODE((tmp_path / "first.env").stat().st_mode) == 0o600

    run(tmp_path, "--env", "second.env")
    second = read_env_file(tmp_path / "second.env")
    assert all(first[name] != second[name] for name in secrets)


def test_an_existing_env_is_left_alone(tmp_path):
    (tmp_path / ".env").write_text("ADMIN_API_KEY=mine\n")
    result = run(tmp_path, "--env", ".env")
    assert result.returncode == 0
    assert "left as it is" in result.stdout
    assert (tmp_path / ".env").read_text() == "ADMIN_API_KEY=mine\n"


def test_render_replaces_only_placeholder_assignments():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from init_env import render
    finally:
        sys.path.remove(str(SCRIPT.parent))
    text = "# KEY=change-me in a comment\nA=change-me\nB=keep\nC=change-me-not\n\nD=change-me\r\n"
    expected = "# KEY=change-me in a comment\nA=NEW\nB=keep\nC=change-me-not\n\nD=NEW\r\n"
    assert render(text, token=lambda: "NEW") == expected
