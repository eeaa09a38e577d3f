"""The repair saga's states and transitions, in one place.

Billing a repair needs warranty (the claim) and inventory (reading and
consuming reservations), and no transaction spans three services. So a bill
is made in short local steps between remote calls, and the bill's one state
field says how far it got:

    (no bill) --Begin--> begun --Plan--> planned --Consume--> consuming --Issue--> issued
                           |                |  \\                  |  ^
                           |                |   `----Issue (no parts to consume)---'
                        refused          refused                refused: LeaveOff (and go on)
                           v                v
                         stopped <----------'        stopped --Reopen (a retry)--> begun

- begun: written, with the request and the rate card, holding its reservations;
  nothing asked of another service yet.
- planned: the claim is decided and every reservation was read and active;
  the contract is chosen. Nothing consumed: the bill may still stop. A bill
  with parts to consume is planned in memory only: its plan is recorded in
  the transaction that records its first consume (one transaction fewer per
  bill), so a bill taken up again as begun may have had a consume done: a
  retry lets a consumed reservation go on to the bill's own consume key
  (replayed if it was this bill's), and the recovery pass asks inventory.
- consuming: inventory issued parts for this bill. From here the bill can only
  be completed: a reservation inventory then refuses is left off the bill.
- issued: priced and numbered (then paid or void: the invoice's own life).
- stopped: refused for good (unknown unit or reservation, a reservation not
  active, warranty's 422) before anything was consumed; it holds nothing.
  A retry with the same key reopens it.

A failure that a retry may cure (a service down, slow, failing, or a step the
database could not record) or a request whose deadline is spent suspends the
bill where it is: the answer is 503/504, and a retry with the same key resumes
it from its state. When no retry comes, the recovery pass (recovery.py) takes
the bill up from the same state. `next_step` is pure; repairs.py runs the steps.

Void and reissue: a reservation consumed for a bill since voided is taken over,
still consumed, by the next bill of the same repair reference (at Begin), so
that bill has nothing of it to consume; a Stop gives it back to the void bill.
"""

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    BEGUN = "begun"
    PLANNED = "planned"
    CONSUMING = "consuming"
    STOPPED = "stopped"
    ISSUED = "issued"
    PAID = "paid"
    VOID = "void"


# States in which the bill is an invoice: the saga is over.
INVOICE_STATES = (State.ISSUED, State.PAID, State.VOID)
# States of a bill still being made: what a client sees of it is a 503/504 or a 409 in flight.
OPEN_STATES = (State.BEGUN, State.PLANNED, State.CONSUMING)


class Outcome(StrEnum):
    """How the last remote step (Plan or Consume) ended."""

    NONE = "none"  # no remote step ran yet in this attempt, or the last one succeeded
    REFUSED = "refused"  # a definitive refusal: no retry of the same request changes it
    FAILED = "failed"  # the service was down, too slow or failing: a retry may succeed


@dataclass(frozen=True, slots=True)
class Facts:
    # Reservations on the bill that inventory has not issued yet, in the bill's order.
    to_consume: tuple[int, ...] = ()
    outcome: Outcome = Outcome.NONE
    # The reservation inventory refused, when a Consume was refused.
    refused_reservation: int | None = None
    # The request's deadline is (about to be) spent: start nothing more.
    out_of_time: bool = False


@dataclass(frozen=True, slots=True)
class Begin:
    """Find the bill of this key, or write it (request, rate card) and hold its reservations."""


@dataclass(frozen=True, slots=True)
class Reopen:
    """A retry of a stopped bill: begun again, holding its reservations again."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Read the reservations (each must be active), decide the claim, choose the contract."""


@dataclass(frozen=True, slots=True)
class Consume:
    """Have inventory issue one reservation's parts, with the bill's own key for it."""

    reservation_id: int


@dataclass(frozen=True, slots=True)
class LeaveOff:
    """Inventory refused a reservation after parts were issued for this bill: bill without it."""

    reservation_id: int


@dataclass(frozen=True, slots=True)
class Issue:
    """Price what inventory issued and take the next invoice number, in one transaction."""


@dataclass(frozen=True, slots=True)
class Stop:
    """Refused before anything was consumed: let the reservations go, answer the refusal."""


@dataclass(frozen=True, slots=True)
class Suspend:
    """Leave the bill as it stands and answer 503/504: a retry with the same key resumes it."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The bill is an invoice: answer it."""


Step = Begin | Reopen | Plan | Consume | LeaveOff | Issue | Stop | Suspend | Answer


def next_step(state: State | None, facts: Facts) -> Step:
    """What the saga does next for a bill in `state` (None: no bill yet), given `facts`."""
    if state in INVOICE_STATES:
        return Answer()
    if facts.outcome is Outcome.FAILED or facts.out_of_time:
        return Suspend()
    if state is None or state is State.STOPPED:
        if facts.outcome is not Outcome.NONE:
            raise ValueError(f"no remote step runs for a bill in state {state}")
        return Begin() if state is None else Reopen()
    if facts.outcome is Outcome.REFUSED:
        if state is State.CONSUMING:
            if facts.refused_reservation is None:
                raise ValueError("a refusal while consuming names its reservation")
            return LeaveOff(facts.refused_reservation)
        return Stop()
    if state is State.BEGUN:
        return Plan()
    if facts.to_consume:
        return Consume(facts.to_consume[0])
    return Issue()
