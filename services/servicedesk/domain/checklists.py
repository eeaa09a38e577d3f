"""The checklists of planned visits, item for item from the service plan (part 2).

- `pre_season` (使用季节开机前的检查): §9 1.1.1-1.1.8 for the unit itself and
  §9 2.1.1-2.1.9 for its water system (a unit without one marks those
  `not_applicable`). 1.1.6 and 1.1.8 name several readings: each is an item of
  its own, coded after its clause (`s9_1_1_6_earth`, ...).
- `pre_shutdown` (使用季节关机前的检查): §9 1.2.1-1.2.3.
- `maintenance` (保养, §6.2 1-6) and `inspection` (巡检: "a detailed record",
  the same six points): §6.2's points, each reading an item of its own.

Codes are stable: records, reports and the web page refer to them; the labels
may be reworded. A measured item has a unit and, where the plan, a standard
or the unit's model gives one, a normal range; a value outside it is flagged
(never refused: the technician saw what they saw).

Ranges, and where they come from:
- supply and running voltage: the model's rated supply ±10 % (380 V three-phase:
  342-418 V; 220 V single-phase: 198-242 V; GB/T 12325's tolerance for supply
  voltage). Unknown supply: no range.
- running current: up to the model's rated current. Unknown: no range.
- earth resistance at most 4 Ω (GB 50169, protective earthing of low-voltage
  equipment); insulation resistance at least 2 MΩ (a 500 V megger, the usual
  acceptance figure for a unit's live parts to its frame).
- running high and low pressures: a refrigerant's usual band when the unit
  runs in cooling at about its rated conditions (gauge pressure, MPa). These are
  rules of thumb, given only for cooling and only for the refrigerants below;
  in heating, or for another refrigerant, there is no range.
- static refrigerant pressure, outlet static pressure, water system pressure:
  they depend on the ambient temperature, the ductwork or the building, so no
  fixed range.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from shared.contracts import servicedesk as contract

RESULTS = contract.ITEM_RESULTS
KINDS = contract.VISIT_KINDS
MODES = contract.SEASONS
SUPPLIES = contract.SUPPLY_VOLTS
VOLTAGE_TOLERANCE = Decimal("0.10")


@dataclass(frozen=True, slots=True)
class Measure:
    unit: str
    min: Decimal | None = None
    max: Decimal | None = None

    def out_of_range(self, value: Decimal) -> bool:
        return (self.min is not None and value < self.min) or (self.max is not None and value > self.max)


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    zh: str
    en: str
    reading: str | None = None  # which measure (READINGS), if the item is a measurement


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """What the model's data sheet says, as far as it is known (None: not known)."""

    supply_volts: int | None = None
    refrigerant: str | None = None
    rated_current_a: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """An item of a visit's checklist: the item and its measure for this unit and season."""

    code: str
    zh: str
    en: str
    measure: Measure | None


# Unit, and ranges with no model in them.
READINGS: dict[str, Measure] = {
    "supply_voltage": Measure("V"),
    "running_voltage": Measure("V"),
    "running_current": Measure("A"),
    "static_pressure": Measure("MPa"),
    "high_pressure": Measure("MPa"),
    "low_pressure": Measure("MPa"),
    "earth_resistance": Measure("Ω", max=Decimal("4")),
    "insulation_resistance": Measure("MΩ", min=Decimal("2")),
    "outlet_static_pressure": Measure("Pa"),
    "water_pressure": Measure("MPa"),
}

# Running pressures in cooling at about rated conditions, gauge MPa: (low min, low max, high min, high max).
COOLING_PRESSURES: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {
    "R22": (Decimal("0.40"), Decimal("0.60"), Decimal("1.50"), Decimal("2.00")),
    "R407C": (Decimal("0.40"), Decimal("0.60"), Decimal("1.60"), Decimal("2.20")),
    "R410A": (Decimal("0.80"), Decimal("1.10"), Decimal("2.60"), Decimal("3.20")),
    "R32": (Decimal("0.80"), Decimal("1.10"), Decimal("2.70"), Decimal("3.30")),
}
REFRIGERANTS = tuple(COOLING_PRESSURES)

PRE_SEASON_UNIT = (
    Item("s9_1_1_1", "检查外接供电是否正常（供电电压）", "External power supply (supply voltage)", "supply_voltage"),
    Item("s9_1_1_2", "检查制冷剂静态压力", "Static refrigerant pressure", "static_pressure"),
    Item("s9_1_1_3", "清洁机组翅片式换热器", "Finned heat exchanger cleaned"),
    Item("s9_1_1_4", "检查压缩机油温加热", "Compressor oil heating"),
    Item("s9_1_1_5", "检查调整微电脑控制的设定值", "Controller set points checked and adjusted"),
    Item("s9_1_1_6", "机组电气安全检查", "Electrical safety of the unit"),
    Item("s9_1_1_6_earth", "接地电阻", "Earth resistance", "earth_resistance"),
    Item("s9_1_1_6_insulation", "绝缘电阻", "Insulation resistance", "insulation_resistance"),
    Item("s9_1_1_7", "检查测试机组故障保护功能", "Protection functions tested"),
    Item("s9_1_1_8", "启动机组，检查整机运行状况，记录机组运行参数", "Unit started and run, its running checked"),
    Item("s9_1_1_8_voltage", "运行电压", "Running voltage", "running_voltage"),
    Item("s9_1_1_8_current", "运行电流", "Running current", "running_current"),
    Item("s9_1_1_8_high_pressure", "高压压力", "High-side pressure", "high_pressure"),
    Item("s9_1_1_8_low_pressure", "低压压力", "Low-side pressure", "low_pressure"),
)
PRE_SEASON_WATER = (
    Item("s9_2_1_1", "检查系统压力，必要时补水排空", "Water system pressure (topped up and bled if needed)",
         "water_pressure"),
    Item("s9_2_1_2", "检查温度计，对压力表是否正常工作按需更换", "Thermometers and pressure gauges working"),
    Item("s9_2_1_3", "检查水清洁度，必要时更换新水", "Water cleanliness (water renewed if needed)"),
    Item("s9_2_1_4", "检查清洁水过滤网", "Water strainer checked and cleaned"),
    Item("s9_2_1_5", "检查水系统有无泄漏", "Water system leaks"),
    Item("s9_2_1_6", "检查止回阀、截止阀是否正常工作", "Check and stop valves working"),
    Item("s9_2_1_7", "检查管路保温状况", "Pipe insulation"),
    Item("s9_2_1_8", "检查水泵运行状态", "Water pump running"),
    Item("s9_2_1_9", "检查水流开关状态", "Flow switch"),
)
PRE_SHUTDOWN = (
    Item("s9_1_2_1", "检查各主要零部件的状况", "Main components"),
    Item("s9_1_2_2", "检查机组管路及其配件的状况", "Piping and fittings"),
    Item("s9_1_2_3", "根据故障记录分析机组问题，列出需要更换或修理的零部件",
         "Fault analysis from the fault log; parts to replace or repair listed"),
)
MAINTENANCE = (
    Item("m6_2_filter", "清洗室内机回风过滤网", "Indoor unit's return-air filter cleaned"),
    Item("m6_2_supply_voltage", "检测供电电压", "Supply voltage", "supply_voltage"),
    Item("m6_2_terminals", "检查线路连接点并紧固", "Wiring terminals checked and tightened"),
    Item("m6_2_running_voltage", "检测机器运行电压", "Running voltage", "running_voltage"),
    Item("m6_2_running_current", "检测机器运行电流（在额定范围内）", "Running current (within rating)",
         "running_current"),
    Item("m6_2_compressor", "检查压缩机运行工况", "Compressor running condition"),
    Item("m6_2_high_pressure", "检测氟路高压压力", "Refrigerant high-side pressure", "high_pressure"),
    Item("m6_2_low_pressure", "检测氟路低压压力", "Refrigerant low-side pressure", "low_pressure"),
    Item("m6_2_indoor_fan", "检查室内机风机运行工况", "Indoor unit fan running"),
    Item("m6_2_tower_fan", "检查冷却塔风机运行工况", "Cooling-tower fan running"),
    Item("m6_2_static_pressure", "检查空调机组出口静压是否正常", "Unit outlet static pressure",
         "outlet_static_pressure"),
    Item("m6_2_condensate", "检查冷凝水水管排水是否顺畅", "Condensate drains freely"),
    Item("m6_2_noise", "检查机器运行有无异常声音", "No abnormal noise when running"),
)

CHECKLISTS: dict[str, tuple[Item, ...]] = {
    "pre_season": PRE_SEASON_UNIT + PRE_SEASON_WATER,
    "pre_shutdown": PRE_SHUTDOWN,
    "maintenance": MAINTENANCE,
    "inspection": MAINTENANCE,
}

KIND_NAMES = {
    "pre_season": ("季前检查（开机前）", "Pre-season check"),
    "pre_shutdown": ("季末检查（关机前）", "Pre-shutdown check"),
    "maintenance": ("保养", "Maintenance"),
    "inspection": ("巡检", "Inspection"),
}
RESULT_NAMES = {
    "ok": ("正常", "OK"),
    "fixed": ("修复", "Fixed"),  # the Chinese as shared/glossary.py CHECK_RESULTS, the pages' word
    "needs_repair": ("需维修", "Needs repair"),
    "not_applicable": ("不适用", "N/A"),
}


def _rated_supply(volts: int) -> tuple[Decimal, Decimal]:
    rated = Decimal(volts)
    return rated * (1 - VOLTAGE_TOLERANCE), rated * (1 + VOLTAGE_TOLERANCE)


def measure(reading: str, spec: UnitSpec, mode: str | None) -> Measure:
    """The measure of a reading for a unit of this model, in this season's mode (None: unknown)."""
    base = READINGS[reading]
    if reading in ("supply_voltage", "running_voltage") and spec.supply_volts in SUPPLIES:
        low, high = _rated_supply(spec.supply_volts)
        return Measure(base.unit, low, high)
    if reading == "running_current" and spec.rated_current_a is not None:
        return Measure(base.unit, None, spec.rated_current_a)
    if reading in ("high_pressure", "low_pressure") and mode == "cooling" and spec.refrigerant in COOLING_PRESSURES:
        low_min, low_max, high_min, high_max = COOLING_PRESSURES[spec.refrigerant]
        return Measure(base.unit, *((high_min, high_max) if reading == "high_pressure" else (low_min, low_max)))
    return base


def checklist(kind: str, spec: UnitSpec = UnitSpec(), mode: str | None = None) -> list[Entry]:
    """A visit's checklist, with the measures for this unit's model and the visit's season."""
    return [Entry(item.code, item.zh, item.en, measure(item.reading, spec, mode) if item.reading else None)
            for item in CHECKLISTS[kind]]


@dataclass(frozen=True, slots=True)
class ItemResult:
    code: str
    result: str
    value: Decimal | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class Checked:
    """What a record says once checked against the checklist."""

    problems: list[tuple[str, str]]  # (field, message): bad input, a 422
    missing: list[str]  # codes without a result: checklist_incomplete
    out_of_range: list[str]
    needs_repair: list[str]


def check(entries: Sequence[Entry], results: Iterable[ItemResult]) -> Checked:
    """Check a record's items: every item once, known codes and results, values only where measured."""
    by_code = {e.code: e for e in entries}
    seen: dict[str, ItemResult] = {}
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(results):
        field = f"items[{i}]"
        entry = by_code.get(item.code)
        if entry is None:
            problems.append((f"{field}.code", f"{item.code!r} is not an item of this visit's checklist"))
            continue
        if item.code in seen:
            problems.append((f"{field}.code", f"{item.code} is given twice"))
            continue
        if item.result not in RESULTS:
            problems.append((f"{field}.result", f"one of {', '.join(RESULTS)}"))
            continue
        if item.value is not None and entry.measure is None:
            problems.append((f"{field}.value", f"{item.code} is not a measurement"))
            continue
        seen[item.code] = item
    out_of_range = [e.code for e in entries if e.code in seen and e.measure is not None
                    and seen[e.code].value is not None and e.measure.out_of_range(seen[e.code].value)]
    return Checked(problems=problems, missing=[e.code for e in entries if e.code not in seen],
                   out_of_range=out_of_range,
                   needs_repair=[e.code for e in entries if e.code in seen and seen[e.code].result == "needs_repair"])
