"""Chinese first, English on request: gettext catalogs kept as .po files and compiled by Babel when
the gateway starts (so a fresh clone needs no build step and no compiled file can go stale), and
dates, times and money written the way people in China write them."""

import gettext
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh_CN", "en")
DEFAULT = "zh_CN"
# China Standard Time has had no daylight saving since 1991.
CHINA_TIME = timezone(timedelta(hours=8), "CST")


def N_(message: str) -> str:
    """Marks a string for the catalog; it is translated where it is shown."""
    return message


def pick(value: str | None) -> str | None:
    """The language a `?lang=` or cookie value names, or None."""
    if not value:
        return None
    value = value.strip().replace("-", "_").lower()
    if value in ("en", "en_us", "en_gb", "english"):
        return "en"
    if value in ("zh", "zh_cn", "zh_hans", "cn"):
        return "zh_CN"
    return None


def compile_catalog(lang: str) -> gettext.NullTranslations:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """One language's words and formats, handed to every template as `t`."""

    def __init__(self, lang: str, translations: gettext.NullTranslations) -> None:
        self.lang = lang
        self.translations = translations

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.lang == "zh_CN" else "en"

    @property
    def colon(self) -> str:
        """Between a label and its value: the full-width colon in Chinese text, ": " in English."""
        return "：" if self.lang == "zh_CN" else ": "

    @property
    def comma(self) -> str:
        """Between the parts of one value (a site's name and address): the full-width comma in Chinese text,
        ", " in English."""
        return "，" if self.lang == "zh_CN" else ", "

    def gettext(self, message: str, **values) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def date(self, value: date | str | None) -> str:
        if value in (None, ""):
            return "—"
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value[:10])
            except ValueError:
                return value
        if self.lang == "zh_CN":
            return f"{value.year}年{value.month}月{value.day}日"
        return format_date(value, "d MMM y", locale="en")

    def timestamp(self, value: datetime | str | None) -> str:
        if value in (None, ""):
            return "—"
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        local = value.astimezone(CHINA_TIME)
        return f"{self.date(local.date())} {local:%H:%M}"

    def money(self, value: Decimal | str | None) -> str:
        if value in (None, ""):
            return "—"
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        text = format_decimal(abs(amount), "#,##0.00", locale="en")
        return f"-¥{text}" if amount < 0 else f"¥{text}"

    def percent(self, fraction: Decimal | str) -> str:
        try:
            value = (Decimal(str(fraction)) * 100).normalize()
        except InvalidOperation:
            return str(fraction)
        return f"{value:f}%"

    def weekday(self, value: date) -> str:
        return format_date(value, "EEEE", locale="zh_CN" if self.lang == "zh_CN" else "en")

    def month(self, value: date) -> str:
        if self.lang == "zh_CN":
            return f"{value.year}年{value.month}月"
        return format_date(value, "MMMM y", locale="en")


class Catalogs:
    def __init__(self) -> None:
        self.translators = {lang: Translator(lang, compile_catalog(lang)) for lang in LANGUAGES}

    def get(self, lang: str) -> Translator:
        return self.translators.get(lang) or self.translators[DEFAULT]
