"""Investigations: cases, evidence, alerts, the audit trail, roles and signed exports for
partner administrations (docs/cases.md).

Every service function takes the workspace (:class:`~investigations.context.CaseWorkspace`)
and the acting user (:class:`~investigations.roles.User`) first and checks that user's
role; :data:`SERVICE_MODULES` lists the modules whose ``__all__`` holds the services.
"""

SERVICE_MODULES = ("investigations.cases", "investigations.evidence", "investigations.alerts",
                   "investigations.audit", "investigations.users", "investigations.keys",
                   "investigations.exports", "investigations.bundle", "investigations.notice")

__all__ = ["SERVICE_MODULES"]
