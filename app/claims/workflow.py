"""A claim's review workflow: the status changes that exist, from where, and what each needs.

A status is never edited in place (a merge patch that sets it is refused): each change is a
transition with its own route, its own revision operation and reason (who and why), and its
own If-Match. This table is the one statement of the rules; the routes and their OpenAPI
descriptions, `GET /v1/claims/transitions` and the 409 of a refused transition read it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from app.models import ClaimStatus, Operation


class TransitionName(StrEnum):
    """The verb of a transition, which is also its path: `POST /v1/claims/{id}/<verb>`."""

    publish = "publish"
    dispute = "dispute"
    retract = "retract"
    reinstate = "reinstate"


@dataclass(frozen=True)
class Transition:
    name: TransitionName
    operation: Operation
    allowed_from: tuple[ClaimStatus, ...]
    status_after: ClaimStatus
    reason_required: bool

    def describe(self) -> str:
        sources = one_of([f"`{status}`" for status in self.allowed_from])
        reason = "a reason is required" if self.reason_required else "a reason is optional"
        return (
            f"From {sources} to `{self.status_after}`; {reason}. Recorded as a "
            f"`{self.operation}` revision. Any other status answers 409."
        )


TRANSITIONS: dict[TransitionName, Transition] = {
    transition.name: transition
    for transition in (
        Transition(
            TransitionName.publish,
            Operation.published,
            (ClaimStatus.draft, ClaimStatus.disputed),
            ClaimStatus.published,
            reason_required=False,
        ),
        Transition(
            TransitionName.dispute,
            Operation.disputed,
            (ClaimStatus.published,),
            ClaimStatus.disputed,
            reason_required=True,
        ),
        Transition(
            TransitionName.retract,
            Operation.retracted,
            (ClaimStatus.draft, ClaimStatus.published, ClaimStatus.disputed),
            ClaimStatus.retracted,
            reason_required=True,
        ),
        Transition(
            TransitionName.reinstate,
            Operation.reinstated,
            (ClaimStatus.retracted,),
            ClaimStatus.published,
            reason_required=True,
        ),
    )
}


def one_of(words: Sequence[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return " or ".join(filter(None, [", ".join(words[:-1]), words[-1]])) if words else ""


def transitions_from(status: ClaimStatus) -> list[TransitionName]:
    """The transitions a claim of `status` can take, in the table's order."""
    return [name for name, transition in TRANSITIONS.items() if status in transition.allowed_from]
