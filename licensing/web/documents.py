"""The licence extract as a PDF: the page's own words and labels laid out for A4, rendered by
WeasyPrint as PDF/A-3b with the statement and its log proof attached, its text in an embedded
font that has every Kazakh letter. Signing is the service's (services/extracts.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, Response, current_app, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _

from licensing.http.addresses import absolute_url
from licensing.services.document_signing import DocumentSigner
from licensing.services.extracts import ExtractFacts, Extracts
from licensing.web.qr import qr_svg

# DejaVu Sans: Debian's fonts-dejavu-core, with ә ғ қ ң ө ұ ү һ і; embedded (subset) in each PDF
FONTS = Path("/usr/share/fonts/truetype/dejavu")
PDF_VARIANT = "pdf/a-3b"


def init_app(app: Flask) -> None:
    """Make the extracts' maker; say at start-up, once, when extracts are on but cannot be
    signed (the routes then answer 503, never an unsigned or half-signed file)."""
    signer = DocumentSigner(
        app.config["LICENSING_DOCUMENT_CERT_FILE"],
        app.config["LICENSING_DOCUMENT_KEY_FILE"],
        app.config["LICENSING_DOCUMENT_TSA_URL"],
    )
    app.extensions["licensing.extracts"] = Extracts(signer, render_extract)
    if app.config["LICENSING_EXTRACTS"] and _serving() and (problem := signer.problem()):
        app.logger.warning("PDF extracts are on but cannot be signed: %s", problem)


def _serving() -> bool:
    """Whether this app is being made to serve (gunicorn, `flask run`, a test) rather than to run
    another command, whose output stays its own."""
    command = click.get_current_context(silent=True)
    return command is None or command.info_name == "run"


def extracts() -> Extracts:
    return current_app.extensions["licensing.extracts"]  # type: ignore[no-any-return]


def extract_response(number: str, language: str) -> Response:
    """The licence's signed extract in `language`, made once per licence state, language and
    statement window; 304 when the client holds it (a weak tag: another signing of the same
    extract differs only in its signing time). For the page and the API alike."""
    made = extracts().make(
        number,
        language,
        current_app.extensions["licensing.signer"],
        current_app.config["LICENSING_POLICY"],
        current_app.config["LICENSING_STATEMENTS"],
        current_app.config["LICENSING_LOG"],
    )
    headers = {"ETag": f'W/"{made.etag}"', "Cache-Control": "no-cache", "Vary": "Accept-Language"}
    if request.if_none_match.contains_weak(made.etag):
        return Response(status=304, headers=headers)
    disposition = f'inline; filename="{made.number}-{made.language}.pdf"'
    return Response(
        made.pdf,
        mimetype="application/pdf",
        headers={**headers, "Content-Disposition": disposition},
    )


def verify_address(token: str) -> str:
    """Where the extract's QR code leads: /verify, checking the statement the extract carries."""
    return absolute_url("public.verify", statement=token)


def render_extract(facts: ExtractFacts) -> bytes:
    """The unsigned PDF/A-3b of `facts`, in their language."""
    from weasyprint import HTML, Attachment

    number = facts.licence.number
    with force_locale(facts.language):
        html = render_template(
            "public/extract.html",
            facts=facts,
            licence=facts.licence,
            timeline=facts.timeline,
            fonts=FONTS.as_uri(),
            qr=qr_svg(verify_address(facts.statement.token), _("QR code: check this extract")),
            lang=facts.language,
        )
        attachments = [
            Attachment(
                string=facts.statement.token,
                name=f"{number}.jws",
                description=_("The signed status statement this extract shows (compact JWS)"),
                relationship="Data",
            ),
            Attachment(
                string=facts.proof,
                name=f"{number}.tlog-proof",
                description=_("The statement with its proof of inclusion in the register's log"),
                relationship="Data",
            ),
        ]
    return HTML(string=html, base_url=FONTS.as_uri() + "/").write_pdf(  # type: ignore[no-any-return]
        pdf_variant=PDF_VARIANT, attachments=attachments
    )
