"""Routes of /console: sign-in, worklists, licences and their forms, the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from licensing import clock
from licensing.domain import lifecycle
from licensing.domain.decider import Amend, ChangeStatus
from licensing.domain.errors import (
    ActionNotAllowed,
    IdempotencyKeyReused,
    InvalidFields,
    LicenceNotFound,
    VersionMismatch,
)
from licensing.domain.exports import EXPORT_FORMATS
from licensing.domain.licence import AMENDABLE, ISSUED_FIELDS, SUBTYPES
from licensing.domain.lifecycle import STATUS_ACTIONS
from licensing.domain.regions import REGIONS
from licensing.domain.roles import AUDITOR, PEOPLE, REGULATOR
from licensing.domain.standing import STANDINGS
from licensing.domain.timestamps import EARLIEST, LATEST
from licensing.http.ratelimit import sign_in_limit
from licensing.services import (
    accounts,
    audit_trail,
    licences,
    proposals,
    verification,
    worklists,
)
from licensing.services.accounts import SignInRefused
from licensing.services.audit_trail import TrailFilters
from licensing.services.context import Context, IdempotencyKey
from licensing.services.failures import ConcurrentChange
from licensing.services.licences import Filters
from licensing.services.results import Page
from licensing.web import pages
from licensing.web.console import forms, paging, staff, status_form
from licensing.web.console.staff import requires

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
pages.serve_pages(blp)

PAGE_SIZE = 25


@blp.after_request
def _private(response: Response) -> Response:
    # what a signed-in person sees is theirs alone: no cache may keep it
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.app_context_processor
def _who() -> dict[str, Any]:
    return {"person": staff.current() if request.blueprint == "console" else None}


# --- signing in -------------------------------------------------------------------------------


@blp.route("/sign-in", methods=["GET", "POST"])
@sign_in_limit("POST")
def sign_in() -> Any:
    error = None
    target = _next()  # a `next` refused is refused before anyone is signed in
    if request.method == "POST":
        login = request.form.get("login", "")[:254]
        password = request.form.get("password", "")[:1000]
        try:
            person = accounts.check_password(login, password, _signin_policy(), staff.address())
        except SignInRefused as refused:
            error = _refusal(refused)
        else:
            if person.needs_totp:
                staff.half_way(person)
                return redirect(url_for(".second_factor", next=target), code=303)
            staff.begin(person)
            return redirect(target, code=303)
    return _page("console/sign_in.html", 401 if error else 200, error=error, next=target)


@blp.route("/sign-in/code", methods=["GET", "POST"])
@sign_in_limit("POST")
def second_factor() -> Any:
    half = staff.pending()
    if half is None:
        flash(_("Sign in again: the time for the code ran out."))
        return redirect(url_for(".sign_in"), code=303)
    error = None
    target = _next()  # a `next` refused is refused before anyone is signed in
    if request.method == "POST":
        code = request.form.get("code", "")[:20]
        try:
            person = accounts.check_code(half, code, _signin_policy(), staff.address())
        except SignInRefused as refused:
            error = _refusal(refused)
        else:
            staff.begin(person)
            return redirect(target, code=303)
    return _page("console/code.html", 401 if error else 200, error=error, next=target)


@blp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    staff.end()
    flash(_("You have signed out."))
    return redirect(url_for(".sign_in"), code=303)


@blp.route("/setup/<secret>", methods=["GET", "POST"])
@sign_in_limit()
def setup(secret: str) -> Any:
    account = accounts.setup_of(secret)
    if account is None:
        abort(404)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            done = accounts.complete_setup(
                secret,
                request.form.get("password", "")[:1000],
                request.form.get("repeated", "")[:1000],
                request.form.get("code", "")[:20],
                current_app.config["LICENSING_PASSWORD_MIN_LENGTH"],
            )
        except InvalidFields as refused:
            errors = _translated(refused.errors)
        else:
            if not done:
                abort(404)
            staff.end()
            flash(_("Your account is ready: sign in."))
            return redirect(url_for(".sign_in"), code=303)
    return _page(
        "console/setup.html",
        422 if errors else 200,
        account=account,
        errors=errors,
        minimum=current_app.config["LICENSING_PASSWORD_MIN_LENGTH"],
    )


# --- one's own account: sessions and password ---------------------------------------------------


@blp.route("/sessions")
@requires(*PEOPLE)
def sessions() -> Any:
    found = _open_sessions(paging.page_asked())
    return _page("console/sessions.html", sessions=found,
                 paged=paging.numbered(found, ".sessions"))  # fmt: skip


MAX_ID = 2**31 - 1  # sessions' ids are 32-bit integers: a larger one names none, on any database


@blp.route("/sessions/<int:which>/end", methods=["POST"])
@requires(*PEOPLE)
def end_session(which: int) -> Any:
    person, current = staff.current(), staff.session_id()
    assert person is not None
    if not 0 < which <= MAX_ID or not accounts.end_sessions_of(person, which):
        abort(404)  # not an open session of this person's
    if which == current:
        staff.forget()
        flash(_("You have signed out."))
        return redirect(url_for(".sign_in"), code=303)
    flash(_("The session was ended."))
    return redirect(url_for(".sessions"), code=303)


@blp.route("/sessions/end-others", methods=["POST"])
@requires(*PEOPLE)
def end_other_sessions() -> Any:
    person = staff.current()
    assert person is not None
    ended = accounts.end_sessions_of(person, None, keep=staff.session_id())
    flash(_("Sessions ended: %(count)s.", count=ended))
    return redirect(url_for(".sessions"), code=303)


@blp.route("/password", methods=["GET", "POST"])
@requires(*PEOPLE)
def change_password() -> Any:
    minimum = current_app.config["LICENSING_PASSWORD_MIN_LENGTH"]
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        person = staff.current()
        assert person is not None
        try:
            accounts.change_password(
                person,
                request.form.get("current", "")[:1000],
                request.form.get("password", "")[:1000],
                request.form.get("repeated", "")[:1000],
                minimum,
                _signin_policy(),
                staff.address(),
            )
        except InvalidFields as refused:
            errors = _translated(refused.errors)
        else:
            staff.forget()
            flash(_("Your password was changed and every session ended: sign in again."))
            return redirect(url_for(".sign_in"), code=303)
    return _page("console/password.html", 422 if errors else 200, errors=errors, minimum=minimum)


# --- reading --------------------------------------------------------------------------------------


@blp.route("/")
@requires(*PEOPLE)
def dashboard() -> Any:
    pages_asked = {name: paging.page_asked(arg) for name, arg in WORKLIST_PAGES.items()}
    asked = worklists.Asked(**pages_asked, decisions_before=paging.cursor_asked("before"))
    lists = worklists.worklists(staff.context(), asked)
    pagers = {
        name: paging.numbered(getattr(lists, name), ".dashboard", arg, _anchor=arg)
        for name, arg in WORKLIST_PAGES.items()
    }
    pagers["recent_decisions"] = paging.keyed(
        lists.recent_decisions, ".dashboard", "before", _anchor="recent"
    )
    return _page("console/dashboard.html", lists=lists, pagers=pagers)


# each worklist's page, by the query argument that names it (and its section's id)
WORKLIST_PAGES = {
    "awaiting_approval": "awaiting",
    "overdue": "overdue",
    "ending_soon": "ending",
    "expiring_soon": "expiring",
}


@blp.route("/licences")
@requires(*PEOPLE)
def licence_list() -> Any:
    args = request.args
    filters = Filters(
        status=_one_of(args.get("status"), lifecycle.STATES),
        holder_bin=(args.get("holder_bin") or "").strip()[:12] or None,
        region=_one_of(args.get("region"), tuple(REGIONS)),
        q=(args.get("q") or "").strip()[:100] or None,
        overdue={"yes": True, "no": False}.get(args.get("overdue", "")),
        standing=_one_of(args.get("standing"), STANDINGS),
    )
    found = licences.find(staff.context(), filters, paging.page_asked(), PAGE_SIZE)
    return _page("console/licences.html", found=found, filters=filters, choices=_choices(),
                 paged=paging.numbered(found, ".licence_list"))  # fmt: skip


@blp.route("/licences/<number>")
@requires(*PEOPLE)
def licence(number: str) -> Any:
    ctx = staff.context()
    view = licences.get(ctx, number)
    history = licences.history_page(ctx, number, paging.page_asked(), PAGE_SIZE)
    return _page(
        "console/licence.html",
        licence=view,
        history=history,
        paged=paging.numbered(history, ".licence", number=number, _anchor="history"),
        may_act=staff.current().role == REGULATOR,  # type: ignore[union-attr]
        choices=_choices(),
    )


# --- writing --------------------------------------------------------------------------------------


@blp.route("/licences/new", methods=["GET", "POST"])
@requires(REGULATOR)
def issue() -> Any:
    values = forms.given(request.form, ISSUED_FIELDS)
    if request.method == "GET":
        return _page("console/issue.html", values=values, errors={}, choices=_choices())
    if request.form.get("edit"):  # back from the review to the form, as typed
        return _page("console/issue.html", values=values, errors={}, choices=_choices())
    ctx = staff.context()
    try:
        application = forms.application(values)
        if not request.form.get("confirm"):
            return _page(
                "console/issue_review.html", values=values,
                preview=licences.preview_issue(ctx, application),
                form_key=forms.new_form_key(), choices=_choices(),
            )  # fmt: skip
        outcome = licences.issue(_keyed(ctx), application)
    except InvalidFields as refused:
        errors = _translated(refused.errors)
        return _page("console/issue.html", 422, values=values, errors=errors, choices=_choices())
    flash(_("Licence %(number)s was issued.", number=outcome.licence.number))
    return redirect(url_for(".licence", number=outcome.licence.number), code=303)


@blp.route("/licences/<number>/amend", methods=["GET", "POST"])
@requires(REGULATOR)
def amend(number: str) -> Any:
    ctx = staff.context()
    view = licences.get(ctx, number)
    current = {name: getattr(view, name) for name in AMENDABLE}
    if request.method == "GET":
        values = {name: str(value) for name, value in current.items()}
        values |= {"reason": "", "legal_basis": ""}
        return _page("console/amend.html", licence=view, version=view.version, values=values,
                     errors={}, choices=_choices())  # fmt: skip
    values = forms.given(request.form, (*AMENDABLE, "reason", "legal_basis"))
    version = forms.version(request.form)
    if version is None:  # every form the console makes carries the version it was opened at
        abort(400)
    render = _form_renderer("console/amend.html", licence=view, version=version, values=values)
    try:
        changes = forms.amendment(values, current)
        command = Amend(
            changes, values["reason"] or None, values["legal_basis"] or None,
            frozenset({version}),
        )  # fmt: skip
        if not request.form.get("confirm"):
            return _page("console/amend_review.html", licence=view, version=version,
                         values=values, preview=licences.preview(ctx, number, command),
                         choices=_choices())  # fmt: skip
        licences.amend(ctx, number, command)
    except InvalidFields as refused:
        return render(422, errors=_translated(refused.errors))
    except (VersionMismatch, ConcurrentChange):
        latest = licences.get(ctx, number)
        if all(str(getattr(latest, n)) == str(v) for n, v in changes.items()):
            flash(_("This change was already recorded."))
            return redirect(url_for(".licence", number=number), code=303)
        return _conflict(number, version, values)
    except ActionNotAllowed:
        return _conflict(number, version, values)
    flash(_("Licence %(number)s was amended.", number=number))
    return redirect(url_for(".licence", number=number), code=303)


@blp.route(f"/licences/<number>/<any({', '.join(STATUS_ACTIONS)}):action>", methods=["GET", "POST"])
@requires(REGULATOR)
def change_status(number: str, action: str) -> Any:
    ctx = staff.context()
    view = licences.get(ctx, number)
    today = ctx.policy.today(clock.now())
    common = {
        "licence": view,
        "action": action,
        "reasons": status_form.reasons_for(action, ctx.policy),
        "window": status_form.window(action, ctx.policy, today),
        "today": today,
    }
    if request.method == "GET":
        values = status_form.blank()
        return _page("console/status.html", version=view.version, values=values, errors={},
                     **common)  # fmt: skip
    values = forms.given(request.form, status_form.FIELDS)
    version = forms.version(request.form)
    if version is None:  # every form the console makes carries the version it was opened at
        abort(400)
    try:
        command = ChangeStatus(action, status_form.read(action, values), frozenset({version}))
        if not request.form.get("confirm"):
            return _page("console/status_review.html", version=version, values=values,
                         preview=licences.preview(ctx, number, command),
                         form_key=forms.new_form_key(),
                         needs_approval=proposals.needs_approval(ctx, action),
                         **common)  # fmt: skip
        outcome = proposals.take_status_action(_keyed(ctx), number, command)
    except InvalidFields as refused:
        return _page("console/status.html", 422, version=version, values=values,
                     errors=_translated(refused.errors), **common)  # fmt: skip
    except (VersionMismatch, ConcurrentChange, ActionNotAllowed):
        return _conflict(number, version, values, action=action)
    if isinstance(outcome, proposals.Proposed):  # four eyes: a second officer decides
        flash(_("Proposed; waiting for a second officer."))
        return redirect(url_for(".proposal", proposal_id=outcome.proposal.id), code=303)
    if outcome.replayed:
        flash(_("This decision was already recorded."))
    else:
        flash(_("The decision was recorded."))
    return redirect(url_for(".licence", number=number), code=303)


# --- the audit trail ----------------------------------------------------------------------------


@blp.route("/audit")
@requires(*PEOPLE)
def trail() -> Any:
    filters, errors = _trail_filters()
    page = paging.page_asked()
    found = audit_trail.page(filters, page, PAGE_SIZE) if not errors else None
    return _page("console/audit.html", 422 if errors else 200, found=found, errors=errors,
                 formats=EXPORT_FORMATS, actions=lifecycle.ACTIONS,
                 paged=paging.numbered(found, ".trail") if found else None)  # fmt: skip


@blp.route(f"/audit/export/<any({', '.join(EXPORT_FORMATS)}):fmt>")
@requires(AUDITOR)
def export(fmt: str) -> Any:
    filters, errors = _trail_filters()
    if errors:
        abort(400)
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        (batch.data for batch in audit_trail.export(filters, fmt)),
        content_type=EXPORT_FORMATS[fmt].media_type,
        headers={"Content-Disposition": f'attachment; filename="audit-events-{stamp}.{fmt}"'},
    )


@blp.route("/audit/checkpoint")
@requires(AUDITOR)
def checkpoint() -> Any:
    signed = audit_trail.checkpoint(current_app.extensions["licensing.signer"])
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        signed,
        content_type="application/jose",
        headers={"Content-Disposition": f'attachment; filename="checkpoint-{stamp}.jws"'},
    )


@blp.route("/audit/verify", methods=["GET", "POST"])
@requires(AUDITOR)
def verify() -> Any:
    result = (
        verification.verify(current_app.config["LICENSING_POLICY"])
        if request.method == "POST"
        else None
    )
    return _page("console/verify.html", result=result)


# --- shared -----------------------------------------------------------------------------------


def _page(template: str, status: int = 200, **context: Any) -> Response:
    return current_app.response_class(render_template(template, **context), status=status)


def _form_renderer(template: str, **fixed: Any) -> Callable[..., Response]:
    def render(status: int, **context: Any) -> Response:
        return _page(template, status, choices=_choices(), **fixed, **context)

    return render


def _conflict(number: str, version: int | None, values: dict[str, str], **more: Any) -> Response:
    """Someone changed the licence since this form was opened: show both, overwrite nothing."""
    ctx = staff.context()
    latest = licences.get(ctx, number)
    # a licence's n-th event made its version n: what came after the form's version is the news
    changed = licences.history(ctx, number)[version or 0 :]
    return _page("console/conflict.html", 409, licence=latest, version=version, values=values,
                 changes=changed, **more)  # fmt: skip


def _keyed(ctx: Context) -> Context:
    key = forms.form_key(request.form)
    if key is None:
        abort(400)
    ttl = current_app.config["LICENSING_IDEMPOTENCY_TTL_HOURS"]
    return replace(ctx, idempotency_key=IdempotencyKey(key, timedelta(hours=ttl)))


def _trail_filters() -> tuple[TrailFilters, dict[str, list[str]]]:
    args, errors = request.args, {}
    since = _instant(args.get("since", ""), "since", errors)
    until = _instant(args.get("until", ""), "until", errors)
    filters = TrailFilters(
        licence=(args.get("licence") or "").strip()[:40] or None,
        action=_one_of(args.get("action"), lifecycle.ACTIONS),
        actor=(args.get("actor") or "").strip()[:100] or None,
        since=since,
        until=until,
    )
    return filters, errors


def _instant(text: str, field: str, errors: dict[str, list[str]]) -> datetime | None:
    day = forms.day(text, field, errors) if text.strip() else None
    if day is None:
        return None
    if not EARLIEST.year < day.year < LATEST.year:  # no trail holds it, nor can UTC reach it
        errors[field] = [_("Give a date as YYYY-MM-DD.")]
        return None
    return datetime.combine(day, time(), current_app.config["LICENSING_POLICY"].timezone)


def _one_of(value: str | None, allowed: tuple[str, ...] | Any) -> str | None:
    return value if value in allowed else None


def _choices() -> dict[str, Any]:
    return {
        "statuses": lifecycle.STATES,
        "standings": STANDINGS,
        "regions": tuple(REGIONS),
        "subtypes": SUBTYPES,
        "actions": STATUS_ACTIONS,
        "issued": ISSUED_FIELDS,
        "amendable": AMENDABLE,
        "inputs": forms.INPUTS,
        "dates": tuple(name for name, given in forms.INPUTS.items() if given.type == "date"),
    }


def _open_sessions(page: int) -> Page[accounts.SessionView]:
    person, config = staff.current(), current_app.config
    assert person is not None
    return accounts.open_sessions(
        person,
        staff.session_id() or 0,
        config["LICENSING_SESSION_IDLE"],
        config["LICENSING_SESSION_MAX"],
        page,
        PAGE_SIZE,
    )


def _translated(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Field errors keyed as the form names its fields, in the reader's language where the
    catalogue has the message."""
    return {name.replace(".", "_"): [_(m) for m in messages] for name, messages in errors.items()}


def _refusal(refused: SignInRefused) -> str:
    if refused.until is not None:
        seconds = max(1, int((refused.until - clock.now()).total_seconds()))
        return _("Too many failed attempts: try again in %(seconds)s seconds.", seconds=seconds)
    return _("Those details are not right. Check them and try again.")


def _signin_policy() -> Any:
    return current_app.config["LICENSING_SIGNIN_POLICY"]


def _next() -> str:
    """Where to go after signing in: a path in the console, nothing else (no open redirect)."""
    dashboard = url_for(".dashboard")
    target = pages.next_path(request.values.get("next"), dashboard, within="/console")
    return dashboard if target.startswith("/console/sign") else target


@blp.errorhandler(IdempotencyKeyReused)
def _form_reused(_error: IdempotencyKeyReused) -> Response:
    # a confirmation page's key posted again with other values: not a form this console made
    return pages.error_page(400)


@blp.errorhandler(LicenceNotFound)
def _not_found(_error: LicenceNotFound) -> Response:
    return pages.error_page(404)
