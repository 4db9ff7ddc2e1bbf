"""CX API: the key's own site (settings, origins) and its API keys."""

from flask import g, request
from flask.views import MethodView

from collector.api.auth import require_scope
from collector.api.hooks import require_json_body
from collector.api.json_input import Blueprint
from collector.api.site.schemas import ApiKeyListSchema, ApiKeySchema, NewApiKeySchema, SitePatchSchema, SiteSchema
from collector.extensions import db
from collector.tenancy import sites

blp = Blueprint("site", __name__, url_prefix="/v1", description="The key's site and its API keys.")
blp.before_request(require_json_body)


def _site_view():
    return {
        **{
            name: getattr(g.site, name)
            for name in ("name", "public_key", "origins", "auto_register", "retention_days", "created_at")
        },
        "settings": sites.merged_settings(g.site),
        "embed_snippet": sites.embed_snippet(g.site, request.host_url),
    }


def _with_secret(key, secret: str) -> dict:
    """A new key as stored, plus its secret for this one response."""
    return {**{column.key: getattr(key, column.key) for column in key.__table__.columns}, "secret_key": secret}


@blp.route("/site")
class SiteView(MethodView):
    @require_scope("read")
    @blp.response(200, SiteSchema)
    def get(self):
        """The site this key belongs to, with its widget settings and embed snippet."""
        return _site_view()

    @require_scope("admin")
    @blp.arguments(SitePatchSchema(partial=True))
    @blp.response(200, SiteSchema)
    def patch(self, values):
        """Change the name, allowed origins, retention or widget settings."""
        sites.update_site(db.session, g.site, values)
        return _site_view()


@blp.route("/keys")
class Keys(MethodView):
    @require_scope("admin")
    @blp.response(200, ApiKeyListSchema)
    def get(self):
        """The site's API keys (never their secrets)."""
        return {"items": sites.list_keys(db.session, g.site)}

    @require_scope("admin")
    @blp.arguments(ApiKeySchema)
    @blp.response(201, NewApiKeySchema)
    def post(self, values):
        """Create a key; its secret is in this response only."""
        key, secret = sites.issue_key(db.session, g.site, values["scopes"], values["name"])
        return _with_secret(key, secret)


@blp.route("/keys/<int:key_id>", methods=["DELETE"])
@require_scope("admin")
@blp.response(204)
@blp.alt_response(404, description="No such key on this site.")
def revoke_key(key_id):
    """Revoke a key at once."""
    sites.revoke_key(db.session, g.site, key_id)


@blp.route("/keys/<int:key_id>/rotate", methods=["POST"])
@require_scope("admin")
@blp.response(201, NewApiKeySchema)
@blp.alt_response(404, description="No such key on this site.")
def rotate_key(key_id):
    """Replace a key by a new one with the same scopes; the old one stops working."""
    key, secret = sites.rotate_key(db.session, g.site, key_id)
    return _with_secret(key, secret)
