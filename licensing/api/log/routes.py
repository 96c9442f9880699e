"""The transparency log: /log (C2SP checkpoint and tiles, for mirrors and witnesses) and
/api/v1/log (its description and proofs as JSON)."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort

from licensing.api.log.schemas import (
    ConsistencyProofSchema,
    ConsistencyQuerySchema,
    InclusionProofSchema,
    InclusionQuerySchema,
    LogSchema,
)
from licensing.api.parsing import Blueprint
from licensing.api.problems import problem
from licensing.domain import merkle
from licensing.http.ratelimit import public_limit
from licensing.services import transparency

blp = Blueprint("log", __name__, description="The trail as a transparency log: proofs")
tiles = Blueprint(
    "tiles", __name__, description="The log as C2SP tlog-tiles: checkpoint, tiles, entries"
)
public_limit(blp)
public_limit(tiles)

IMMUTABLE = "public, max-age=31536000, immutable"
PARTIAL = "public, max-age=10"  # a partial tile stays true, but its full tile will replace it
_BINARY = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}


NOTE = "text/plain; charset=utf-8"
# a level in ASCII decimal without leading zeros (the route's int converter took "00" and "٠")
_LEVEL = re.compile(r"0|[1-9][0-9]?")


@tiles.errorhandler(transparency.NotYetCosigned)
def _not_cosigned(error: transparency.NotYetCosigned) -> Response:
    return problem(
        503,
        f"No checkpoint has yet been cosigned by {error.args[0]} witnesses. Retry shortly.",
        kind="not-yet-cosigned",
        headers={"Retry-After": "60"},
    )


@blp.route("")
class Log(MethodView):
    @blp.response(200, LogSchema)
    def get(self) -> dict[str, Any]:
        """What a verifier needs to follow the log: its origin and keys, its size and root, and
        the witnesses it submits to."""
        signer, settings = _log()
        head = transparency.published_head()
        return {
            "origin": settings.origin,
            "vkey": transparency.log_vkey(signer, settings),
            "retired_vkeys": transparency.retired_vkeys(settings),
            "size": head.size,
            "root": head.root,
            "witnesses": [{"name": w.name, "vkey": w.vkey} for w in settings.witnesses],
        }


@tiles.route("/checkpoint")
class Checkpoint(MethodView):
    @tiles.response(200, content_type=NOTE)
    @tiles.doc(
        responses={
            "200": {
                "description": "A C2SP checkpoint as a signed note, with its cosignatures",
                "content": {NOTE: {"schema": {"type": "string"}}},
            }
        }
    )
    @tiles.alt_response(503, description="With a quorum: none cosigned by enough witnesses yet")
    def get(self) -> Response:
        """The log's signed tree head (C2SP tlog-checkpoint), cosigned by the witnesses that saw
        it."""
        signed = transparency.checkpoint(*_log())
        return Response(
            signed.note,
            content_type=NOTE,
            headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"},
        )


def _log() -> tuple[Any, Any]:
    return current_app.extensions["licensing.signer"], current_app.config["LICENSING_LOG"]


@blp.route("/proof/inclusion")
class Inclusion(MethodView):
    @blp.arguments(InclusionQuerySchema, location="query")
    @blp.response(200, InclusionProofSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The RFC 9162 inclusion proof of the event `seq` in the tree of `size` events."""
        _, proof = transparency.inclusion(query["seq"], query.get("size"))
        return {"seq": proof.index + 1, **vars(proof)}


@blp.route("/proof/consistency")
class Consistency(MethodView):
    @blp.arguments(ConsistencyQuerySchema, location="query")
    @blp.response(200, ConsistencyProofSchema)
    def get(self, query: dict[str, Any]) -> transparency.ConsistencyProof:
        """The RFC 9162 consistency proof that the tree of `to` events extends that of `from`."""
        return transparency.consistency(query["old"], query["new"])


@tiles.route("/tile/<level>/<path:index>")
class MerkleTile(MethodView):
    @tiles.response(200, content_type="application/octet-stream")
    @tiles.doc(responses={"200": {"description": "The tile's hashes", "content": _BINARY}})
    @tiles.alt_response(404, description="The tree holds no such tile (yet, or at that width)")
    def get(self, level: str, index: str) -> Response:
        """A tile: the hashes at tree level 8L of tile N (`x001/234`), `.p/W` for a partial one."""
        n, width = _tile(index)
        if not _LEVEL.fullmatch(level) or int(level) > 63:
            abort(404, message="Tile levels are 0 to 63, in decimal, without leading zeros.")
        height = int(level)
        return _served(lambda: transparency.tile(height, n, width or merkle.TILE_WIDTH), width)


@tiles.route("/tile/entries/<path:index>")
class EntryBundle(MethodView):
    @tiles.response(200, content_type="application/octet-stream")
    @tiles.doc(responses={"200": {"description": "The leaves' data", "content": _BINARY}})
    @tiles.alt_response(404, description="The tree holds no such bundle (yet, or at that width)")
    def get(self, index: str) -> Response:
        """An entry bundle: each leaf's data (its event's 32-byte hash), uint16-length-prefixed."""
        n, width = _tile(index)
        return _served(lambda: transparency.entries(n, width or merkle.TILE_WIDTH), width)


def _tile(index: str) -> tuple[int, int | None]:
    try:
        return merkle.tile_path_index(index)
    except ValueError as error:
        abort(404, message=f"No such tile path: {error}.")
        raise  # unreachable: abort raises


def _served(read: Any, width: int | None) -> Response:
    try:
        body = read()
    except transparency.TileNotFound:
        abort(404, message="The tree holds no such tile (yet, or at that width).")
    cache = PARTIAL if width else IMMUTABLE
    return Response(
        body,
        content_type="application/octet-stream",
        headers={"Cache-Control": cache, "Access-Control-Allow-Origin": "*"},
    )
