"""What the admin console's pages share: the admin-only dependency, forms whose refusals land next to
their fields in the reader's words (a service's `errors[].field` becomes the field's label, never a
wire path), lists a page at a time with the API's cursor, and the lists codes are picked from."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends

from gateway.web import console_words, notices, pages, words
from gateway.web.i18n import N_
from gateway.web.pages import Page

# Only an admin: for_roles always lets the admin in, and no other role is named.
AdminPage = Annotated[Page, Depends(pages.for_roles())]
PAGE_SIZE = 50
PICK_LIMIT = 500
DONE = {
    "created": N_("Saved."),
    "saved": N_("The changes are saved."),
    "retired": N_("The part is retired."),
    "reactivated": N_("The part is in use again."),
    "bill": N_("The bill of parts is saved."),
    "policy": N_("The new policy version is saved."),
    "season": N_("The season calendar is saved."),
    "commitments": N_("The new commitments are saved."),
    "calendar": N_("The working calendar is saved."),
    "rates": N_("The new rate card is saved."),
    "closed": N_("Closed. Its history stays."),
    "reopened": N_("Open again."),
}


@dataclass(frozen=True, slots=True)
class Field:
    label: str  # catalog id
    rule: str = "other"  # a key of console_words.RULES


@dataclass
class Form:
    """A form's fields by their form name; where a service's wire paths land among them (a path not
    listed lands on the field of the same name, a longer path on its nearest listed parent); and
    which problem codes name a field without an `errors` list (409 `part_exists`: the part number)."""

    fields: dict[str, Field]
    wire: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    def name_of(self, path: str) -> str | None:
        parts = [p for p in path.split(".") if p]
        while parts:
            candidate = ".".join(parts)
            if candidate in self.wire:
                return self.wire[candidate]
            if candidate in self.fields:
                return candidate
            parts.pop()
        return None


def rule_text(page: Page, form: Form, name: str) -> str:
    found = form.fields.get(name)
    return page.t.gettext(console_words.RULES[found.rule if found else "other"])


def trouble_of(page: Page, problem: dict | None, code: str) -> dict:
    """What happened and what to do, in the reader's words; the request number for support."""
    happened, advice = (console_words.PROBLEMS.get(code) or words.PROBLEMS.get(code)
                        or words.GENERIC_PROBLEM)
    return {"code": code, "title": page.t.gettext(happened), "advice": page.t.gettext(advice),
            "request_id": (problem or {}).get("request_id"), "fields": [], "shortages": []}


def refused(page: Page, problem: dict | None, form: Form, *, at: dict[str, str] | None = None,
            code: str | None = None) -> tuple[dict, dict[str, str]]:
    """A refusal: the notice at the top naming the fields by their labels, and each field's reason to show
    next to it (`at`: form name -> text). `at` given by the caller wins over the service's paths."""
    problem = problem or {}
    code = code or problem.get("code") or "internal_error"
    marks = dict(at or {})
    named = form.codes.get(code)
    if named and named not in marks:
        # A refusal that is about one field says so there, in its own words (409 unit_exists: the serial).
        happened, _advice = console_words.PROBLEMS.get(code) or words.PROBLEMS.get(code) or words.GENERIC_PROBLEM
        marks[named] = page.t.gettext(happened)
    for error in problem.get("errors") or []:
        if not isinstance(error, dict):
            continue
        name = form.name_of(str(error.get("field") or ""))
        if name and name not in marks:
            marks[name] = rule_text(page, form, name)
    trouble = trouble_of(page, problem, code)
    trouble["fields"] = [page.t.gettext(form.fields[n].label) for n in marks if n in form.fields]
    return trouble, marks


def bad_input(page: Page, form: Form, at: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """A form the page itself refuses before sending: the same notice and marks as a service's 422."""
    return refused(page, {"code": "bad_input"}, form, at=at)


def mark(page: Page, form: Form, *names: str) -> dict[str, str]:
    return {name: rule_text(page, form, name) for name in names}


def posted(page: Page) -> dict[str, str]:
    """What was typed, every field, to put back in the form."""
    return {name: page.value(name) for name in page.form}


def unfilled(page: Page, form: Form, values: dict, *names: str) -> dict[str, str]:
    """The marks of the required fields `names` left empty, in that order."""
    return mark(page, form, *[name for name in names if not values.get(name)])


async def submit(page: Page, form: Form, marks: dict[str, str], again: Callable[..., Awaitable], method: str,
                 path: str, body: Any, after: Callable[[Any], str]):
    """A form sent on to a service: refused by the page (its `marks`, 422) or by the service, it comes back
    through `again` with everything typed still in it; taken, the browser goes on to `after(answer)`."""
    values = posted(page)
    if marks:
        trouble, at = bad_input(page, form, marks)
        return await again(status=422, values=values, trouble=trouble, at=at)
    answer = await pages.call(page, method, path, json_body=body)
    if not answer.ok:
        trouble, at = refused(page, answer.problem, form)
        return await again(status=answer.status, values=values, trouble=trouble, at=at)
    return pages.redirect(page, after(answer.data))


def done_text(page: Page) -> str:
    return notices.done_text(page, DONE)


def show(page: Page, template: str, *, status: int = 200, **values: Any):
    values.setdefault("values", {})
    values.setdefault("at", {})
    values.setdefault("trouble", None)
    values.setdefault("done", done_text(page))
    return pages.render(page, template, status=status, cw=console_words, **values)


def number(text: str) -> int | str:
    """A whole number as JSON wants it; anything else as typed, for the service to name the field."""
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else text


def optional(body: dict, name: str, value: str) -> dict:
    if value:
        body[name] = value
    return body


@dataclass
class Listing:
    rows: list[dict]
    more: str  # the next page's address, or ""
    first: str  # the first page's address when on a later page, or ""
    trouble: dict | None
    status: int


def _address(page: Page, **changes: str) -> str:
    params = {k: v for k, v in page.request.query_params.items() if k not in ("cursor", "done", *changes)}
    params.update({k: v for k, v in changes.items() if v})
    return page.request.url.path + ("?" + urlencode(params) if params else "")


async def listing(page: Page, path: str, *, query: dict | None = None, limit: int = PAGE_SIZE) -> Listing:
    """One page of an API list from the cursor in the address (a search is the API's `q`, in `query`)."""
    cursor = page.request.query_params.get("cursor", "").strip()
    answer = await pages.call(page, "GET", path, query={**(query or {}), "limit": limit, "cursor": cursor})
    rows = pages.items(answer)
    following = answer.data.get("next_cursor") if answer.ok and isinstance(answer.data, dict) else None
    return Listing(rows=rows, more=_address(page, cursor=following) if following else "",
                   first=_address(page) if cursor else "",
                   trouble=None if answer.ok else trouble_of(page, answer.problem, answer.problem.get("code")),
                   status=answer.status if not answer.ok else 200)


async def exact(page: Page, path: str) -> dict | None:
    """The one record at `path`, or None: a code typed whole is found beyond the page shown."""
    answer = await pages.call(page, "GET", path)
    return answer.data if answer.ok and isinstance(answer.data, dict) else None


async def every(page: Page, path: str, query: dict | None = None) -> list[dict]:
    """A list to pick codes from (the first PICK_LIMIT rows)."""
    return pages.items(await pages.call(page, "GET", path, query={**(query or {}), "limit": PICK_LIMIT}))


def region_label(page: Page, code: str) -> str:
    name = words.REGIONS.get(code)
    return f"{page.t.gettext(name)} ({code})" if name else code


async def region_options(page: Page) -> list[tuple[str, str]]:
    """The regions that have a season calendar: the only ones a unit, warehouse or site may name."""
    answer = await pages.call(page, "GET", "/warranty/regions")
    return [(r["region"], region_label(page, r["region"])) for r in pages.items(answer) if r.get("region")]
