"""Commands for cases, alerts, the audit trail, keys and partner bundles:
``cbec case ...``, ``cbec alerts ...``, ``cbec audit ...``, ``cbec keys ...``,
``cbec bundle ...`` and ``cbec users ...``.

The acting user comes from ``--user`` (or ``CBEC_USER``); the password is asked for, or read
from ``CBEC_PASSWORD`` in scripts. ``cbec audit verify`` and ``cbec bundle verify`` need no
login: they check integrity only.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]

Workspace = Annotated[Path, typer.Option(
    "--workspace", "-w", help="Workspace folder (from `cbec load`).")]
UserOpt = Annotated[str, typer.Option(
    "--user", "-u", envvar="CBEC_USER", help="Acting user (or CBEC_USER); the password is "
    "asked for, or taken from CBEC_PASSWORD.")]

case_app = typer.Typer(help="Cases: create, inspect, work and export them.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alerts that open or extend cases after each load and scoring.",
                         no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)
keys_app = typer.Typer(help="Ed25519 keys: own signing keys and partners' public keys.",
                       no_args_is_help=True)
bundle_app = typer.Typer(help="Partner side: verify and import received case bundles.",
                         no_args_is_help=True)
users_app = typer.Typer(help="Users of the embedded setup (argon2id password hashes).",
                        no_args_is_help=True)


def _fail(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    Console(stderr=True, emoji=False).print(f"[bold red]error:[/] {escape(message)}",
                                            highlight=False)
    raise typer.Exit(1)


@contextmanager
def _ws(workspace: Path):
    from investigations.context import CaseWorkspace

    try:
        ws = CaseWorkspace.open(workspace)
    except (FileNotFoundError, RuntimeError) as exc:
        _fail(f"cannot open the workspace {workspace}: {exc}")
    try:
        yield ws
    finally:
        ws.close()


@contextmanager
def _session(workspace: Path, user: str):
    """The workspace and the logged-in user; service errors become one clear line."""
    from investigations.bundle import BundleRefused
    from investigations.context import NotFound
    from investigations.roles import PermissionDenied
    from investigations.users import AuthenticationFailed, authenticate

    if not user:
        _fail("say who acts: --user NAME (or CBEC_USER)")
    password = os.environ.get("CBEC_PASSWORD") or typer.prompt(f"password for {user}",
                                                               hide_input=True)
    with _ws(workspace) as ws:
        try:
            actor = authenticate(ws, user, password)
            yield ws, actor
        except (AuthenticationFailed, PermissionDenied, NotFound, BundleRefused, ValueError,
                FileExistsError, PermissionError) as exc:
            _fail(str(exc))


def _ref(text: str):
    from graph.store import NodeRef

    label, sep, key = text.partition(":")
    if not sep or not key:
        _fail(f"{text!r}: write nodes as Label:key, e.g. Enterprise:3301960ABC")
    return NodeRef(label, key)


def _table(rows: list[dict], cols: list[str], title: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title or None)
    for c in cols:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(r.get(c, "") if r.get(c) is not None else "") for c in cols])
    Console(emoji=False).print(t)


# -- cases -------------------------------------------------------------------------------
@case_app.command("list")
def case_list(workspace: Workspace = Path("workspace"), user: UserOpt = "",
              status: Annotated[str | None, typer.Option(help="Only this status.")] = None):
    """List cases with status, assignee and IPR deadlines."""
    from investigations.cases import list_cases

    with _session(workspace, user) as (ws, actor):
        _table(list_cases(ws, actor, status=status),
               ["case_id", "title", "status", "assignee", "origin", "members",
                "holder_deadline", "investigation_deadline"])


@case_app.command("show")
def case_show(case_id: str, workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Show a case: members, deadlines, evidence, notes, exports (redacted for a partner
    liaison). Viewing is audited."""
    from investigations.cases import get_case

    with _session(workspace, user) as (ws, actor):
        v = get_case(ws, actor, case_id)
        c = v["case"]
        typer.echo(f"{c['case_id']}  {c.get('title')}  [{c.get('status')}]  assignee "
                   f"{c.get('assignee')}  origin {c.get('origin')} {c.get('origin_ref') or ''}")
        _table(v["members"], ["label", "key", "role", "display"], "members")
        if v["deadlines"]:
            _table(v["deadlines"], ["deadline", "due", "working_days_left", "overdue"])
        if v["evidence"]:
            _table(v["evidence"], ["sha256", "filename", "kind", "confidence"], "evidence")
        for n in v["notes"]:
            typer.echo(f"note {n['created_at']} {n['author']}: {n['text']}")
        if v["exports"]:
            _table(v["exports"], ["export_id", "partner", "status", "approved_by"], "exports")


@case_app.command("create")
def case_create(title: str, member: Annotated[list[str], typer.Option(
        "--member", "-m", help="Label:key:role, repeatable (role: suspect, facilitator, "
        "identity_theft_victim, rights_holder, witness, linked).")] = None,
        workspace: Workspace = Path("workspace"), user: UserOpt = "",
        offence: str | None = None):
    """Open a case from a selection of entities."""
    from investigations.cases import create_case

    members = []
    for m in member or []:
        text, _, role = m.rpartition(":")
        members.append((_ref(text), role))
    with _session(workspace, user) as (ws, actor):
        typer.echo(create_case(ws, actor, title, members=members, offence=offence))


@case_app.command("from-ring")
def case_from_ring(ring_id: str, workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Open a case from a detected ring (its members, shared identifiers and indicators)."""
    from investigations.cases import create_case_from_ring

    with _session(workspace, user) as (ws, actor):
        typer.echo(create_case_from_ring(ws, actor, ring_id))


@case_app.command("note")
def case_note(case_id: str, text: str, workspace: Workspace = Path("workspace"),
              user: UserOpt = ""):
    """Add a note to a case."""
    from investigations.cases import add_note

    with _session(workspace, user) as (ws, actor):
        typer.echo(add_note(ws, actor, case_id, text))


@case_app.command("status")
def case_status(case_id: str, status: str, reason: str | None = None,
                workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Move a case: open -> investigating -> referred / closed (referred and closed need
    --reason)."""
    from investigations.cases import set_status

    with _session(workspace, user) as (ws, actor):
        set_status(ws, actor, case_id, status, reason=reason)
        typer.echo(f"{case_id}: {status}")


@case_app.command("assign")
def case_assign(case_id: str, assignee: str, workspace: Workspace = Path("workspace"),
                user: UserOpt = ""):
    """Give a case to a user."""
    from investigations.cases import assign

    with _session(workspace, user) as (ws, actor):
        assign(ws, actor, case_id, assignee)
        typer.echo(f"{case_id}: assigned to {assignee}")


@case_app.command("ipr")
def case_ipr(case_id: str, field: Annotated[list[str], typer.Option(
        "--set", "-s", help="field=value, repeatable: rights_holder, recorded_right, brand, "
        "goods, quantity_declared, quantity_found, description_declared, description_found, "
        "detention_date, holder_application_date, holder_confirmation, disposition.")],
        workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Fill in the IPR seizure record; the detention date and the holder's application start
    the 3- and 30-working-day clocks."""
    from investigations.cases import set_ipr_record

    fields = {}
    for f in field:
        k, sep, v = f.partition("=")
        if not sep:
            _fail(f"{f!r}: write field=value")
        fields[k.strip()] = v.strip()
    with _session(workspace, user) as (ws, actor):
        typer.echo(json.dumps(set_ipr_record(ws, actor, case_id, **fields), indent=2,
                              ensure_ascii=False))


@case_app.command("evidence")
def case_evidence(case_id: str, file: Path, kind: str = "document",
                  source: str | None = None, shareable: bool = False,
                  label: Annotated[list[str], typer.Option(
                      help="label=confidence from an inspection system, repeatable.")] = None,
                  workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Attach a file to a case (stored once by its SHA-256)."""
    from investigations.evidence import add_evidence

    labels = []
    for lab in label or []:
        name, _, conf = lab.rpartition("=")
        labels.append({"label": name or conf, "confidence": float(conf) if name else None})
    if not file.is_file():
        _fail(f"no file {file}")
    with _session(workspace, user) as (ws, actor):
        typer.echo(add_evidence(ws, actor, case_id, file, kind=kind, source=source,
                                labels=labels, shareable=shareable))


@case_app.command("request-export")
def case_request_export(
        case_id: str, to: Annotated[str, typer.Option("--to", help="Recipient administration.")],
        agreement: Annotated[str, typer.Option(help="Legal basis: the agreement.")],
        article: Annotated[str, typer.Option(help="Legal basis: the article.")],
        purpose: Annotated[str, typer.Option(help="Purpose of the transfer.")],
        retention: Annotated[str, typer.Option(help="Retention date, YYYY-MM-DD.")],
        recipient_contact: Annotated[str, typer.Option(help="Recipient's contact officer.")],
        sender: Annotated[str, typer.Option(help="Sending administration.")],
        offence: str = "", facts: str = "", workspace: Workspace = Path("workspace"),
        user: UserOpt = ""):
    """Ask to send a case to a partner administration; a supervisor must approve."""
    from investigations.exports import request_export

    with _session(workspace, user) as (ws, actor):
        typer.echo(request_export(ws, actor, case_id, to, agreement=agreement, article=article,
                                  purpose=purpose, offence_type=offence or "not stated",
                                  summary_of_facts=facts or purpose, retention_date=retention,
                                  recipient_contact=recipient_contact,
                                  sender_administration=sender))


@case_app.command("approve")
def case_approve(export_id: str, reject: bool = False, reason: str | None = None,
                 workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """A supervisor approves (or --reject --reason) an export request."""
    from investigations.exports import approve_export

    with _session(workspace, user) as (ws, actor):
        approve_export(ws, actor, export_id, approve=not reject, reason=reason)
        typer.echo(f"{export_id}: {'rejected' if reject else 'approved'}")


@case_app.command("export")
def case_export(case_id: str, to: Annotated[str, typer.Option("--to", help="Partner.")],
                key: Annotated[str, typer.Option(help="Own signing key name.")] = "default",
                out: Annotated[Path | None, typer.Option(help="Folder for the bag.")] = None,
                workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Write the approved export of CASE to PARTNER: a signed BagIt bag and its zip."""
    from investigations.exports import export_case, find_approved

    with _session(workspace, user) as (ws, actor):
        res = export_case(ws, actor, find_approved(ws, case_id, to), key_name=key, out_dir=out)
        typer.echo(f"bag      {res.bag}\narchive  {res.archive}\nsigned   {res.fingerprint}")
        for f in res.files:
            typer.echo(f"  {f}")


@case_app.command("notice")
def case_notice(platform: str, out: Path | None = None, workspace: Workspace = Path("workspace"),
                user: UserOpt = ""):
    """Platform notice: the platform's non-compliant sellers and listings, with findings."""
    from investigations.notice import platform_notice

    with _session(workspace, user) as (ws, actor):
        n = platform_notice(ws, actor, platform, out_dir=out)
        typer.echo(f"{len(n['sellers'])} seller(s) -> {n['folder']}")


# -- alerts --------------------------------------------------------------------------------
@alerts_app.command("add")
def alerts_add(name: str, kind: Annotated[str, typer.Option(help="score, search or shared.")],
               min_score: float | None = None, typology: str | None = None,
               text: str | None = None, entity: str | None = None,
               workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Save an alert: --kind score --min-score 0.8 [--typology T6]; --kind search --text
    '...'; --kind shared --entity Enterprise:CODE."""
    from investigations.alerts import create_alert

    spec: dict = {"min_score": min_score, "typology": typology, "text": text}
    if entity:
        ref = _ref(entity)
        spec.update(label=ref.label, key=ref.key)
    with _session(workspace, user) as (ws, actor):
        typer.echo(create_alert(ws, actor, name, kind,
                                {k: v for k, v in spec.items() if v is not None}))


@alerts_app.command("list")
def alerts_list(workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """List saved alerts."""
    from investigations.alerts import list_alerts

    with _session(workspace, user) as (ws, actor):
        _table(list_alerts(ws, actor), ["alert_id", "name", "kind", "spec", "active", "last_run"])


@alerts_app.command("run")
def alerts_run(workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Run every active alert; say which cases were opened or extended."""
    from investigations.alerts import run_alerts

    with _session(workspace, user) as (ws, actor):
        outcomes = run_alerts(ws, actor)
        for o in outcomes:
            typer.echo(o["message"])
        if not outcomes:
            typer.echo("no active alert")


def alerts_after(workspace: Path, trigger: str) -> None:
    """The end of `cbec load` and `cbec score`: run the saved alerts and say what they
    opened or added. A failure here is reported but does not undo or fail the finished
    load or scoring; `cbec alerts run` repeats it."""
    from rich.console import Console
    from rich.markup import escape

    from investigations.alerts import run_after

    console = Console(emoji=False)
    try:
        run_after(workspace, trigger, say=lambda m: console.print(escape(m), highlight=False))
    except Exception as exc:  # noqa: BLE001 - the load or scoring itself has succeeded
        console.print(f"[bold yellow]alerts not run:[/] {escape(str(exc))}. Run them with "
                      f"`cbec alerts run -w {escape(str(workspace))} --user NAME`.",
                      highlight=False)


# -- audit ---------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(workspace: Workspace = Path("workspace")):
    """Recompute the hash chain and check the anchors; exit 1 naming the first bad record."""
    from investigations.audit import verify_chain

    with _ws(workspace) as ws:
        report = verify_chain(ws)
    typer.echo(report.summary())
    for p in report.problems[1:4]:
        typer.echo(f"  also: {p}")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("log")
def audit_log(case: str | None = None, limit: int = 50, workspace: Workspace = Path("workspace"),
              user: UserOpt = ""):
    """The newest audit records (of one case with --case)."""
    from investigations.audit import list_audit

    with _session(workspace, user) as (ws, actor):
        _table(list_audit(ws, actor, case_id=case, limit=limit),
               ["seq", "at", "actor", "action", "case_id", "target"])


# -- keys ----------------------------------------------------------------------------------
@keys_app.command("generate")
def keys_generate(name: str = "default", workspace: Workspace = Path("workspace"),
                  user: UserOpt = ""):
    """Create an Ed25519 signing key pair; prints its fingerprint."""
    from investigations.keys import generate_key

    with _session(workspace, user) as (ws, actor):
        typer.echo(generate_key(ws, actor, name))


@keys_app.command("list")
def keys_list(workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Own and partner keys with fingerprints."""
    from investigations.keys import list_keys

    with _session(workspace, user) as (ws, actor):
        for k in list_keys(ws, actor):  # plain lines: fingerprints must never be cut
            typer.echo(f"{k['kind']:<9} {k['name']:<20} {k['fingerprint']}")


@keys_app.command("register")
def keys_register(partner: str, public_key: Path, workspace: Workspace = Path("workspace"),
                  user: UserOpt = ""):
    """Register a partner's public key (PEM); compare the printed fingerprint with theirs."""
    from investigations.keys import register_partner_key

    with _session(workspace, user) as (ws, actor):
        typer.echo(register_partner_key(ws, actor, partner, public_key))


# -- bundles -------------------------------------------------------------------------------
def _key_path(key: str, workspace: Path) -> Path:
    p = Path(key)
    if p.exists():
        return p
    from investigations.keys import _name

    return workspace / "keys" / "partners" / f"{_name(key, 'partner name')}.pub"


@bundle_app.command("verify")
def bundle_verify(bundle: Path, key: Annotated[str, typer.Option(
        "--key", help="The sender's public key: a PEM file or a registered partner's name.")],
                  workspace: Workspace = Path("workspace")):
    """Verify a received bundle (folder or zip): signature, every hash, no extra, missing,
    linked or escaping file, valid content. Exit 1 with the reason if refused."""
    from investigations.bundle import BundleRefused, verify_bundle
    from investigations.context import NotFound

    try:
        report = verify_bundle(bundle, _key_path(key, workspace))
    except (BundleRefused, NotFound, ValueError) as exc:
        _fail(f"REFUSED: {exc}")
    for line in report.lines():
        typer.echo(line)


@bundle_app.command("import")
def bundle_import(bundle: Path, key: Annotated[str, typer.Option(
        "--key", help="The sender's public key: a PEM file or a registered partner's name.")],
                  workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """Verify, then load a bundle's entities with provenance into this workspace, linked to
    what it holds, as a new case. Nothing is imported from a refused bundle."""
    from investigations.bundle import import_bundle

    with _session(workspace, user) as (ws, actor):
        s = import_bundle(ws, actor, bundle, _key_path(key, workspace))
        typer.echo(f"imported bundle {s['bundle_id']} from {s['sender']}: {s['entities']} "
                   f"entities, {s['linked']} linked to this workspace, case {s['case_id']}")


# -- users ---------------------------------------------------------------------------------
@users_app.command("bootstrap")
def users_bootstrap(username: str, workspace: Workspace = Path("workspace")):
    """Create the first admin of a workspace without users (password asked, or
    CBEC_PASSWORD)."""
    from investigations.users import bootstrap_admin

    password = os.environ.get("CBEC_PASSWORD") or typer.prompt(
        "new password", hide_input=True, confirmation_prompt=True)
    with _ws(workspace) as ws:
        try:
            bootstrap_admin(ws, username, password)
        except (PermissionError, ValueError) as exc:
            _fail(str(exc))
    typer.echo(f"admin {username} created")


@users_app.command("add")
def users_add(username: str, role: Annotated[list[str], typer.Option(
        "--role", "-r", help="investigator, ipr_officer, supervisor, partner_liaison, admin.")],
              workspace: Workspace = Path("workspace"), user: UserOpt = ""):
    """An admin adds a user (their password from CBEC_NEW_PASSWORD, or asked)."""
    from investigations.users import create_user

    new_pw = os.environ.get("CBEC_NEW_PASSWORD") or typer.prompt(
        f"password for {username}", hide_input=True, confirmation_prompt=True)
    with _session(workspace, user) as (ws, actor):
        create_user(ws, actor, username, new_pw, role)
        typer.echo(f"user {username}: {', '.join(role)}")


def register(app: typer.Typer) -> None:
    """Attach the investigation command groups to the ``cbec`` app."""
    app.add_typer(case_app, name="case")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(audit_app, name="audit")
    app.add_typer(keys_app, name="keys")
    app.add_typer(bundle_app, name="bundle")
    app.add_typer(users_app, name="users")
