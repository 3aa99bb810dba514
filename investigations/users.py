"""Application users of the embedded setup: argon2id password hashes in the store.

A deployment with an identity provider uses :class:`investigations.settings.AuthSettings`
(OIDC) instead and builds the :class:`~investigations.roles.User` from the token's claims.
"""

from __future__ import annotations

import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from investigations.audit import record_event
from investigations.context import CaseWorkspace, NotFound, now_iso, put_node
from investigations.roles import ROLES, User, require

__all__ = ["create_user", "authenticate", "list_users", "bootstrap_admin", "set_password",
           "AuthenticationFailed"]



def _hasher() -> PasswordHasher:
    """argon2id with the library's recommended parameters (RFC 9106 low-memory profile);
    ``CBEC_PASSWORD_HASH=cheapest`` selects the library's cheapest profile, for tests only."""
    from argon2 import profiles

    if os.environ.get("CBEC_PASSWORD_HASH") == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher()
MIN_PASSWORD = 10


class AuthenticationFailed(PermissionError):
    """Unknown user, inactive user or wrong password (one message for all three)."""


def _user(props: dict) -> User:
    return User(props["username"], frozenset(r for r in (props.get("roles") or "").split("|")
                                             if r),
                display_name=props.get("display_name", ""),
                administration=props.get("administration", ""))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"a password needs at least {MIN_PASSWORD} characters")


def _write_user(ws: CaseWorkspace, username: str, password: str, roles: list[str],
                display_name: str, administration: str) -> User:
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValueError(f"roles {bad or roles} invalid; choose from {', '.join(ROLES)}")
    _check_password(password)
    put_node(ws.store, "AppUser", {
        "username": username, "display_name": display_name or username,
        "roles": "|".join(sorted(set(roles))), "administration": administration,
        "password_hash": _hasher().hash(password), "active": True, "created_at": now_iso()})
    return User(username, frozenset(roles), display_name or username, administration)


def bootstrap_admin(ws: CaseWorkspace, username: str, password: str,
                    administration: str = "") -> User:
    """Create the first admin of a workspace that has no user yet (refused afterwards)."""
    if ws.store.find_nodes("AppUser"):
        raise PermissionError("this workspace already has users; an admin creates the others")
    user = _write_user(ws, username, password, ["admin"], username, administration)
    record_event(ws, user, "user.bootstrap", target=username)
    return user


def create_user(ws: CaseWorkspace, actor: User, username: str, password: str,
                roles: list[str], *, display_name: str = "", administration: str = "") -> User:
    """An admin creates (or re-creates) a user with ``roles``."""
    require(actor, "users.manage")
    user = _write_user(ws, username, password, roles, display_name, administration)
    record_event(ws, actor, "user.create", target=username, detail={"roles": sorted(roles)})
    return user


def set_password(ws: CaseWorkspace, actor: User, username: str, password: str) -> None:
    """A user changes their own password, or an admin anyone's."""
    if actor.username != username:
        require(actor, "users.manage")
    if ws.store.get_node(_ref(username)) is None:
        raise NotFound(f"no user {username!r}")
    _check_password(password)
    put_node(ws.store, "AppUser", {"username": username,
                                   "password_hash": _hasher().hash(password)})
    record_event(ws, actor, "user.password", target=username)


def _ref(username: str):
    from graph.store import NodeRef

    return NodeRef("AppUser", username)


def authenticate(ws: CaseWorkspace, username: str, password: str) -> User:
    """The :class:`User` for a correct password; :class:`AuthenticationFailed` otherwise.
    Both outcomes are audited."""
    props = ws.store.get_node(_ref(username))
    try:
        if not props or not props.get("active", True):
            raise VerificationError("unknown or inactive user")
        _hasher().verify(props.get("password_hash", ""), password)
    except (VerificationError, InvalidHashError):
        record_event(ws, username, "login.failed")
        raise AuthenticationFailed("unknown user or wrong password") from None
    if _hasher().check_needs_rehash(props["password_hash"]):
        put_node(ws.store, "AppUser", {"username": username,
                                       "password_hash": _hasher().hash(password)})
    record_event(ws, username, "login")
    return _user(props)


def _standing_user(ws: CaseWorkspace, username: str) -> User | None:
    """The active user ``username`` without a password: only for running what that user
    saved to run unattended (alerts after a load); ``None`` if unknown or inactive."""
    props = ws.store.get_node(_ref(username)) if username else None
    if not props or not props.get("active", True):
        return None
    return _user(props)


def list_users(ws: CaseWorkspace, actor: User) -> list[dict]:
    """Users without their password hashes (admins only)."""
    require(actor, "users.manage")
    return [{k: v for k, v in p.items() if k != "password_hash"}
            for p in ws.store.find_nodes("AppUser")]
