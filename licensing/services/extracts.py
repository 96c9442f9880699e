"""Signed PDF extracts of a licence from the register: what one shows, made once per licence
state, language and statement window, and signed by the registry's document certificate."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from licensing import clock
from licensing.domain.policy import Policy
from licensing.domain.statement_rules import StatementRules
from licensing.domain.transparency import LogSettings
from licensing.services import public, statements, transparency
from licensing.services.document_signing import DocumentSigner, DocumentSigningUnavailable
from licensing.services.kept import Kept
from licensing.services.public import TimelineEntry
from licensing.services.results import PublicLicenceView
from licensing.services.signing import Signer
from licensing.services.statements import Statement

__all__ = ["DocumentSigningUnavailable", "Extract", "ExtractFacts", "Extracts"]

KEPT = 256  # signed extracts kept per process (a few tens of KB each)
READS = 3  # tries at reading the licence, its history and its statement in agreement


@dataclass(frozen=True)
class ExtractFacts:
    """What an extract shows and carries: the public view, the public history, the statement
    (whose `iat` is when the extract was made and whose `exp` is until when it holds) and the
    statement's log proof, in `language`."""

    licence: PublicLicenceView
    timeline: list[TimelineEntry]
    statement: Statement
    proof: str
    language: str
    made_at: datetime
    holds_until: datetime


@dataclass(frozen=True)
class Extract:
    number: str
    language: str
    pdf: bytes
    etag: str  # of what it states; two signings of it differ only in their signing time
    holds_until: datetime


Render = Callable[[ExtractFacts], bytes]  # the unsigned PDF/A-3b of the facts


class Extracts:
    """Makes extracts: reads the facts, renders them once per statement and language, signs the
    rendering, and keeps the signed file for as long as the statement it carries is the one
    served (an hour's window at most). Serving the kept file is honest: its signature says when
    it was signed, the page says when the facts were stated, and both are before the request."""

    def __init__(self, signer: DocumentSigner, render: Render, kept: int = KEPT) -> None:
        self.signer, self.render = signer, render
        self._made: Kept[tuple[str, str, str], Extract] = Kept(kept)

    def make(
        self,
        number: str,
        language: str,
        keys: Signer,
        policy: Policy,
        rules: StatementRules,
        log: LogSettings,
    ) -> Extract:
        """The signed extract of licence `number` in `language`; LicenceNotFound for a number
        the register does not hold; DocumentSigningUnavailable, before anything is rendered,
        when the certificate cannot sign."""
        statement = statements.issue(number, keys, policy, rules)
        certificate = self.signer.certificate()
        key = (statement.etag, language, certificate.fingerprint)
        if (kept := self._made.get(key)) is not None:
            return kept
        facts = self._facts(number, language, statement, keys, policy, rules, log)
        pdf = self.signer.sign(self.render(facts), *_signature_words(facts))
        extract = Extract(
            number=number,
            language=language,
            pdf=pdf,
            etag=hashlib.sha256(repr(key).encode()).hexdigest()[:32],
            holds_until=facts.holds_until,
        )
        self._made.put((facts.statement.etag, language, certificate.fingerprint), extract)
        return extract

    @staticmethod
    def _facts(
        number: str,
        language: str,
        statement: Statement,
        keys: Signer,
        policy: Policy,
        rules: StatementRules,
        log: LogSettings,
    ) -> ExtractFacts:
        # the view, the history and the statement are separate reads: a change committed between
        # them would make a page disagree with the statement it carries, so read until they agree
        for _ in range(READS):
            licence = public.lookup(policy, number)
            timeline = public.timeline(policy, number)
            again = statements.issue(number, keys, policy, rules)
            if again.etag == statement.etag:
                break
            statement = again
        proof = transparency.statement_proof(statement.token, statement.claims["seq"], keys, log)
        return ExtractFacts(
            licence=licence,
            timeline=timeline,
            statement=statement,
            proof=proof,
            language=language,
            made_at=datetime.fromtimestamp(statement.claims["iat"], clock.now().tzinfo),
            holds_until=statement.expires_at,
        )


def _signature_words(facts: ExtractFacts) -> tuple[str, str]:
    """The signature's reason and location, as a PDF reader shows them."""
    return (f"Extract of licence {facts.licence.number} from the register", "Kazakhstan")
