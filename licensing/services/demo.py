"""A realistic demo register: licences across Kazakhstan's regions with suspensions, resumptions,
amendments and revocations in their histories. Deterministic, so every demo looks the same."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from licensing import clock
from licensing.domain.dates import add_months
from licensing.domain.decider import Amend, ChangeStatus
from licensing.domain.decisions import COURT, COURT_ORDER, LICENSOR, Decision
from licensing.domain.holder import with_check_digit
from licensing.domain.licence import Application
from licensing.domain.lifecycle import AMEND, RESUME, REVOKE, SUSPEND, sets_end_date
from licensing.domain.roles import AUDITOR, MINER, REGULATOR
from licensing.domain.status_changes import StatusChange
from licensing.models import Licence, db
from licensing.services import licences, tokens
from licensing.services.context import Context

# (holder, region, site) — the first holder's BIN is the demo miner's.
HOLDERS = (
    ("ТОО «Экибастуз Цифровой Майнинг»", "pavlodar", "г. Экибастуз, промзона ГРЭС-1, участок 14"),
    ("АО «Павлодар Дата Энерджи»", "pavlodar", "г. Павлодар, Северная промышленная зона, 7"),
    ("ТОО «Qazaq Hash Power»", "karaganda", "г. Темиртау, ул. Металлургов, 51/2"),
    ("ТОО «Сарыарка Компьют»", "karaganda", "г. Караганда, Майкудук, промбаза 3"),
    ("ТОО «Altai Green Mining»", "east_kazakhstan", "г. Усть-Каменогорск, ул. Промышленная, 18"),
    ("ИП Сериков Аскар Болатович", "akmola", "Целиноградский р-н, с. Акмол, склад 2"),
    ("ТОО «Astana Compute Hub»", "astana", "г. Астана, индустриальный парк №2, блок C"),
    ("ТОО «Жетысу Энергоблок»", "jetisu", "г. Талдыкорган, ул. Жансугурова, 240"),
    ("ТОО «Ulytau Data Center»", "ulytau", "г. Жезказган, промплощадка ТЭЦ"),
    (
        "АО «Kazakh Digital Infrastructure»",
        "almaty",
        "г. Алматы, Алатауский р-н, ул. Бекмаханова, 96",
    ),
    ("ТОО «Мангистау Кристалл»", "mangystau", "г. Актау, промзона 6, участок 31"),
    ("ТОО «Shymkent Hash»", "shymkent", "г. Шымкент, Енбекшинский р-н, промзона Бадам"),
    ("ТОО «Костанай Вычислительные Системы»", "kostanay", "г. Рудный, ул. Горняков, 3"),
    ("ИП Ахметова Динара Ермековна", "north_kazakhstan", "г. Петропавловск, ул. Жамбыла, 300"),
    ("ТОО «Aktobe Power Compute»", "aktobe", "г. Актобе, промзона, ул. Ломоносова, 2"),
    ("ТОО «Семей Майнинг Групп»", "abai", "г. Семей, Промышленный р-н, 12"),
    ("ТОО «Atyrau Flare Gas Compute»", "atyrau", "Жылыойский р-н, месторождение, площадка 4"),
    ("ТОО «Turkistan Solar Data»", "turkistan", "Сауранский р-н, СЭС Туркестан, модуль 2"),
    ("ТОО «Тараз Энерго Дата»", "jambyl", "г. Тараз, ул. Ниеткалиева, 82"),
    ("ТОО «Qyzylorda Compute»", "kyzylorda", "г. Кызылорда, промзона Тасбугет"),
    ("ТОО «Oral Data Systems»", "west_kazakhstan", "г. Уральск, ул. Промышленная, 9"),
    ("ТОО «Капшагай Хостинг»", "almaty_region", "г. Конаев, промзона, участок 77"),
)

# Each licence's story after it is issued.
STORIES = (
    (),
    (SUSPEND,),
    (SUSPEND, RESUME),
    (REVOKE,),
    (SUSPEND, RESUME, SUSPEND, REVOKE),
    (AMEND,),
    (SUSPEND, RESUME, SUSPEND),
    (),
    (SUSPEND, REVOKE),
)

REASONS = {
    SUSPEND: [
        (
            "violation_found",
            "Потребление электроэнергии сверх квоты, выделенной системным оператором.",
        ),
        ("violation_found", "Не представлена отчётность о цифровом майнинге за квартал."),
        ("court_order", "Определение суда об обеспечении иска."),
        ("holder_request", "Заявление лицензиата о приостановлении на время реконструкции."),
    ],
    RESUME: [
        ("violation_remedied", "Нарушение устранено, отчётность представлена."),
        ("violation_remedied", "Потребление приведено в соответствие с квотой, акт проверки."),
        ("holder_request", "Реконструкция завершена, заявление лицензиата."),
    ],
    REVOKE: [
        ("unremedied_violation", "Нарушение не устранено в срок приостановления."),
        ("court_order", "Решение суда о лишении лицензии вступило в силу."),
        ("holder_request", "Заявление лицензиата о прекращении деятельности."),
    ],
}
LEGAL_BASIS = "Закон РК «О цифровых активах в Республике Казахстан», ст. 9"
LICENCES = 36


def load(ctx: Context) -> int:
    """Fill an empty register; returns how many licences were added (0 if it was not empty)."""
    if db.session.scalar(select(func.count()).select_from(Licence)):
        return 0
    rng = random.Random(2023)
    bins = _holder_bins(rng)
    today = ctx.policy.today(clock.now())
    decided = 0
    for i in range(LICENCES):
        holder = i % len(HOLDERS) if i < len(HOLDERS) else rng.randrange(len(HOLDERS))
        name, region, site = HOLDERS[holder]
        issued = today - timedelta(days=rng.randrange(20, 880))
        outcome = licences.issue(
            ctx,
            Application(
                holder_name=name,
                holder_bin=bins[holder],
                subtype=rng.choice(("I", "I", "II")),
                site_address=site,
                region=region,
                capacity_mw=Decimal(
                    rng.choice(("2.5", "5", "7.2", "12", "15.75", "20", "48", "100"))
                ),
                issued_on=issued,
            ),
        )
        number = outcome.licence.number
        for action in STORIES[i % len(STORIES)]:
            if action == AMEND:
                reason = "Расширение мощности по согласованию с системным оператором."
                licences.amend(ctx, number, Amend({"capacity_mw": Decimal("30")}, reason))
                continue
            code, reason = rng.choice(REASONS[action])
            until = add_months(today, rng.randrange(2, 6)) if sets_end_date(action) else None
            decided += 1
            change = StatusChange(code, reason, LEGAL_BASIS, _decision(decided, code, today), until)
            licences.change_status(ctx, number, ChangeStatus(action, change))
    return LICENCES


def _decision(n: int, reason_code: str, today: date) -> Decision:
    """The demo's n-th decision: the licensor's order, or a court's decision for a court order."""
    if reason_code == COURT_ORDER:
        return Decision(f"7594-{today:%y}-00-2а/{n}", today, COURT)
    return Decision(f"{n}-ЛЦ/{today.year}", today, LICENSOR)


def make_tokens() -> list[tuple[str, str, str, str | None]]:
    """Fresh demo tokens (any earlier demo tokens are revoked): (role, name, secret, BIN)."""
    miner_bin = _holder_bins(random.Random(2023))[0]
    made = []
    for role, holder_bin in ((REGULATOR, None), (AUDITOR, None), (MINER, miner_bin)):
        name = f"demo-{role}"
        tokens.revoke(name)
        made.append((role, name, tokens.create(name, role, holder_bin), holder_bin))
    return made


def miner_licences() -> list[str]:
    """The numbers of the demo miner's licences, so a newcomer knows which ones its token reads."""
    miner_bin = _holder_bins(random.Random(2023))[0]
    query = select(Licence.number).where(Licence.holder_bin == miner_bin).order_by(Licence.number)
    return list(db.session.scalars(query))


def _holder_bins(rng: random.Random) -> list[str]:
    bins: list[str] = []
    while len(bins) < len(HOLDERS):
        if HOLDERS[len(bins)][0].startswith("ИП"):
            # an individual's IIN: birth date, century-and-sex digit, serial
            stem = (
                f"{rng.randrange(60, 99):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
                f"{rng.choice('34')}{rng.randrange(0, 10_000):04d}"
            )
        else:
            # a legal entity's BIN: registration year and month, 4 (resident entity), serial
            year, month = rng.randrange(5, 24), rng.randrange(1, 13)
            stem = f"{year:02d}{month:02d}4{rng.randrange(0, 1_000_000):06d}"
        full = with_check_digit(stem)
        if full and full not in bins:
            bins.append(full)
    return bins
