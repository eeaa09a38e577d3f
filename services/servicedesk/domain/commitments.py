"""The service plan's promises as data: minutes on a clock per fault level and milestone."""

from dataclasses import dataclass

from shared.contracts import servicedesk as contract

CLOCKS = contract.CLOCKS
MILESTONES = ("dispatch", "on_site", "fixed")
LEVELS = contract.LEVELS


@dataclass(frozen=True, slots=True)
class Promise:
    minutes: int
    clock: str

    def to_json(self) -> dict:
        return {"minutes": self.minutes, "clock": self.clock}


@dataclass(frozen=True, slots=True)
class LevelPromises:
    level: int
    dispatch: Promise
    on_site: Promise
    fixed: Promise
    loaner: bool

    def milestone(self, name: str) -> Promise:
        return getattr(self, name)

    def to_json(self) -> dict:
        return {"level": self.level, "dispatch": self.dispatch.to_json(), "on_site": self.on_site.to_json(),
                "fixed": self.fixed.to_json(), "loaner": self.loaner}


@dataclass(frozen=True, slots=True)
class Commitments:
    levels: tuple[LevelPromises, ...]
    follow_up: Promise
    complaint_answer: Promise
    complaint_resolve: Promise

    def level(self, level: int) -> LevelPromises:
        return next(p for p in self.levels if p.level == level)

    def to_json(self) -> dict:
        return {
            "levels": [p.to_json() for p in self.levels],
            "follow_up": self.follow_up.to_json(),
            "complaint_answer": self.complaint_answer.to_json(),
            "complaint_resolve": self.complaint_resolve.to_json(),
        }

    @classmethod
    def from_json(cls, body: dict) -> "Commitments":
        def promise(value: dict) -> Promise:
            return Promise(minutes=int(value["minutes"]), clock=str(value["clock"]))

        return cls(
            levels=tuple(
                LevelPromises(level=int(p["level"]), dispatch=promise(p["dispatch"]),
                              on_site=promise(p["on_site"]), fixed=promise(p["fixed"]), loaner=bool(p["loaner"]))
                for p in sorted(body["levels"], key=lambda p: p["level"])
            ),
            follow_up=promise(body["follow_up"]),
            complaint_answer=promise(body["complaint_answer"]),
            complaint_resolve=promise(body["complaint_resolve"]),
        )


def validate(commitments: Commitments) -> list[tuple[str, str]]:
    """Problems as (field, message); empty when the commitments can be put in force."""
    problems = []
    if sorted(p.level for p in commitments.levels) != list(LEVELS):
        problems.append(("levels", "give each fault level 1 to 4 exactly once"))
    for index, promises in enumerate(commitments.levels):
        minutes = [promises.milestone(name).minutes for name in MILESTONES]
        if minutes != sorted(minutes):
            problems.append((f"levels.{index}", "dispatch, on site and fixed must not come in reverse order"))
    return problems


def _level(level: int, dispatch: int, on_site: int, fixed: int, clock: str, loaner: bool) -> LevelPromises:
    return LevelPromises(level, Promise(dispatch, clock), Promise(on_site, clock), Promise(fixed, clock), loaner)


# domain.md section 6: the HVAC contract's 10 minutes and 2 hours, 48 hours or a loaner.
DEFAULT = Commitments(
    levels=(
        _level(1, 10, 120, 2880, "round_the_clock", True),
        _level(2, 10, 120, 2880, "round_the_clock", True),
        _level(3, 30, 480, 1440, "business", False),
        _level(4, 60, 960, 2400, "business", False),
    ),
    follow_up=Promise(1020, "business"),
    complaint_answer=Promise(240, "business"),
    complaint_resolve=Promise(1440, "business"),
)
