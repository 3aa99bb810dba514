"""Who may do what: roles, permissions and the acting user every service call takes.

Roles are enforced here, in the service layer; the app only hides what a role cannot use.
A partner liaison never sees unredacted personal data: the services hand that role the
tier-redacted view that an export would carry (``investigations.redaction``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ROLES", "PERMISSIONS", "User", "PermissionDenied", "require", "can", "sees_redacted"]

INVESTIGATOR, IPR_OFFICER, SUPERVISOR = "investigator", "ipr_officer", "supervisor"
PARTNER_LIAISON, ADMIN = "partner_liaison", "admin"
ROLES = (INVESTIGATOR, IPR_OFFICER, SUPERVISOR, PARTNER_LIAISON, ADMIN)

_CASE_STAFF = {INVESTIGATOR, IPR_OFFICER, SUPERVISOR}

# permission -> roles holding it
PERMISSIONS: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "case.read": _CASE_STAFF,                       # full, unredacted view
    "case.read_redacted": _CASE_STAFF | {PARTNER_LIAISON},
    "case.write": _CASE_STAFF,                      # create, members, notes, status, assignee
    "case.ipr": {IPR_OFFICER, SUPERVISOR},          # the IPR seizure record
    "evidence.read": _CASE_STAFF,
    "evidence.write": _CASE_STAFF,
    "alert.manage": {INVESTIGATOR, IPR_OFFICER, SUPERVISOR, ADMIN},
    "alert.run": {INVESTIGATOR, IPR_OFFICER, SUPERVISOR, ADMIN},
    "export.request": _CASE_STAFF,
    "export.approve": {SUPERVISOR},
    "export.write": _CASE_STAFF | {PARTNER_LIAISON},  # only once approved
    "export.read": _CASE_STAFF | {PARTNER_LIAISON},
    "bundle.import": {INVESTIGATOR, SUPERVISOR, PARTNER_LIAISON},
    "bundle.read": _CASE_STAFF | {PARTNER_LIAISON},
    "notice.write": {IPR_OFFICER, SUPERVISOR},
    "audit.read": {SUPERVISOR, ADMIN},
    "keys.manage": {ADMIN, SUPERVISOR},
    "keys.read": set(ROLES),
    "users.manage": {ADMIN},
}.items()}


@dataclass(frozen=True)
class User:
    """The acting user: a login name and its roles (from the local user table or an OIDC
    token's claims)."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    display_name: str = ""
    administration: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown role(s) {sorted(unknown)}; known: {', '.join(ROLES)}")
        object.__setattr__(self, "roles", frozenset(self.roles))


class PermissionDenied(PermissionError):
    """The acting user's roles do not allow this call."""


def can(actor: User, permission: str) -> bool:
    """Whether ``actor`` holds ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return isinstance(actor, User) and bool(actor.roles & PERMISSIONS[permission])


def require(actor: User, permission: str) -> None:
    """Raise :class:`PermissionDenied` naming the roles that may, unless ``actor`` may."""
    if not isinstance(actor, User):
        raise PermissionDenied("every service call needs the acting user (a roles.User)")
    if not can(actor, permission):
        allowed = ", ".join(sorted(PERMISSIONS[permission]))
        raise PermissionDenied(f"{actor.username} ({', '.join(sorted(actor.roles)) or 'no role'})"
                               f" may not {permission}; roles that may: {allowed}")


def sees_redacted(actor: User) -> bool:
    """True when ``actor`` may read cases only in their redacted, shareable form."""
    return not can(actor, "case.read")
