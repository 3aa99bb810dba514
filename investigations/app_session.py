"""What the app's case pages share: the case workspace (one per process; on the embedded
store read-only, writable only while a page writes, so `cbec load` runs beside the app) and the
login (local argon2 passwords; an OIDC deployment puts the identity provider's user in
``st.session_state`` instead). Every service call made by a page passes the logged-in user,
so roles are enforced by the services, whatever the page shows."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

__all__ = ["case_workspace", "current_user", "login_box", "require_login"]

USER_KEY = "cbec_case_user"


@st.cache_resource(show_spinner="Opening the case workspace...")
def case_workspace(root: str):
    """The workspace (:meth:`CaseWorkspace.open_shared`): cases, notes and the audit trail
    are written through short write locks; pages put a change's writes in ``ws.writing()``."""
    from investigations.context import CaseWorkspace

    return CaseWorkspace.open_shared(Path(root))


def _root() -> str:
    return str(Path(os.environ.get("CBEC_WORKSPACE") or "workspace"))


def current_user():
    return st.session_state.get(USER_KEY)


def login_box():
    """The sidebar login; returns the workspace and the user (or None)."""
    from investigations.settings import AuthSettings
    from investigations.users import AuthenticationFailed, authenticate

    ws = case_workspace(_root())
    ws.refresh()  # each page run sees what a load or another session wrote meanwhile
    user = current_user()
    with st.sidebar:
        if user:
            st.caption(f"Signed in as **{user.username}** ({', '.join(sorted(user.roles))})")
            if st.button("Sign out", key="cases_signout"):
                del st.session_state[USER_KEY]
                st.rerun()
        elif AuthSettings.from_env().mode == "oidc":
            st.info("Sign-in goes through the identity provider of this deployment.")
        else:
            with st.form("cases_login"):
                name = st.text_input("User")
                pw = st.text_input("Password", type="password")
                if st.form_submit_button("Sign in"):
                    try:
                        st.session_state[USER_KEY] = authenticate(ws, name, pw)
                        st.rerun()
                    except AuthenticationFailed as exc:
                        st.error(str(exc))
    return ws, current_user()


def require_login():
    ws, user = login_box()
    if user is None:
        st.info("Sign in (sidebar) to work on cases. An admin creates users with "
                "`cbec users add`; the first admin with `cbec users bootstrap`.")
        st.stop()
    return ws, user
