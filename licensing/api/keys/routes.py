"""/.well-known/jwks.json: every public key the registry signs or signed with."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app, json
from flask.views import MethodView
from marshmallow import fields

from licensing.api.parsing import Blueprint
from licensing.http.ratelimit import public_limit
from licensing.services import signing

blp = Blueprint("keys", __name__, description="Public keys for checking signatures")


class JwkSchema(ma.Schema):
    kty = fields.String(metadata={"example": "OKP"})
    crv = fields.String(metadata={"example": "Ed25519"})
    x = fields.String()
    kid = fields.String(metadata={"description": "RFC 7638 thumbprint"})
    alg = fields.String(metadata={"example": "EdDSA"})
    use = fields.String(metadata={"example": "sig"})


class JwksSchema(ma.Schema):
    keys = fields.List(fields.Nested(JwkSchema))


public_limit(blp)


@blp.route("/jwks.json")
class Jwks(MethodView):
    @blp.response(200, content_type="application/jwk-set+json")
    @blp.doc(
        responses={
            "200": {
                "description": "Every public key, the current ones first",
                "content": {"application/jwk-set+json": {"schema": JwksSchema}},
            }
        }
    )
    def get(self) -> Response:
        """The registry's public keys as a JWKS, retired ones kept for checking old signatures."""
        current_app.extensions["licensing.signer"].current()  # published before it is ever used
        body = json.dumps(signing.jwks())
        return Response(
            body, content_type="application/jwk-set+json", headers={"Cache-Control": "max-age=300"}
        )
