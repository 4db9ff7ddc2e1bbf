"""Bearer authentication of the CX endpoints, and its OpenAPI description."""

import functools
from collections.abc import Callable
from copy import deepcopy

from flask import g, request
from flask_smorest.utils import deepupdate

from collector.api.errors import abort
from collector.extensions import db
from collector.tenancy.keys import find_api_key, has_scope


def require_scope(scope: str) -> Callable:
    """Decorate a CX view: a Bearer key of the right scope sets ``g.site``.

    ``admin`` implies every scope; ``write`` implies ``read``.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                abort(401, "Send a secret key as 'Authorization: Bearer sk_…'.",
                      headers={"WWW-Authenticate": 'Bearer realm="stepsense"'})
            key = find_api_key(db.session, token.strip())
            if key is None:
                abort(401, "The API key is unknown or revoked.",
                      headers={"WWW-Authenticate": 'Bearer realm="stepsense", error="invalid_token"'})
            if not has_scope(key, scope):
                abort(403, f"This key lacks the '{scope}' scope.")
            g.api_key = key
            g.site = key.site
            return view(*args, **kwargs)

        # Documented in the OpenAPI spec, as flask-smorest's own decorators do.
        wrapper._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        wrapper._apidoc["manual_doc"] = deepupdate(
            deepcopy(wrapper._apidoc.get("manual_doc", {})),
            {
                "security": [{"bearerAuth": []}],
                "responses": {"401": "UNAUTHORIZED", "403": "FORBIDDEN", "429": "TOO_MANY_REQUESTS"},
            },
        )
        return wrapper

    return decorator
