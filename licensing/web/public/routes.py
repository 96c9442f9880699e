"""Routes of the public pages. They call the same services as /api/v1/status and decide nothing
themselves; the templates only show."""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout

from licensing import clock
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import SUBTYPES, is_licence_number
from licensing.domain.log_proofs import is_tlog_proof
from licensing.domain.regions import REGIONS
from licensing.domain.standing import STANDINGS
from licensing.domain.timestamps import parse_utc
from licensing.http.addresses import absolute_url
from licensing.http.ratelimit import public_limit
from licensing.services import proofs, public, statements
from licensing.services.failures import DatabaseBusy, DatabaseUnavailable
from licensing.web import pages
from licensing.web.lifecycle_picture import lifecycle_svg
from licensing.web.public.security_txt import security_txt
from licensing.web.qr import qr_image
from licensing.web.register_csv import register_csv
from licensing.web.validators import revalidated, with_form_token

blp = Blueprint("public", __name__, template_folder="templates")
public_limit(blp)
pages.serve_pages(blp)

PAGE_SIZE = 20
MAX_QUERY = 200  # characters of a search that are read; a holder's name is at most 300
CSV_ROWS = 10_000  # the most rows one download carries
MAX_STATEMENT = 65_536  # characters read of a pasted or uploaded statement or proof (< 16 KB)
MAX_SHOWN = 4_096  # a paste longer than this is not echoed back into the form
SORTS = tuple(public.ORDERS)


@blp.errorhandler(LicenceNotFound)
def _not_found(error: LicenceNotFound) -> Response:
    return pages.error_page(404)


@blp.errorhandler(DatabaseBusy)
@blp.errorhandler(DatabaseUnavailable)
@blp.errorhandler(OperationalError)
@blp.errorhandler(InterfaceError)
@blp.errorhandler(SQLAlchemyTimeout)
def _unavailable(error: Exception) -> Response:
    current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
    return pages.error_page(503, {"Retry-After": "5"})


def _policy() -> Any:
    return current_app.config["LICENSING_POLICY"]


@blp.get("/")
@revalidated(register=False)
def home() -> str | Response:
    """What the register is, and one search box: a licence number opens its page, anything else
    searches holders' names."""
    q = request.args.get("q", "").strip()[:MAX_QUERY]
    if q:
        if is_licence_number(q.upper()):
            return redirect(url_for("public.licence", number=q.upper()), code=303)
        return redirect(url_for("public.register", q=q), code=303)
    return render_template("public/home.html")


def _filters() -> dict[str, Any]:
    """The register's filters from the query string; a value that is not one of ours is ignored,
    as a reader who edits the address expects, rather than refused."""
    args = request.args
    return {
        "q": args.get("q", "").strip()[:MAX_QUERY] or None,
        "region": args.get("region") if args.get("region") in REGIONS else None,
        "subtype": args.get("subtype") if args.get("subtype") in SUBTYPES else None,
        "standing": args.get("standing") if args.get("standing") in STANDINGS else None,
        "order": args.get("sort") if args.get("sort") in SORTS else None,
    }


@blp.get("/register")
@revalidated()
def register() -> str:
    filters = _filters()
    try:
        page = max(1, min(int(request.args.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    found, as_of = public.register_page(_policy(), **filters, page=page, page_size=PAGE_SIZE)
    pages_total = max(1, math.ceil(found.total / PAGE_SIZE))
    shown = {k: v for k, v in filters.items() if v and k != "order"}
    if filters["order"]:
        shown["sort"] = filters["order"]
    return render_template(
        "public/register.html",
        found=found,
        as_of=as_of,
        filters=filters,
        shown=shown,
        pages_total=pages_total,
        regions=REGIONS,
        subtypes=SUBTYPES,
        standings=STANDINGS,
        sorts=SORTS,
    )


@blp.get("/register.csv")
def register_download() -> Response:
    found = public.search(_policy(), **_filters(), page=1, page_size=CSV_ROWS)
    response = current_app.response_class(register_csv(found.items), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="register.csv"'
    return response


@blp.get("/licences/<number>")
@revalidated()
def licence(number: str) -> str:
    if not is_licence_number(number):
        abort(404)  # checked before the licence is read
    shown = public.licence_page(_policy(), number)
    return render_template(
        "public/licence.html", licence=shown.licence, timeline=shown.timeline, as_of=shown.as_of
    )


QR_KEPT_FOR = 86_400  # seconds a browser or a proxy may keep a page's QR code without asking


@blp.get("/licences/<number>/qr.svg")
def licence_qr(number: str) -> Response:
    """The QR code of a licence page's address, as an image of its own: it depends on the address
    alone, which never changes while the base URL holds, so a reader's browser and any proxy
    keep it for a day and the page (which changes with the register) never draws it. A number
    the register does not hold has no page, and no code."""
    public.lookup(_policy(), number)  # LicenceNotFound: 404
    drawn = qr_image(absolute_url("public.licence", number=number))
    response = current_app.response_class(drawn, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"public, max-age={QR_KEPT_FOR}"
    response.set_etag(hashlib.sha256(drawn).hexdigest()[:32])
    return response.make_conditional(request)


@blp.get("/about")
@revalidated(register=False)
def about() -> str:
    return render_template(
        "public/about.html",
        lifecycle=_lifecycle(pages.locale_code()),
        reasons=public.reason_codes(_policy()),
    )


@blp.get("/security")
@revalidated(register=False)
def security() -> str:
    """How to report a weakness, and what the registry promises in return."""
    contacts = [
        (contact, contact.removeprefix("mailto:"))
        for contact in current_app.config["LICENSING_SECURITY_CONTACT"]
    ]
    return render_template("public/security.html", contacts=contacts)


@blp.get("/.well-known/security.txt")
def security_contact() -> Response:
    """RFC 9116; none (404) until a contact is configured: the file must name one."""
    contacts = current_app.config["LICENSING_SECURITY_CONTACT"]
    if not contacts:
        abort(404)
    text = security_txt(
        contacts,
        clock.now().astimezone(UTC),
        policy=absolute_url("public.security"),
        canonical=absolute_url("public.security_contact"),
    )
    response = current_app.response_class(text, mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@functools.cache
def _lifecycle(locale: str) -> str:
    # drawn once per language and process: the machine does not change while it runs
    return lifecycle_svg()


@blp.route("/verify", methods=["GET", "POST"])
def verify() -> str:
    """Paste or upload a statement or its tlog-proof; the answer says whether the registry signed
    it, whether it still holds and what it states, and for a proof where it is in the log and
    which witnesses saw that tree, checked against the registry's own keys and witnesses."""
    if request.method == "GET" and "statement" not in request.args:
        return with_form_token(functools.partial(render_template, "public/verify.html"))
    # an extract's QR code opens /verify?statement=<its statement>: checked as if pasted
    sent = request.form if request.method == "POST" else request.args
    pasted = sent.get("statement", "")[:MAX_STATEMENT]
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        pasted = upload.stream.read(MAX_STATEMENT).decode("utf-8-sig", errors="replace")
    pasted = pasted.lstrip("\ufeff").replace("\r\n", "\n").strip()  # a textarea sends CRLF
    if not pasted:
        return render_template("public/verify.html", empty=True)
    rules = current_app.config["LICENSING_STATEMENTS"]
    proof = None
    if is_tlog_proof(pasted):
        keys = proofs.registry_keys(
            current_app.extensions["licensing.signer"], current_app.config["LICENSING_LOG"]
        )
        proof = proofs.check(pasted + "\n", rules, keys)
        check = proof.statement
    else:
        check = statements.check("".join(pasted.split()), issuer=rules.issuer)
    if check is not None:  # the register is at hand: a statement it has moved past is not current
        check = statements.against_register(check, current_app.config["LICENSING_POLICY"])
        proof = proof and replace(proof, statement=check)
    return render_template(
        "public/verify.html",
        check=check,
        proof=proof,
        claims=_shown_claims(check.claims if check else None),
        pasted=pasted if len(pasted) <= MAX_SHOWN else None,
    )


def _shown_claims(claims: dict[str, Any] | None) -> dict[str, Any] | None:
    """The claims as a page shows them: dates and moments as values, not wire text."""
    if claims is None:
        return None
    until = claims["suspended_until"]
    return {
        **claims,
        "status_since": parse_utc(claims["status_since"]),
        "suspended_until": date.fromisoformat(until) if until else None,
        "expires_on": date.fromisoformat(claims["expires_on"]),
        "iat": datetime.fromtimestamp(claims["iat"], UTC),
        "exp": datetime.fromtimestamp(claims["exp"], UTC),
        "expired": clock.now() >= datetime.fromtimestamp(claims["exp"], UTC),
    }
