"""Authentication settings: local passwords (argon2id) for the embedded setup, or an OIDC
identity provider in a deployment. Read from the environment so that nothing secret sits in
the repository."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

__all__ = ["AuthSettings"]


@dataclass(frozen=True)
class AuthSettings:
    """``CBEC_AUTH=local`` (default) or ``oidc``; the OIDC fields come from ``CBEC_OIDC_*``.

    With OIDC the app trusts the identity provider for login and maps the token's
    ``roles_claim`` (a list of role names) onto :data:`investigations.roles.ROLES`.
    """

    mode: str = "local"
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret_env: str = "CBEC_OIDC_CLIENT_SECRET"  # the secret stays in the env
    oidc_redirect_uri: str = ""
    oidc_scopes: tuple[str, ...] = ("openid", "profile", "email")
    roles_claim: str = "cbec_roles"
    username_claim: str = "preferred_username"
    session_minutes: int = 480
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: dict | None = None) -> AuthSettings:
        env = os.environ if env is None else env
        mode = env.get("CBEC_AUTH", "local").strip().lower()
        if mode not in ("local", "oidc"):
            raise ValueError(f"CBEC_AUTH={mode!r}: use 'local' or 'oidc'")
        s = cls(mode=mode,
                oidc_issuer=env.get("CBEC_OIDC_ISSUER", ""),
                oidc_client_id=env.get("CBEC_OIDC_CLIENT_ID", ""),
                oidc_redirect_uri=env.get("CBEC_OIDC_REDIRECT_URI", ""),
                roles_claim=env.get("CBEC_OIDC_ROLES_CLAIM", "cbec_roles"),
                username_claim=env.get("CBEC_OIDC_USERNAME_CLAIM", "preferred_username"),
                session_minutes=int(env.get("CBEC_SESSION_MINUTES", "480")))
        if mode == "oidc" and not (s.oidc_issuer and s.oidc_client_id):
            raise ValueError("CBEC_AUTH=oidc needs CBEC_OIDC_ISSUER and CBEC_OIDC_CLIENT_ID")
        return s

    def user_from_claims(self, claims: dict):
        """The acting user from an ID token's verified claims (OIDC deployments)."""
        from investigations.roles import ROLES, User

        roles = claims.get(self.roles_claim) or []
        if isinstance(roles, str):
            roles = [roles]
        return User(str(claims[self.username_claim]),
                    frozenset(r for r in roles if r in ROLES),
                    display_name=str(claims.get("name", "")))
