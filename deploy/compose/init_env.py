"""Write .env for docker compose from .env.example, each `change-me` secret
replaced by a fresh random one. An existing .env is never touched.

    python3 deploy/compose/init_env.py [--example .env.example] [--env .env]

Standard library only: `make up` runs it with the system Python.
"""

import argparse
import os
import secrets
import sys
from pathlib import Path

PLACEHOLDER = "change-me"


def render(example: str, token=lambda: secrets.token_urlsafe(32)) -> str:
    """The example's text with every `NAME=change-me` line given a new secret."""
    lines = []
    for line in example.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        name, sep, value = body.partition("=")
        if sep and not body.lstrip().startswith("#") and value.strip() == PLACEHOLDER:
            line = f"{name}={token()}" + line[len(body):]
        lines.append(line)
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default=".env.example")
    parser.add_argument("--env", default=".env")
    args = parser.parse_args(argv)
    target = Path(args.env)
    if target.exists():
        print(f"{target} exists; left as it is")
        return 0
    text = render(Path(args.example).read_text(encoding="utf-8"))
    # Created readable by its owner only: it holds the secrets.
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"wrote {target} with new secrets (ADMIN_API_KEY is in it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
