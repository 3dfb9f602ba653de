"""Write to the audit log. Callers own the transaction."""
from typing import Any

from core.extensions import db
from core.models import AuditEntry


def record(actor, action: str, target_type: str, target_id, summary: str = "",
           details: dict[str, Any] | None = None, *, now=None) -> AuditEntry:
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        summary=summary,
        details=details or {},
    )
    if now is not None:
        entry.at = now
    db.session.add(entry)
    return entry
