"""Words for every code, found in the code and never in a hand list: every problem code the platform can
answer (the error classes, each app's contract, the literal problems), every closed value of every wire
model, every field a refusal can name, in Chinese and English; the pages and the PDFs say the same thing
the same way (shared/glossary.py); Chinese text has Chinese punctuation."""

import ast
import collections
import enum
import importlib
import pkgutil
import re
import typing
from pathlib import Path

import annotated_types
import pytest
from babel.messages.pofile import read_po
from pydantic import BaseModel

import gateway
import services
import shared
from gateway import config
from gateway.main import create_app
from gateway.web import field_labels, i18n, visits, words
from services.servicedesk.domain import checklists, commitments, milestones, tickets
from shared import errors, glossary, settings

from gateway_support import ADMIN, sign_in, token_in

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "gateway" / "web"
CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"


def every_module() -> list:
    """Every module of shared/, services/ and gateway/, imported: so every error class and model is defined."""
    found = []
    for package in (shared, services, gateway):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            found.append(importlib.import_module(info.name))
    return found


APPLICATION = ("shared", "services", "gateway", "cli")


def subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *subclasses(sub)]
    return found


def catalog(lang: str) -> dict[str, str]:
    with (WEB / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


@pytest.fixture(scope="module")
def zh() -> dict[str, str]:
    return catalog("zh_CN")


@pytest.fixture(scope="module")
def en() -> dict[str, str]:
    return catalog("en")


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    """Each service's contract and the gateway's own, as their apps publish them at /openapi.json."""
    found = {}
    for name in settings.SERVICES:
        module = importlib.import_module(f"services.{name}.main")
        found[name] = module.create_app(settings.load(name, database_url="sqlite://")).openapi()
    found["gateway"] = create_app(config.load(database_url="sqlite://", admin_api_key="words-test-key")).app.openapi()
    return found


def assert_worded(message: str, zh: dict[str, str], en: dict[str, str], what: str) -> None:
    assert message in en, f"{what}: {message!r} is not in the English catalog (run `make messages`)"
    assert zh.get(message), f"{what}: {message!r} has no Chinese (gateway/web/locale/zh_CN)"


# ---- every problem code ------------------------------------------------------------------------

def class_codes() -> dict[str, str]:
    every_module()
    # The platform's own classes: a test's made-up errors are none of a page's business.
    return {cls.code: f"{cls.__module__}.{cls.__name__}" for cls in [errors.ServiceError,
                                                                    *subclasses(errors.ServiceError)]
            if cls.__module__.split(".")[0] in APPLICATION}


def contract_codes(specs: dict[str, dict]) -> dict[str, str]:
    """Every code an operation lists under `x-problem-codes`, with where it is listed."""
    found: dict[str, str] = {}

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "x-problem-codes":
                    found.update({code: where for code in value})
                else:
                    walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    for name, spec in specs.items():
        for path, item in spec["paths"].items():
            walk(item, f"{name} {path}")
    return found


def literal_codes() -> dict[str, str]:
    """Codes answered without a class: `problem(status, "code", ...)` in the apps, `trouble(..., code="...")`
    in the pages (read from the syntax tree, so a comment or a string that merely looks alike is no code)."""
    found: dict[str, str] = {}
    for top in ("shared", "services", "gateway"):
        for source in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                where = f"{source.relative_to(ROOT)}:{node.lineno}"
                if name == "problem" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                        and isinstance(node.args[1].value, str):
                    found[node.args[1].value] = where
                if name == "trouble":
                    for keyword in node.keywords:
                        if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                            found[keyword.value.value] = where
    return found


@pytest.fixture(scope="module")
def every_code(specs) -> dict[str, str]:
    return {**{code: "shared/errors.py STATUS_CODES" for code in errors.STATUS_CODES.values()},
            **literal_codes(), **contract_codes(specs), **class_codes()}


def test_the_codes_are_found_where_they_are_made(every_code):
    # the collection itself works: a class code, a contract-only code, a literal problem and a page's own
    assert {"unit_not_found", "loaner_class_mismatch", "rate_limited", "value_out_of_range", "internal_error",
            "csrf_failed", "bad_serial", "invalid_cursor", "incomplete_body"} <= set(every_code)
    assert len(every_code) >= 70


def test_every_code_the_platform_can_answer_has_words_in_both_languages(every_code, zh, en):
    missing = {code: where for code, where in every_code.items() if code not in words.PROBLEMS}
    assert not missing, f"add these codes to gateway/web/words.py PROBLEMS: {missing}"
    for code in every_code:
        happened, advice = words.PROBLEMS[code]
        assert_worded(happened, zh, en, code)
        assert_worded(advice, zh, en, code)


def test_the_words_name_no_code_that_cannot_happen(every_code):
    assert set(words.PROBLEMS) - set(every_code) == set()


def test_the_refusals_the_brief_named_read_as_a_clerk_reads_them(zh):
    def said(code: str) -> str:
        return "".join(zh[message] for message in words.PROBLEMS[code])

    assert said("database_busy").startswith("系统繁忙，请稍后重试")
    assert said("unknown_station").startswith("没有这个维修站") and "请从列表中选择" in said("unknown_station")
    assert "备用机与该机组不是同一档次" in said("loaner_class_mismatch")


# ---- every value a page can show -------------------------------------------------------------------

def closed_values(annotation) -> list:
    """The values a field's type allows when it is a closed set: Literal[...] or an Enum, however nested."""
    if hasattr(annotation, "__value__"):  # a `type X = ...` alias
        return closed_values(annotation.__value__)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return list(typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [member.value for member in annotation]
    found = []
    for argument in typing.get_args(annotation) if origin is not None else ():
        found += closed_values(argument)
    return found


def wire_fields() -> dict[str, list]:
    """"service.Model.field" → its values, for every field of every wire model with a closed set of values."""
    every_module()
    found: dict[str, list] = {}
    for model in subclasses(BaseModel):
        parts = model.__module__.split(".")
        if parts[0] not in ("shared", "services", "gateway") or model.__module__.startswith("gateway.web"):
            continue
        # A service's wire model is its own whether in its schemas or in its contract (shared/contracts/<owner>).
        owner = parts[1] if parts[0] == "services" else parts[2] if parts[:2] == ["shared", "contracts"] else parts[0]
        for name, info in model.model_fields.items():
            values = closed_values(info.annotation)
            if values:
                found.setdefault(f"{owner}.{model.__name__}.{name}", [])
                found[f"{owner}.{model.__name__}.{name}"] += [v for v in values if v not in found[
                    f"{owner}.{model.__name__}.{name}"]]
    return found


def level_range() -> list[int]:
    from services.servicedesk.schemas import Level

    bounds = {type(m): m for m in typing.get_args(Level)[1:] for m in getattr(m, "metadata", [m])}
    return list(range(bounds[annotated_types.Ge].ge, bounds[annotated_types.Le].le + 1))


def domain_values() -> dict[str, list]:
    """The service desk's read models carry these as plain text: their values from its domain."""
    return {
        "servicedesk.domain.STATUSES": list(tickets.STATUSES),
        "servicedesk.domain.LEVELS": level_range(),
        "servicedesk.domain.CHANNELS": list(tickets.CHANNELS),
        "servicedesk.domain.PAUSE_REASONS": list(tickets.PAUSE_REASONS),
        "servicedesk.domain.MILESTONES": list(commitments.MILESTONES),
        "servicedesk.domain.CLOCKS": list(commitments.CLOCKS),
        "servicedesk.domain.UNMET": list(milestones.UNMET),
    }


def label_of(entry) -> str:
    return entry[-1] if isinstance(entry, tuple) else entry


def test_the_walk_finds_the_fields_a_page_shows():
    fields = wire_fields()
    assert fields["servicedesk.LoanerRead.status"] == ["not_due", "due", "provided", "returned", "measures_taken"]
    assert fields["billing.PaymentIn.method"] == ["cash", "bank_transfer", "wechat_pay", "alipay"]
    assert "manager" in fields["gateway.UserRead.role"] and len(fields) >= 50
    assert domain_values()["servicedesk.domain.LEVELS"] == [1, 2, 3, 4]


def test_every_value_of_every_closed_wire_field_has_words(zh, en):
    tables = words.value_words()
    fields = {**wire_fields(), **domain_values()}
    unmapped = sorted(key for key in fields if key not in tables and key not in words.SHOWN_AS_IS)
    assert not unmapped, f"give these fields a table in gateway/web/words.py value_words(): {unmapped}"
    covered = 0
    for key, values in fields.items():
        if key in words.SHOWN_AS_IS:
            continue
        table = tables[key]
        assert not [v for v in values if v not in table], f"{key}: no words for {[v for v in values if v not in table]}"
        for value in values:
            assert_worded(label_of(table[value]), zh, en, f"{key}={value}")
            covered += 1
    assert covered >= 200


def test_the_table_of_values_names_no_field_that_is_gone():
    known = {**wire_fields(), **domain_values()}
    assert set(words.value_words()) - set(known) == set()
    assert set(known) >= words.SHOWN_AS_IS


# ---- what a refused field is called ----------------------------------------------------------------

def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def body_paths(spec: dict, schema: dict, prefix: tuple[str, ...] = (), depth: int = 0):
    """Every field path a body of this schema has, as a refusal names it (a list's rows as `0`)."""
    schema = resolve(spec, schema)
    if depth > 10:
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from body_paths(spec, sub, prefix, depth + 1)
    if schema.get("type") == "array" and "items" in schema:
        yield from body_paths(spec, schema["items"], (*prefix, "0"), depth + 1)
    for name, sub in schema.get("properties", {}).items():
        yield ".".join((*prefix, name))
        yield from body_paths(spec, sub, (*prefix, name), depth + 1)


def request_fields(specs: dict[str, dict]) -> dict[str, str]:
    """Every field a request can be refused for: each body's fields, each query and path parameter."""
    found = {}
    for service, spec in specs.items():
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if not isinstance(operation, dict):
                    continue
                where = f"{service} {method.upper()} {path}"
                for parameter in operation.get("parameters", []):
                    if parameter["in"] in ("query", "path"):
                        found.setdefault(parameter["name"], where)
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    for field in body_paths(spec, media.get("schema", {})):
                        found.setdefault(field, where)
    return found


def test_every_field_a_request_declares_has_a_label(specs, zh, en):
    fields = request_fields(specs)
    assert {"caller.phone", "lines.0.qty", "warehouse", "at", "0.serial_number"} <= set(fields)
    unlabelled = {field: where for field, where in fields.items() if field_labels.unlabelled(field)}
    assert not unlabelled, f"add labels to gateway/web/field_labels.py FIELD_LABELS: {unlabelled}"
    for label in {*field_labels.FIELD_LABELS.values(), field_labels.OTHER_FIELD, field_labels.LINE}:
        assert_worded(label, zh, en, "field label")
    catalogs = i18n.Catalogs()
    for field in fields:
        for lang in i18n.LANGUAGES:
            shown = field_labels.field_label(catalogs.get(lang), field)
            assert "_" not in shown and "." not in shown, (field, shown)  # no wire name, no path
            assert lang != "zh_CN" or not re.search("[a-z]", shown), (field, shown)
            assert catalogs.get(lang).gettext(field_labels.OTHER_FIELD) not in shown, (field, shown)


@pytest.mark.parametrize(("path", "chinese", "english"), [
    ("caller.phone", "联系电话", "Contact phone"),
    ("lines.0.qty", "第 1 行 数量", "Line 1: Quantity"),
    ("lines.2.part_number", "第 3 行 配件编号", "Line 3: Part number"),
    ("0.site.name", "第 1 行 安装地点名称", "Line 1: Site name"),
    ("levels.1.dispatch.minutes", "第 2 行 派工 · 时限（分钟）", "Line 2: Dispatch · Time allowed (minutes)"),
    ("terms.cooling_system", "条款 · 供冷系统", "Terms · Cooling system"),
    ("at", "时间", "When"),
    ("no_such_field", "其他内容", "Another field"),
])
def test_a_wire_path_is_said_as_its_label(path, chinese, english):
    catalogs = i18n.Catalogs()
    assert field_labels.field_label(catalogs.get("zh_CN"), path) == chinese
    assert field_labels.field_label(catalogs.get("en"), path) == english



@pytest.mark.anyio
async def test_a_refused_form_names_the_nested_field_by_its_label(gateway, fakes):
    fakes["inventory"].answers["/reservations"] = (422, {
        "type": "https://errors.aftersales.example/validation_error", "title": "Unprocessable", "status": 422,
        "detail": "The request is not valid", "code": "validation_error", "request_id": "r-1",
        "errors": [{"field": "lines.0.qty", "message": "must be above 0"},
                   {"field": "caller.phone", "message": "not a phone"}]})
    await sign_in(gateway, ADMIN)
    form = await gateway.get("/app/warehouse/reserve")
    refused = await gateway.post("/app/warehouse/reserve", data={
        "csrf": token_in(form.text), "warehouse": "SC-01", "reference": "REP-1", "part_number": "CMP-72", "qty": "2"})
    assert refused.status_code == 422, refused.text
    assert "第 1 行 数量" in refused.text and "联系电话" in refused.text
    assert "lines.0.qty" not in refused.text and "caller.phone" not in refused.text
    assert 'value="REP-1"' in refused.text  # what was typed comes back
    english = await gateway.post("/app/warehouse/reserve?lang=en", data={
        "csrf": token_in(form.text), "warehouse": "SC-01", "reference": "REP-1", "part_number": "CMP-72", "qty": "2"})
    assert "Line 1: Quantity" in english.text and "lines.0.qty" not in english.text


# ---- one glossary ------------------------------------------------------------------------------

def test_the_pages_and_the_pdfs_use_the_same_chinese_for_the_same_thing(zh):
    from services.billing import bill_pdf

    pairs = {**words.SHARED_TERMS, "visit kinds": (visits.KINDS, glossary.VISIT_KINDS),
             "check results": (visits.RESULTS, glossary.CHECK_RESULTS)}
    for name, (page_words, printed) in pairs.items():
        assert set(page_words) == set(printed), name
        for code, message in page_words.items():
            assert zh[message] == printed[code], f"{name}.{code}: the page says {zh[message]}, the PDF {printed[code]}"
    printed_tables = {"PAYMENT": glossary.PAYMENT_METHODS, "STATUS": glossary.BILL_STATUSES,
                      "KIND": glossary.LINE_KINDS, "DECISION": glossary.DECISIONS,
                      "COMPONENT": glossary.COMPONENTS, "CAUSE": glossary.CAUSES}
    for table, chinese in printed_tables.items():
        for code, text in getattr(bill_pdf, table).items():
            assert text.split(" ")[0] == chinese[code], (table, code, text)
    assert {code: names[0] for code, names in checklists.KIND_NAMES.items()} == glossary.VISIT_KINDS
    assert {code: names[0] for code, names in checklists.RESULT_NAMES.items()} == glossary.CHECK_RESULTS
    assert zh[words.DECISIONS["rejected"]] == "不属于保修范围"


# ---- Chinese punctuation in Chinese text ---------------------------------------------------------------

ASCII_PUNCTUATION = re.compile(rf"(?:[{CJK}]\s*[,:;()?!])|(?:[,:;()?!]\s*[{CJK}])")
NOT_WORDS = re.compile(r"%\(\w+\)s|%%|https?://\S+|\b[\w.-]*\d[\w.:/-]*\b|`[^`]*`")


def ascii_punctuation(text: str) -> list[str]:
    """ASCII , : ; ( ) ? ! next to a Chinese character; placeholders, numbers, codes and addresses aside."""
    plain = NOT_WORDS.sub("X", text)
    return ASCII_PUNCTUATION.findall(plain)


@pytest.mark.parametrize(("text", "flagged"), [
    ("请检查：字段", False), ("请检查: 字段", True), ("增值税（%(rate)s）", False), ("增值税(%(rate)s)", True),
    ("下班时间 18:00", False), ("见 https://a.example/x?y=1", False), ("额定电流（A）", False), ("确定吗?", True),
    ("第 %(n)s 行 %(field)s", False), ("报修人,电话", True),
])
def test_the_punctuation_check_tells_ascii_from_chinese(text, flagged):
    assert bool(ascii_punctuation(text)) is flagged


def test_chinese_text_has_chinese_punctuation(zh):
    found = {english: chinese for english, chinese in zh.items() if ascii_punctuation(chinese)}
    assert not found, f"use ，。：；（）？！ in these: {found}"
    for table in (glossary.COMPONENTS, glossary.CAUSES, glossary.DECISIONS, glossary.BILL_STATUSES,
                  glossary.LINE_KINDS, glossary.PAYMENT_METHODS, glossary.VISIT_KINDS, glossary.CHECK_RESULTS):
        assert not [text for text in table.values() if ascii_punctuation(text)]


@pytest.mark.parametrize("catalog", sorted((Path(gateway.__file__).parent / "web" / "locale").rglob("*.po*")),
                         ids=lambda path: path.parent.parent.name if path.suffix == ".po" else path.name)
def test_no_message_is_in_a_catalog_twice(catalog):
    """A merge can leave one msgid twice, each with its own words: the one a reader sees is then chance."""
    text = catalog.read_text(encoding="utf-8")
    keys = []
    for entry in re.split(r"\n\s*\n", text):
        context = re.search(r'^msgctxt (".*"(?:\n".*")*)', entry, re.M)
        msgid = re.search(r'^msgid (".*"(?:\n".*")*)', entry, re.M)  # a long one continues on the next lines
        if msgid and msgid.group(1) != '""':
            keys.append((context.group(1) if context else None, msgid.group(1)))
    assert sorted(key for key, count in collections.Counter(keys).items() if count > 1) == []


def test_a_label_and_its_value_are_joined_by_the_readers_colon():
    """`{{ _("Label") }}: value` shows an English colon in Chinese text: templates write `{{ t.colon }}`."""
    templates = Path(__file__).resolve().parents[2] / "gateway" / "web" / "templates"
    english_colon = re.compile(r'_\("[^"]*"\) \}\}:')
    found = [f"{path.relative_to(templates)}: {line.strip()[:80]}" for path in sorted(templates.rglob("*.html"))
             for line in path.read_text().splitlines() if english_colon.search(line)]
    assert found == []
