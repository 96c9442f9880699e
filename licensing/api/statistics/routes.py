"""Routes of /api/v1/statistics."""

from __future__ import annotations

import hashlib

from flask import Response, current_app, json
from flask.views import MethodView

from licensing.api.conditional import etag, not_modified
from licensing.api.parsing import Blueprint
from licensing.api.statistics.schemas import StatisticsSchema, statistics_record
from licensing.api.status.routes import REVALIDATE, VALIDATED_COPY
from licensing.domain.statistics import Numbers
from licensing.http.ratelimit import public_limit
from licensing.services import statistics

blp = Blueprint("statistics", __name__, description="The register in numbers: no token needed")
public_limit(blp)


def numbers_tag(numbers: Numbers) -> str:
    """The numbers change only with the trail's head and the day standings are worked out for."""
    state = f"{numbers.as_of_seq} {numbers.as_of_hash} {numbers.today}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


@blp.route("")
class Statistics(MethodView):
    @blp.response(200, StatisticsSchema, headers=VALIDATED_COPY)
    @blp.alt_response(
        304, description="The copy named in `If-None-Match` is current", headers=VALIDATED_COPY
    )
    def get(self) -> Response:
        """Licences by standing, region and subtype; licensed capacity by region and subtype;
        decisions per month; all as of one seq of the audit trail."""
        numbers = statistics.register_numbers(current_app.config["LICENSING_POLICY"])
        tag = numbers_tag(numbers)
        headers = {"ETag": etag(tag), "Cache-Control": REVALIDATE}
        return not_modified(tag, **{"Cache-Control": REVALIDATE}) or Response(
            json.dumps(StatisticsSchema().dump(statistics_record(numbers))),
            content_type="application/json",
            headers=headers,
        )
