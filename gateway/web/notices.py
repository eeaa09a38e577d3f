"""The notice a page shows once a change went through: the form's redirect names the change in the address
(`?done=saved`) and each page says it in its own words."""

from gateway.web.pages import Page


def done_text(page: Page, said: dict[str, str]) -> str:
    done = page.request.query_params.get("done", "")
    return page.t.gettext(said[done]) if done in said else ""
