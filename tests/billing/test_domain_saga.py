"""Every transition of the repair saga, as a table; and what must hold whatever the facts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.saga import (
    INVOICE_STATES,
    Answer,
    Begin,
    Consume,
    Facts,
    Issue,
    LeaveOff,
    Outcome,
    Plan,
    Reopen,
    State,
    Stop,
    Suspend,
    next_step,
)

NONE, REFUSED, FAILED = Outcome.NONE, Outcome.REFUSED, Outcome.FAILED

TRANSITIONS = [
    # (state, facts, step)
    pytest.param(None, Facts(), Begin(), id="no-bill-yet-begins"),
    pytest.param(None, Facts(out_of_time=True), Suspend(), id="no-time-left-writes-nothing"),
    pytest.param(State.STOPPED, Facts(), Reopen(), id="a-retry-reopens-a-stopped-bill"),
    pytest.param(State.STOPPED, Facts(out_of_time=True), Suspend(), id="stopped-and-no-time-left"),
    pytest.param(State.BEGUN, Facts(to_consume=(7,)), Plan(), id="begun-plans-first"),
    pytest.param(State.BEGUN, Facts(), Plan(), id="begun-without-parts-still-claims"),
    pytest.param(State.BEGUN, Facts(to_consume=(7,), outcome=REFUSED), Stop(), id="plan-refused-stops"),
    pytest.param(State.BEGUN, Facts(to_consume=(7,), outcome=FAILED), Suspend(), id="plan-failed-suspends"),
    pytest.param(State.BEGUN, Facts(to_consume=(7,), out_of_time=True), Suspend(), id="begun-out-of-time"),
    pytest.param(State.PLANNED, Facts(to_consume=(7, 8)), Consume(7), id="planned-consumes-the-first"),
    pytest.param(State.PLANNED, Facts(), Issue(), id="planned-without-parts-issues"),
    pytest.param(State.PLANNED, Facts(to_consume=(7, 8), outcome=REFUSED, refused_reservation=7), Stop(),
                 id="first-consume-refused-stops"),
    pytest.param(State.PLANNED, Facts(to_consume=(7,), outcome=FAILED), Suspend(), id="first-consume-failed"),
    pytest.param(State.PLANNED, Facts(to_consume=(7,), out_of_time=True), Suspend(), id="planned-out-of-time"),
    pytest.param(State.PLANNED, Facts(out_of_time=True), Suspend(), id="no-time-left-to-issue"),
    pytest.param(State.CONSUMING, Facts(to_consume=(8,)), Consume(8), id="consuming-consumes-the-next"),
    pytest.param(State.CONSUMING, Facts(), Issue(), id="all-consumed-issues"),
    pytest.param(State.CONSUMING, Facts(to_consume=(8, 9), outcome=REFUSED, refused_reservation=8),
                 LeaveOff(8), id="consume-refused-after-parts-were-issued-leaves-it-off"),
    pytest.param(State.CONSUMING, Facts(to_consume=(8,), outcome=FAILED), Suspend(),
                 id="consume-failed-after-parts-were-issued-suspends"),
    pytest.param(State.CONSUMING, Facts(to_consume=(8,), out_of_time=True), Suspend(), id="consuming-out-of-time"),
    pytest.param(State.CONSUMING, Facts(out_of_time=True), Suspend(), id="all-consumed-but-no-time-to-issue"),
    pytest.param(State.ISSUED, Facts(), Answer(), id="issued-answers"),
    pytest.param(State.ISSUED, Facts(out_of_time=True), Answer(), id="issued-answers-even-late"),
    pytest.param(State.PAID, Facts(), Answer(), id="paid-answers-its-state"),
    pytest.param(State.VOID, Facts(), Answer(), id="void-answers-its-state"),
]


@pytest.mark.parametrize(("state", "facts", "step"), TRANSITIONS)
def test_next_step(state, facts, step):
    assert next_step(state, facts) == step


def test_every_state_has_a_transition_in_the_table():
    assert {p.values[0] for p in TRANSITIONS} == {None, *State}


@pytest.mark.parametrize("state", [None, State.STOPPED])
@pytest.mark.parametrize("outcome", [REFUSED, FAILED])
def test_no_remote_outcome_can_reach_a_bill_that_is_not_open(state, outcome):
    # Only Plan and Consume are remote, and they run on open bills; a failure is suspended first.
    if outcome is FAILED:
        assert next_step(state, Facts(outcome=outcome)) == Suspend()
    else:
        with pytest.raises(ValueError):
            next_step(state, Facts(outcome=outcome))


def test_a_refusal_while_consuming_must_name_its_reservation():
    with pytest.raises(ValueError):
        next_step(State.CONSUMING, Facts(to_consume=(8,), outcome=REFUSED))


states = st.sampled_from([None, *State])
facts = st.builds(
    Facts,
    to_consume=st.lists(st.integers(1, 10**6), unique=True, max_size=5).map(tuple),
    outcome=st.sampled_from(list(Outcome)),
    refused_reservation=st.integers(1, 10**6),
    out_of_time=st.booleans(),
)


@given(states, facts)
def test_invariants_whatever_the_facts(state, fact):
    try:
        step = next_step(state, fact)
    except ValueError:
        assert state in (None, State.STOPPED) and fact.outcome is REFUSED and not fact.out_of_time
        return
    if state in INVOICE_STATES:
        assert step == Answer()  # an invoice is never worked on again
        return
    if fact.out_of_time or fact.outcome is FAILED:
        assert step == Suspend()  # nothing is started once the deadline is spent
    if state is State.CONSUMING:
        # Parts were issued: the bill can only be completed, never stopped.
        assert not isinstance(step, Stop | Plan | Begin | Reopen)
    if isinstance(step, Consume):
        assert state in (State.PLANNED, State.CONSUMING) and step.reservation_id == fact.to_consume[0]
    if isinstance(step, Issue):
        assert state in (State.PLANNED, State.CONSUMING) and fact.to_consume == ()
    if isinstance(step, Stop):
        assert state in (State.BEGUN, State.PLANNED)
