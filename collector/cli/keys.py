"""``stepsense keys``: API keys of a site."""

import click
from flask.cli import with_appcontext

from collector.cli.output import echo_json
from collector.tenancy.keys import SCOPES


@click.group("keys", help="Manage API keys.")
def keys_group() -> None:
    pass


@keys_group.command("create")
@click.option("--site", "site_id", type=int, required=True, help="Site id, as printed by 'sites create'.")
@click.option("--scopes", default="read", show_default=True, help=f"Comma-separated: {', '.join(SCOPES)}.")
@click.option("--name", default="", help="A label to recognise the key by.")
@with_appcontext
def keys_create(site_id: int, scopes: str, name: str) -> None:
    """Create an API key; prints its secret once."""
    from collector.extensions import db
    from collector.models import Site
    from collector.tenancy.keys import create_api_key

    site = db.session.get(Site, site_id)
    if site is None:
        raise click.BadParameter(f"no site {site_id}", param_hint="--site")
    try:
        key, secret = create_api_key(db.session, site, [s.strip() for s in scopes.split(",") if s.strip()], name)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--scopes") from None
    db.session.commit()
    echo_json({"id": key.id, "site": site.id, "scopes": key.scopes, "prefix": key.prefix, "secret_key": secret})
