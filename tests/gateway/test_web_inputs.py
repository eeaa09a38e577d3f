"""gateway.web.inputs: what the station's, the field steps' and the planned visits' forms read alike."""

from types import SimpleNamespace

from gateway.web import inputs
from shared.contracts import common


def _page(numbers: list[str], qtys: list[str]):
    return SimpleNamespace(form={"part_number": numbers, "part_qty": qtys})


def test_a_day_is_a_calendar_date_as_yyyy_mm_dd():
    assert inputs.is_day("2026-11-20")
    assert not inputs.is_day("2026-02-30")
    assert not inputs.is_day("20.11.2026")
    assert not inputs.is_day("")


def test_part_lines_leave_blank_rows_out_and_cut_a_long_part_number():
    long = "P" * (common.PART_NUMBER_MAX_LENGTH + 5)
    lines = inputs.part_lines(_page([" FAN-72 ", "", long], ["2", "", "1"]))
    assert lines == [{"part_number": "FAN-72", "qty": 2},
                     {"part_number": "P" * common.PART_NUMBER_MAX_LENGTH, "qty": 1}]
    assert inputs.part_lines(_page([], [])) == []


def test_part_lines_refuse_a_row_without_its_part_or_with_a_quantity_out_of_bounds():
    assert inputs.part_lines(_page([""], ["1"])) is None
    assert inputs.part_lines(_page(["FAN-72"], ["zero"])) is None
    assert inputs.part_lines(_page(["FAN-72"], [str(common.QTY_MIN - 1)])) is None
    assert inputs.part_lines(_page(["FAN-72"], [str(common.QTY_MAX + 1)])) is None
