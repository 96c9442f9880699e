"""The register in numbers: every count read from one snapshot of the public database, so the
totals, the months and the seq they are as of all describe the same state."""

from __future__ import annotations

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from licensing import clock
from licensing.database import public_read_engine
from licensing.domain import statistics
from licensing.domain.policy import Policy
from licensing.domain.standing import STANDINGS
from licensing.domain.statistics import CAPACITY_UNITS, DECISIONS, Group, Numbers
from licensing.domain.timestamps import format_utc
from licensing.models import AuditEvent, ChainHead, Licence
from licensing.services import transparency
from licensing.services.kept import Kept
from licensing.services.listing import standing_is

KEPT = (
    16  # snapshots kept per process, by (seq, head hash, day): the numbers change only with those
)

_kept: Kept[tuple[int, str, str], Numbers] = Kept(KEPT)


def register_numbers(policy: Policy) -> Numbers:
    """The counts by standing, region and subtype, the capacity, and the decisions of the last
    months, as of one state of the register. The register changes only with an event (its seq)
    and standings only with the day, so a state already counted is answered from memory."""
    today = policy.today(clock.now())
    with Session(public_read_engine()) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # one snapshot for every statement below, as SQLite's transaction gives by itself
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        seq, head = connection.execute(select(ChainHead.seq, ChainHead.hash)).one()
        key = (seq, head, today.isoformat())  # the hash tells two databases at one seq apart
        if (numbers := _kept.get(key)) is not None:
            return numbers
        numbers = _count(connection, policy, seq, head, today)
    _kept.put(key, numbers)
    return numbers


def _count(connection, policy: Policy, seq: int, head: str, today) -> Numbers:  # type: ignore[no-untyped-def]
    standing = case(*((standing_is(word, today), literal(word)) for word in STANDINGS))
    units = cast(func.round(Licence.capacity_mw * CAPACITY_UNITS), Integer)
    groups = connection.execute(
        select(Licence.region, Licence.subtype, standing, func.count(), func.sum(units)).group_by(
            Licence.region, Licence.subtype, standing
        )
    )
    months = statistics.recent_months(today, policy.timezone)
    # events' times are fixed-width UTC text: the month an event falls in is a text comparison
    month = case(
        *((AuditEvent.at < format_utc(m.ends), literal(index)) for index, m in enumerate(months))
    )
    decided = connection.execute(
        select(month, AuditEvent.action, func.count())
        .where(
            and_(
                AuditEvent.action.in_(DECISIONS),
                AuditEvent.at >= format_utc(months[0].starts),
                AuditEvent.at < format_utc(months[-1].ends),
            )
        )
        .group_by(month, AuditEvent.action)
    )
    return statistics.numbers(
        [
            Group(region, subtype, word, n, int(units or 0))
            for region, subtype, word, n, units in groups
        ],
        [(int(index), action, n) for index, action, n in decided],
        months,
        as_of_seq=seq,
        as_of_hash=head,
        log_size=transparency.tree_head(connection).size,
        today=today,
    )
