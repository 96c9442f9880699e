"""The reason-code catalogue: every code labelled in each language, resting on a provision, and the
defaults drawn from it."""

from __future__ import annotations

import pytest

from licensing.domain.policy import Policy
from licensing.domain.reasons import (
    CATALOGUE,
    DEFAULT_REASON_CODES,
    LANGUAGES,
    Article,
    reason_code_problems,
)


@pytest.mark.parametrize("code", list(CATALOGUE))
def test_every_code_has_a_label_in_each_language_and_an_article(code: str) -> None:
    reason = CATALOGUE[code]
    assert set(reason.labels) == set(LANGUAGES)
    assert all(label.strip() for label in reason.labels.values())
    assert reason.label("ru") == reason.labels["ru"]
    assert all(reason.article.citations().values())


def test_false_information_is_a_ground_to_suspend_or_revoke_under_article_9_4() -> None:
    reason = CATALOGUE["false_information"]
    assert reason.actions == ("suspend", "revoke")
    assert reason.article == Article(9, 4)
    assert reason.article.cited("ru") == (
        "пункт 4 статьи 9 Закона Республики Казахстан «О цифровых активах в Республике Казахстан»"
    )
    assert reason.article.cited("kk").endswith("Заңының 9-бабының 4-тармағы")
    assert "false_information" in DEFAULT_REASON_CODES["revoke"]


def test_the_defaults_keep_the_codes_the_registry_always_had() -> None:
    assert DEFAULT_REASON_CODES["suspend"][:3] == (
        "violation_found",
        "court_order",
        "holder_request",
    )
    assert DEFAULT_REASON_CODES["resume"] == ("violation_remedied", "court_order", "holder_request")
    assert DEFAULT_REASON_CODES["revoke"][:4] == (
        "unremedied_violation", "court_order", "holder_request", "holder_liquidated",
    )  # fmt: skip


def test_a_code_outside_the_catalogue_or_for_another_action_is_refused() -> None:
    assert reason_code_problems("resume", ("holder_request",)) == []
    assert len(reason_code_problems("resume", ("grid_emergency", "holder_liquidated"))) == 2
    with pytest.raises(ValueError, match="grid_emergency"):
        Policy(reason_codes={**DEFAULT_REASON_CODES, "suspend": ("grid_emergency",)})
