"""A wire limit is declared once, in shared/contracts (issue 16): no schema, route or query parameter of a
service, the gateway or shared writes a length or a bound as a number of its own. Read from the source with
`ast`, so a limit written in any layout is found; the domain's pure rules (which may name their own numbers,
like a term's cap read from the contract) and the contracts themselves are the only places left out."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT_KEYWORDS = {"max_length", "min_length", "le", "ge", "gt", "lt", "max_items", "min_items"}
# A lower bound of 0 or 1 says "not negative" / "not empty": a property of the type, not a limit to keep in step.
PLAIN_LOWER = {("min_length", 0), ("min_length", 1), ("ge", 0), ("ge", 1), ("gt", 0)}
# A rate is a fraction of 1 by definition (the figures' on-time rate): not a limit of anything typed.
FRACTIONS = {("services/servicedesk/report_routes.py", "le", 1)}


def sources():
    for folder in ("services", "gateway", "shared", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/domain/" in relative or relative.startswith("shared/contracts/"):
                continue
            yield relative, ast.parse(path.read_text())


def number(node: ast.expr) -> int | float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = number(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.BinOp):  # 2**31 - 1 and the like: still a number written here
        left, right = number(node.left), number(node.right)
        return None if left is None or right is None else 0
    return None


def test_no_limit_is_written_as_a_number_outside_the_contracts():
    restated = []
    for relative, tree in sources():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            for keyword in call.keywords:
                if keyword.arg not in LIMIT_KEYWORDS:
                    continue
                value = number(keyword.value)
                if value is None or (keyword.arg, value) in PLAIN_LOWER:
                    continue
                if (relative, keyword.arg, value) in FRACTIONS:
                    continue
                restated.append(f"{relative}:{keyword.value.lineno}: {keyword.arg}={ast.unparse(keyword.value)}")
    assert restated == [], "limits written as numbers (declare them in shared/contracts):\n" + "\n".join(restated)


def test_the_check_finds_a_restated_limit():
    tree = ast.parse("Query(None, max_length=60)\nField(ge=2000, le=2**31 - 1)\nField(ge=0, le=contract.MAX)")
    found = [(k.arg, number(k.value)) for call in ast.walk(tree) if isinstance(call, ast.Call)
             for k in call.keywords if number(k.value) is not None]
    assert ("max_length", 60) in found and ("ge", 2000) in found and ("le", 0) in found and ("ge", 0) in found


def _is_len(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"


# Bounds of the processes themselves, not of any operation's input: kept beside the code they size.
INTERNAL_BOUNDS = {
    ("shared/upstream.py", 65536),  # the forward path's read buffer
    ("gateway/ratelimit.py", 100000),  # the memory bound of the guessing tables
    ("shared/deadline.py", 15),  # digits of the signed deadline header between our processes
    ("shared/middleware.py", 128),  # a request id kept from a caller for the logs (longer ones are replaced)
    ("cli/main.py", 20),  # import errors printed to the terminal before "--errors FILE"
    ("services/servicedesk/visits.py", 24),  # a PNG's signature and IHDR header: a format, not a limit
}


def test_no_length_is_checked_against_a_number_outside_the_contracts():
    # `len(name) > 40` in a route is the same restated limit as `max_length=40` in a schema. Up to 10 a
    # length is a format's shape (a "YYYY-MM" month has 7 characters, a pair 2 parts), not a limit.
    restated = []
    for relative, tree in sources():
        for compare in ast.walk(tree):
            if not isinstance(compare, ast.Compare):
                continue
            sides = [compare.left, *compare.comparators]
            if not any(_is_len(side) for side in sides):
                continue
            numbers = [number(side) for side in sides]
            if any(value is not None and value > 10 and (relative, value) not in INTERNAL_BOUNDS
                   for value in numbers):
                restated.append(f"{relative}:{compare.lineno}: {ast.unparse(compare)}")
    assert restated == [], "lengths checked against numbers (declare them in shared/contracts):\n" + "\n".join(restated)


# Cuts of text that no operation takes in: what a log line or an error column keeps of an exception, an
# address in the guessing tables, a command echoed, errors printed to a terminal, a chat robot's reply.
INTERNAL_CUTS = {
    ("services/servicedesk/notifications.py", 500), ("services/servicedesk/outbox.py", 500),
    ("shared/dbfaults.py", 300), ("shared/idempotency.py", 300), ("gateway/ratelimit.py", 64),
    ("cli/backup.py", 120), ("cli/main.py", 20), ("services/servicedesk/webhooks.py", 200),
}


def _is_digest(node: ast.expr) -> bool:
    # A hash shortened to a key: a format of our own, not a limit of anything typed.
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "hexdigest"


def test_no_text_is_cut_at_a_number_outside_the_contracts():
    # `value[:200]` to fit a column or a wire field is the same restated width: cut at the contract's
    # limit, or at the column's own (shared.columns.fit). Up to 10 a cut is a format's shape.
    restated = []
    for relative, tree in sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice)):
                continue
            cut = node.slice
            value = number(cut.upper) if cut.upper is not None and cut.lower is None and cut.step is None else None
            if value is None or value <= 10 or _is_digest(node.value) or (relative, value) in INTERNAL_CUTS:
                continue
            restated.append(f"{relative}:{node.lineno}: {ast.unparse(node)}")
    assert restated == [], "text cut at numbers (use the contract's limit or shared.columns.fit):\n" + "\n".join(
        restated)


def test_a_cut_fits_its_column():
    from services.servicedesk.models import TicketEvent
    from shared.audit import AuditEntryMixin
    from shared.columns import fit

    assert fit("x" * 500, TicketEvent.by_name) == "x" * TicketEvent.by_name.type.length
    assert fit("r" * 150, AuditEntryMixin.request_id) == "r" * 100 and fit("short", TicketEvent.by) == "short"
