"""The reason-code catalogue: every ground a status change may rest on, with its label in each of
the registry's languages and the legal article behind it. The API, the pages and the CLI read it
here; the settings only choose which of its codes are active for each action."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from licensing.domain.lifecycle import RESUME, REVOKE, STATUS_ACTIONS, SUSPEND

LANGUAGES = ("kk", "ru", "en")

# The Law of the Republic of Kazakhstan of 6 February 2023 No. 193-VII, as each language cites it:
# Kazakh and Russian name the provision with the law in the genitive, English after the law.
_LAW = {
    "kk": "«Қазақстан Республикасындағы цифрлық активтер туралы» Қазақстан Республикасы Заңының",
    "ru": "Закона Республики Казахстан «О цифровых активах в Республике Казахстан»",
    "en": 'Law of the Republic of Kazakhstan "On Digital Assets in the Republic of Kazakhstan"',
}


@dataclass(frozen=True)
class Article:
    """A provision of the Law on Digital Assets: an article and, where known, its paragraph."""

    article: int
    paragraph: int | None = None

    def cited(self, language: str) -> str:
        """The provision as a lawyer writing in `language` cites it."""
        law, n, p = _LAW[language], self.article, self.paragraph
        if language == "kk":
            return f"{law} {n}-бабының {p}-тармағы" if p else f"{law} {n}-бабы"
        if language == "ru":
            return f"пункт {p} статьи {n} {law}" if p else f"статья {n} {law}"
        return f"{law}, art. {n}({p})" if p else f"{law}, art. {n}"

    def citations(self) -> dict[str, str]:
        return {language: self.cited(language) for language in LANGUAGES}


@dataclass(frozen=True)
class Reason:
    """One ground: its code, the actions it may justify, its label per language, its article."""

    code: str
    actions: tuple[str, ...]
    labels: Mapping[str, str]
    article: Article

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


def _reason(code: str, actions: tuple[str, ...], article: Article, **labels: str) -> Reason:
    assert set(labels) == set(LANGUAGES), code
    return Reason(code, actions, MappingProxyType(labels), article)


# Article 9 of the Law sets the licence, its suspension for one to six months and the grounds for
# it; paragraph 4 names the one ground the registry has a precise source for.
ARTICLE_9 = Article(9)
FALSE_INFORMATION_ARTICLE = Article(9, 4)

CATALOGUE: Mapping[str, Reason] = MappingProxyType(
    {
        reason.code: reason
        for reason in (
            _reason(
                "violation_found",
                (SUSPEND,),
                ARTICLE_9,
                kk="Цифрлық активтер туралы заңнама талаптарының бұзылуы анықталды",
                ru="Выявлено нарушение требований законодательства о цифровых активах",
                en="A breach of the digital-assets legislation was found",
            ),
            _reason(
                "violation_remedied",
                (RESUME,),
                ARTICLE_9,
                kk="Лицензияның қолданылуын тоқтата тұруға негіз болған бұзушылықтар жойылды",
                ru="Устранены нарушения, послужившие основанием для приостановления лицензии",
                en="The breaches that led to the suspension were remedied",
            ),
            _reason(
                "unremedied_violation",
                (REVOKE,),
                ARTICLE_9,
                kk="Тоқтата тұру мерзімінде бұзушылықтар жойылмады",
                ru="Нарушения не устранены в срок приостановления лицензии",
                en="The breaches were not remedied within the suspension term",
            ),
            _reason(
                "court_order",
                (SUSPEND, RESUME, REVOKE),
                ARTICLE_9,
                kk="Заңды күшіне енген сот шешімі",
                ru="Вступившее в законную силу решение суда",
                en="A court decision that has entered into force",
            ),
            _reason(
                "holder_request",
                (SUSPEND, RESUME, REVOKE),
                ARTICLE_9,
                kk="Лицензиаттың өтініші",
                ru="Заявление лицензиата",
                en="The licensee's application",
            ),
            _reason(
                "holder_liquidated",
                (REVOKE,),
                ARTICLE_9,
                kk="Лицензиат таратылды (қызметін тоқтатты)",
                ru="Ликвидация лицензиата (прекращение его деятельности)",
                en="The licensee was liquidated or ceased its activity",
            ),
            _reason(
                "false_information",
                (SUSPEND, REVOKE),
                FALSE_INFORMATION_ARTICLE,
                kk="Лицензия алу үшін дәйексіз мәліметтер ұсынылды",
                ru="Представление недостоверных сведений для получения лицензии",
                en="False information was given to obtain the licence",
            ),
        )
    }
)

# The codes active when the settings name none: for each action, every code of the catalogue that
# may justify it, in the catalogue's order.
DEFAULT_REASON_CODES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        action: tuple(code for code, reason in CATALOGUE.items() if action in reason.actions)
        for action in STATUS_ACTIONS
    }
)


def reason_code_problems(action: str, codes: tuple[str, ...]) -> list[str]:
    """Why `codes` cannot be the active reason codes for `action`: each must be in the catalogue
    and may justify that action."""
    problems = []
    for code in codes:
        reason = CATALOGUE.get(code)
        if reason is None:
            problems.append(f"{code!r} is not in the reason-code catalogue")
        elif action not in reason.actions:
            problems.append(f"{code!r} is not a ground for {action}")
    return problems
