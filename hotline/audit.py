"""Writing the hotline's audit: agent, action, outcome and ids, nothing else.

Entries of a change are written in the change's transaction where there is
one (a refused change writes its own "refused" entry afterwards).
"""

from typing import Any

from hotline.models import AuditEntry

Action = AuditEntry.Action


def record(
    *,
    agent: Any,
    action: str,
    household_id: int | None = None,
    obj: Any = None,
    refused: bool = False,
    results: int | None = None,
    ref: str | None = None,
) -> AuditEntry:
    """``obj`` is a saved row (named "model:id"), or ``ref`` names it so."""
    object_ref = ref or (f"{obj._meta.model_name}:{obj.pk}" if obj is not None else "")
    return AuditEntry.objects.create(
        agent=agent if agent is not None and agent.pk else None,
        action=action,
        outcome=AuditEntry.Outcome.REFUSED if refused else AuditEntry.Outcome.DONE,
        household_ref=household_id,
        object_ref=object_ref,
        results=results,
    )
