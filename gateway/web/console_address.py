"""A console page's address: what its query asks, the address a form goes on to, and a list whose search
finds a code typed whole beyond the page shown."""

from urllib.parse import urlencode

from gateway.web.console_common import Listing, exact
from gateway.web.pages import Page


def param(page: Page, name: str) -> str:
    return page.request.query_params.get(name, "").strip()


def to(path: str, **query: str) -> str:
    return f"{path}?{urlencode(query)}" if query else path


async def put_exact_first(page: Page, rows: Listing, path: str, key: str) -> None:
    """Puts the record at `path` (the code searched for) first in the list, when there is one."""
    found = await exact(page, path)
    if found:
        rows.rows = [found, *[r for r in rows.rows if r[key] != found[key]]]
