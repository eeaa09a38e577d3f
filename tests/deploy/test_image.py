"""The image, checked without building it: the build context (.dockerignore over
the repository's files) holds what the processes import and run, and nothing secret."""

import fnmatch
import re
import subprocess
import sys

import pytest
from compose_support import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def ignore_patterns() -> list[tuple[bool, str]]:
    patterns = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append((line.startswith("!"), line.lstrip("!").rstrip("/")))
    return patterns


def ignored(path: str, patterns) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a folder covers what is in it."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for negated, pattern in patterns:
        regex = fnmatch.translate(pattern).replace(".*", "[^/]*")
        regex = regex.replace("[^/]*[^/]*/", "(.*/)?")  # `**/`
        if any(re.fullmatch(regex, p) for p in prefixes):
            result = not negated
    return result


@pytest.fixture(scope="module")
def context() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    files += [".env", "data/warranty.sqlite3", "shared/__pycache__/x.cpython-311.pyc"]  # as a developer's tree has
    patterns = ignore_patterns()
    return {f for f in files if not ignored(f, patterns)}


def test_the_context_has_what_the_processes_run(context):
    for needed in ("pyproject.toml", "constraints.txt", "alembic.ini", "scripts/migrate.py", "scripts/run.py",
                   "deploy/__init__.py", "deploy/migrate_locked.py", "gateway/main.py", "shared/settings.py",
                   "services/warranty/main.py", "services/inventory/main.py", "services/billing/main.py"):
        assert needed in context, needed
    for service in ("gateway", "warranty", "inventory", "billing"):
        assert f"alembic/{service}/env.py" in context


def test_the_context_leaves_out_secrets_tests_and_local_state(context):
    for path in context:
        assert not path.startswith(("tests/", "docs/", "data/", ".git/", ".venv/", "deploy/k8s/")), path
        assert path not in (".env",) and not path.endswith(".pyc"), path


def test_the_dockerfile_installs_the_pins_and_runs_as_a_numeric_user():
    assert "-c constraints.txt" in DOCKERFILE
    uid = re.findall(r"^USER\s+(\d+):(\d+)", DOCKERFILE, re.M)[-1]
    assert uid == ("10001", "10001")
    assert "--uid 10001" in DOCKERFILE and "--gid 10001" in DOCKERFILE
    assert re.search(r"^ENV[^\n]*(\n\s+[^\n]*)*DATA_DIR=/tmp/", DOCKERFILE, re.M)  # writable with a read-only root


def test_the_code_in_the_image_imports_without_the_test_packages():
    """The image installs `dependencies` only: no module it runs may import a test-only package."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def name(requirement: str) -> str:
        return re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0].lower()

    runtime = {name(r) for r in project["dependencies"]}
    aliases = {"pyyaml": "yaml"}
    test_only = sorted(aliases.get(n, n.replace("-", "_")) for n in map(name, project["optional-dependencies"]["test"])
                       if n not in runtime)
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for folder in ("shared", "gateway", "services", "scripts", "deploy")
        for p in (ROOT / folder).rglob("*.py")
    )
    program = (
        "import importlib, sys\n"
        f"blocked = {test_only!r}\n"
        "class Block:\n"
        "    def find_spec(self, fullname, path=None, target=None):\n"
        "        if fullname.split('.')[0] in blocked:\n"
        "            raise ImportError(f'test-only package imported at run time: {fullname}')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for module in {modules!r}:\n"
        "    importlib.import_module(module)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "yaml" in test_only and "pytest" in test_only
