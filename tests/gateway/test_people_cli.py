"""The first admin, from the command line, straight into the gateway's database (migrated first)."""

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cli.main import app
from gateway import passwords


def test_create_admin_makes_the_first_admin_with_a_one_time_password(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    for name in ("DATABASE_URL", "GATEWAY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["users", "create-admin", "--login", "ZhangWei", "--name", "张伟"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert lines["login"] == "zhangwei" and len(lines["one-time password"]) == 14
    engine = create_engine(f"sqlite:///{tmp_path / 'gateway.sqlite3'}")
    with engine.connect() as conn:
        row = conn.execute(text('SELECT role, display_name, must_change_password, password_hash FROM "user"')).one()
        trail = conn.execute(text("SELECT actor_kind, action, object_type FROM audit_entry")).all()
    engine.dispose()
    assert (row.role, row.display_name, bool(row.must_change_password)) == ("admin", "张伟", True)
    assert row.password_hash.startswith("$argon2id$") and passwords.verify(row.password_hash,
                                                                          lines["one-time password"])
    assert trail == [("system", "create", "user")]
    again = CliRunner().invoke(app, ["users", "create-admin", "--login", "zhangwei", "--name", "张伟"])
    assert again.exit_code == 1 and "zhangwei" in again.stderr
    bad = CliRunner().invoke(app, ["users", "create-admin", "--login", "-no", "--name", "x"])
    assert bad.exit_code == 2
