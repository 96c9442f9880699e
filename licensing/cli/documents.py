"""Documents: the document-signing certificate (`keys document-certificate`) and the open-data
snapshot (`open-data export`)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from licensing.cli.arguments import require_schema
from licensing.cli.keys import keys_cli
from licensing.services import document_signing, open_data

TRIAL_NAME = "Register of digital-mining licences"
PRODUCTION_NOTE = (
    "This certificate is self-issued: a PDF reader will show the signature as intact but its "
    "signer as unknown. In production, install a document-signing certificate and key issued by "
    "a trusted authority at LICENSING_DOCUMENT_CERT_FILE and LICENSING_DOCUMENT_KEY_FILE."
)

open_data_cli = AppGroup("open-data", help="Snapshots of the public register for anyone.")


@keys_cli.command("document-certificate")
@click.option("--self-issued", is_flag=True, help="Make a self-issued pair, for trials.")
@click.option("--name", default=TRIAL_NAME, show_default=True, help="The signer's name.")
@click.option("--force", is_flag=True, help="Replace a pair that is already there.")
def document_certificate(self_issued: bool, name: str, force: bool) -> None:
    """Make the certificate and key PDF extracts are signed with (at LICENSING_DOCUMENT_CERT_FILE
    and LICENSING_DOCUMENT_KEY_FILE)."""
    cert_file = current_app.config["LICENSING_DOCUMENT_CERT_FILE"]
    key_file = current_app.config["LICENSING_DOCUMENT_KEY_FILE"]
    if not self_issued:
        raise click.UsageError(
            "only --self-issued pairs are made here; a certificate from a trusted authority is "
            f"installed by copying it to {cert_file} and its key to {key_file}"
        )
    if not force and (Path(cert_file).exists() or Path(key_file).exists()):
        raise click.ClickException(
            f"{cert_file} or {key_file} is already there; --force replaces it"
        )
    made = document_signing.make_self_issued(cert_file, key_file, name)
    click.echo(f"certificate {cert_file} and key {key_file} written")
    click.echo(
        f"subject {made.subject}, SHA-256 {made.fingerprint}, until {made.not_after:%Y-%m-%d}"
    )
    click.echo(PRODUCTION_NOTE, err=True)


def trial_certificate_if_none() -> str | None:
    """For the demo: a self-issued pair when there is none yet; what was done, or None."""
    cert_file = current_app.config["LICENSING_DOCUMENT_CERT_FILE"]
    key_file = current_app.config["LICENSING_DOCUMENT_KEY_FILE"]
    if Path(cert_file).exists() or Path(key_file).exists():
        return None
    document_signing.make_self_issued(cert_file, key_file, TRIAL_NAME)
    return f"a self-issued document-signing certificate for trials was written to {cert_file}"


@open_data_cli.command("export")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_open_data(directory: Path | None) -> None:
    """Write a snapshot of the public register (CSV, JSON and a manifest with their SHA-256 and
    the seq cut at) into DIRECTORY (default: LICENSING_OPEN_DATA_DIR, which /open-data/ serves)."""
    require_schema()
    target = directory or Path(current_app.config["LICENSING_OPEN_DATA_DIR"])
    snapshot = open_data.export(target, current_app.config["LICENSING_POLICY"])
    for file in snapshot.files:
        click.echo(f"{file.sha256}  {target / file.name}")
    click.echo(
        f"{snapshot.licences} licences as of seq {snapshot.seq}; manifest "
        f"{target / snapshot.manifest_name}",
        err=True,
    )
