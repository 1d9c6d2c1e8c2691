"""Review and referral as state machines: what a reviewer may decide, which status a referred item may move to,
and how the review queue is ordered. Pure rules; the store keeps the history and `services/` applies them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from crossingwatch.core.errors import CrossingWatchError

DECISIONS: tuple[str, ...] = ("confirm_advert", "confirm_seeking", "not_smuggling", "need_info", "escalate")
# The case state each decision leaves behind.
DECISION_STATE = {"confirm_advert": "confirmed", "confirm_seeking": "confirmed", "not_smuggling": "dismissed",
                  "need_info": "need_info", "escalate": "escalated"}
CASE_STATES: tuple[str, ...] = ("open", "confirmed", "dismissed", "need_info", "escalated")
# A decided case can be decided again (a second look, an escalation answered); a dismissed one can be reopened.
OPEN_STATES = {"open", "need_info", "escalated"}

ITEM_STATUSES: tuple[str, ...] = ("draft", "sent", "acknowledged", "removed", "restricted", "rejected", "no_response",
                                  "reappeared")
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"sent"}),
    "sent": frozenset({"acknowledged", "removed", "restricted", "rejected", "no_response"}),
    "acknowledged": frozenset({"removed", "restricted", "rejected", "no_response"}),
    "no_response": frozenset({"acknowledged", "removed", "restricted", "rejected", "sent"}),  # late answer, reminder
    "restricted": frozenset({"removed", "reappeared"}),
    "removed": frozenset({"reappeared"}),
    "rejected": frozenset({"sent"}),  # notified again, with more substantiation
    "reappeared": frozenset({"sent", "removed"}),
}
FINAL_TAKEDOWN = frozenset({"removed", "restricted"})
# Tactics investigators name as most harmful weigh most in the queue.
HARMFUL = {"child_free": 0.25, "false_documents": 0.2, "safe_passage_claim": 0.1, "group_discount": 0.1,
           "payment_guarantee": 0.05}


class WorkflowError(CrossingWatchError):
    """A decision or status change the rules do not allow; the message says what is allowed."""


class InvalidTransition(WorkflowError):
    pass


class EditConflict(WorkflowError):
    """Someone else changed the record since it was read (optimistic locking): reload and decide again."""


def check_decision(decision: str, tactics: Iterable[str] = ()) -> None:
    if decision not in DECISIONS:
        raise WorkflowError(f"decision {decision!r}: use one of {', '.join(DECISIONS)}")
    if decision == "not_smuggling" and list(tactics):
        raise WorkflowError("a 'not_smuggling' decision confirms no tactics")


def check_transition(old: str, new: str) -> None:
    if new not in ITEM_STATUSES:
        raise InvalidTransition(f"status {new!r}: use one of {', '.join(ITEM_STATUSES)}")
    if new not in TRANSITIONS.get(old, frozenset()):
        allowed = ", ".join(sorted(TRANSITIONS.get(old, frozenset()))) or "nothing"
        raise InvalidTransition(f"an item that is {old!r} cannot become {new!r}; from {old!r} it can become {allowed}")


def priority(score: float, tactics: Iterable[str], *, reach: int = 0, age_hours: float = 0.0,
             repeat_offender: bool = False, bank_match: bool = False) -> float:
    """Higher first: confidence, harmful tactics, reach (log-scaled), a known offender or a re-upload; fresh posts a
    little ahead of old ones (an advert is most dangerous before its departure date)."""
    p = score + sum(HARMFUL.get(t, 0.0) for t in set(tactics))
    p += min(math.log10(1 + max(reach, 0)) / 10, 0.5)
    p += 0.3 if repeat_offender else 0.0
    p += 0.4 if bank_match else 0.0
    p -= min(max(age_hours, 0.0) / (24 * 30), 0.3)
    return round(p, 4)
