"""What the list workbooks share (gateway/web/exports.py): every row of an API list as the signed-in
person, column headers and codes in the reader's words, and the download with its notes."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway import reports, xlsx
from gateway.web import i18n, pages
from gateway.web.i18n import N_
from gateway.web.pages import Page

ROWS_CAP = reports.XLSX_ROWS_CAP
API_PAGE = 500  # the largest page the APIs give (shared/deps.py Limit)
NOTES = {
    "list": N_("List"),
    "made": N_("Downloaded at"),
    "cap": N_("Only the first %(count)s rows: narrow the selection and download again."),
}


@dataclass
class Walked:
    items: list[dict]
    more: bool  # there were more than ROWS_CAP rows
    failed: pages.Answer | None


async def walk(page: Page, path: str, query: dict | None = None, cap: int | None = None) -> Walked:
    """Every row of an API list as the signed-in person, following the cursor, up to `cap` rows
    (ROWS_CAP unless said)."""
    cap = ROWS_CAP if cap is None else cap
    items: list[dict] = []
    cursor = ""
    while True:
        answer = await pages.call(page, "GET", path, query={**(query or {}), "limit": API_PAGE, "cursor": cursor})
        if not answer.ok:
            return Walked(items, False, answer)
        found = [i for i in pages.items(answer) if isinstance(i, dict)]
        items.extend(found)
        cursor = answer.data.get("next_cursor") if isinstance(answer.data, dict) else None
        if len(items) >= cap:
            return Walked(items[:cap], len(items) > cap or bool(cursor), None)
        if not cursor or not found:
            return Walked(items, False, None)


@dataclass(frozen=True, slots=True)
class Col:
    header: str  # catalog id, or a header already in words
    kind: str = "text"
    said: bool = False  # the header is already in the reader's words


def sheet_columns(t: i18n.Translator, columns: Sequence[Col]) -> list[xlsx.Column]:
    return [xlsx.Column(c.header if c.said else t.gettext(c.header), c.kind) for c in columns]


def say(t: i18n.Translator, table: dict, code: Any) -> str | None:
    """A code in the reader's words (None stays empty)."""
    if code is None or code == "":
        return None
    return t.gettext(table[code]) if code in table else str(code)


def yes_no(t: i18n.Translator, value: Any) -> str | None:
    if value is None:
        return None
    return t.gettext(N_("Yes") if value else N_("No"))


def listed(t: i18n.Translator, values: Iterable[str]) -> str:
    return ("、" if t.lang == "zh_CN" else ", ").join(v for v in values if v)


def filename(page: Page, name: str) -> str:
    return f"{name}-{page.state.clock.now().astimezone(i18n.CHINA_TIME):%Y%m%d-%H%M}.xlsx"


def failed_page(page: Page, answer: pages.Answer, refused: Callable = pages.trouble):
    return pages.render(page, "error.html", status=answer.status, trouble=refused(page, answer.problem))


def download(page: Page, name: str, title: str, columns: Sequence[Col], rows: Iterable[Sequence[Any]], *,
             more: bool, filters: Sequence[tuple[str, Any]] = ()):
    """The workbook: what list it is, when it was made and with which filters, then the table."""
    t = page.t
    notes: list[tuple[str, Any]] = [(t.gettext(NOTES["list"]), t.gettext(title)),
                                    (t.gettext(NOTES["made"]), xlsx.typed(page.state.clock.now(), "datetime"))]
    notes += [(t.gettext(label), value) for label, value in filters if value not in (None, "")]
    if more:
        notes.append((t.gettext(N_("Note")), t.gettext(NOTES["cap"], count=f"{ROWS_CAP:,}")))
    body = xlsx.workbook([xlsx.Sheet(t.gettext(title), sheet_columns(t, columns), rows, notes=notes)])
    return pages.finish(page, reports.download(body, filename(page, name)))


