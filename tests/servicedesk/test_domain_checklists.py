"""The checklists of planned visits: the plan's items, their measures and out-of-range detection."""

from decimal import Decimal

import pytest

from services.servicedesk.domain import checklists
from services.servicedesk.domain.checklists import ItemResult, Measure, UnitSpec


def codes(kind: str) -> list[str]:
    return [e.code for e in checklists.checklist(kind)]


@pytest.mark.parametrize(("kind", "expected"), [
    ("pre_season", ["s9_1_1_1", "s9_1_1_2", "s9_1_1_3", "s9_1_1_4", "s9_1_1_5", "s9_1_1_6", "s9_1_1_6_earth",
                    "s9_1_1_6_insulation", "s9_1_1_7", "s9_1_1_8", "s9_1_1_8_voltage", "s9_1_1_8_current",
                    "s9_1_1_8_high_pressure", "s9_1_1_8_low_pressure",
                    *(f"s9_2_1_{n}" for n in range(1, 10))]),
    ("pre_shutdown", ["s9_1_2_1", "s9_1_2_2", "s9_1_2_3"]),
    ("maintenance", ["m6_2_filter", "m6_2_supply_voltage", "m6_2_terminals", "m6_2_running_voltage",
                     "m6_2_running_current", "m6_2_compressor", "m6_2_high_pressure", "m6_2_low_pressure",
                     "m6_2_indoor_fan", "m6_2_tower_fan", "m6_2_static_pressure", "m6_2_condensate",
                     "m6_2_noise"]),
])
def test_each_kind_has_the_plans_items_in_order(kind, expected):
    assert codes(kind) == expected


def test_an_inspection_records_the_same_points_as_a_maintenance_visit():
    assert codes("inspection") == codes("maintenance")


def test_every_item_has_a_chinese_and_an_english_label_and_codes_are_unique():
    for kind in checklists.KINDS:
        entries = checklists.checklist(kind)
        assert len({e.code for e in entries}) == len(entries)
        for entry in entries:
            assert entry.zh and entry.en
            assert any("\u4e00" <= ch <= "\u9fff" for ch in entry.zh), entry.code
            assert entry.en.isascii(), entry.code


@pytest.mark.parametrize(("reading", "spec", "mode", "expected"), [
    ("supply_voltage", UnitSpec(supply_volts=380), None, Measure("V", Decimal("342"), Decimal("418"))),
    ("supply_voltage", UnitSpec(supply_volts=220), None, Measure("V", Decimal("198"), Decimal("242"))),
    ("supply_voltage", UnitSpec(), None, Measure("V")),
    ("running_voltage", UnitSpec(supply_volts=380), "heating", Measure("V", Decimal("342"), Decimal("418"))),
    ("running_current", UnitSpec(rated_current_a=Decimal("12.5")), None, Measure("A", None, Decimal("12.5"))),
    ("running_current", UnitSpec(), None, Measure("A")),
    ("high_pressure", UnitSpec(refrigerant="R410A"), "cooling", Measure("MPa", Decimal("2.60"), Decimal("3.20"))),
    ("low_pressure", UnitSpec(refrigerant="R22"), "cooling", Measure("MPa", Decimal("0.40"), Decimal("0.60"))),
    ("low_pressure", UnitSpec(refrigerant="R410A"), "heating", Measure("MPa")),
    ("high_pressure", UnitSpec(), "cooling", Measure("MPa")),
    ("high_pressure", UnitSpec(refrigerant="R600a"), "cooling", Measure("MPa")),
    ("earth_resistance", UnitSpec(), None, Measure("Ω", None, Decimal("4"))),
    ("insulation_resistance", UnitSpec(), None, Measure("MΩ", Decimal("2"), None)),
    ("static_pressure", UnitSpec(refrigerant="R410A"), "cooling", Measure("MPa")),
])
def test_measures_by_model_and_season(reading, spec, mode, expected):
    assert checklists.measure(reading, spec, mode) == expected


@pytest.mark.parametrize(("value", "flagged"), [
    ("341.9", True), ("342", False), ("380", False), ("418", False), ("418.1", True), ("220", True),
])
def test_a_three_phase_supply_is_flagged_outside_ten_percent(value, flagged):
    measure = checklists.measure("supply_voltage", UnitSpec(supply_volts=380), None)
    assert measure.out_of_range(Decimal(value)) is flagged


def test_a_measure_without_a_range_never_flags():
    assert not Measure("MPa").out_of_range(Decimal("99"))


def all_ok(entries, **changes) -> list[ItemResult]:
    return [changes.get(e.code, ItemResult(e.code, "ok")) for e in entries]


def test_a_complete_record_with_readings_in_and_out_of_range():
    entries = checklists.checklist("maintenance", UnitSpec(supply_volts=220, refrigerant="R32"), "cooling")
    checked = checklists.check(entries, all_ok(
        entries,
        m6_2_supply_voltage=ItemResult("m6_2_supply_voltage", "ok", Decimal("231")),
        m6_2_high_pressure=ItemResult("m6_2_high_pressure", "needs_repair", Decimal("3.6")),
        m6_2_low_pressure=ItemResult("m6_2_low_pressure", "ok", Decimal("0.5")),
        m6_2_condensate=ItemResult("m6_2_condensate", "needs_repair"),
    ))
    assert checked.problems == [] and checked.missing == []
    assert checked.out_of_range == ["m6_2_high_pressure", "m6_2_low_pressure"]
    assert checked.needs_repair == ["m6_2_high_pressure", "m6_2_condensate"]


def test_missing_items_are_listed_in_checklist_order():
    entries = checklists.checklist("pre_shutdown")
    checked = checklists.check(entries, [ItemResult("s9_1_2_2", "ok")])
    assert checked.missing == ["s9_1_2_1", "s9_1_2_3"]


@pytest.mark.parametrize(("items", "field"), [
    ([ItemResult("s9_9_9_9", "ok")], "items[0].code"),
    ([ItemResult("s9_1_2_1", "ok"), ItemResult("s9_1_2_1", "fixed")], "items[1].code"),
    ([ItemResult("s9_1_2_1", "broken")], "items[0].result"),
    ([ItemResult("s9_1_2_1", "ok", Decimal("1"))], "items[0].value"),
])
def test_bad_items_are_problems_named_by_field(items, field):
    checked = checklists.check(checklists.checklist("pre_shutdown"), items)
    assert [f for f, _ in checked.problems] == [field]
