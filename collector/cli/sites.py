"""``stepsense sites``: create and list tenants."""

import json

import click
from flask.cli import with_appcontext

from collector.cli.output import echo_json


@click.group("sites", help="Create and list sites (tenants).")
def sites_group() -> None:
    pass


@sites_group.command("create")
@click.option("--name", required=True, help="Shown in the dashboard.")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    required=True,
    help="An origin allowed to embed the widget, e.g. https://shop.example.com; repeat for more.",
)
@with_appcontext
def sites_create(name: str, origins: tuple[str, ...]) -> None:
    """Create a site; prints its public key and an admin secret key (shown only once)."""
    from collector.extensions import db
    from collector.tenancy.sites import create_site

    try:
        site, secret = create_site(db.session, name, list(origins))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--origin") from None
    db.session.commit()
    echo_json(
        {"id": site.id, "name": site.name, "public_key": site.public_key, "origins": site.origins, "secret_key": secret}
    )


@sites_group.command("list")
@with_appcontext
def sites_list() -> None:
    """List sites (never their keys' secrets)."""
    import sqlalchemy as sa

    from collector.extensions import db
    from collector.models import Site

    for site in db.session.scalars(sa.select(Site).order_by(Site.id)):
        click.echo(
            json.dumps({"id": site.id, "name": site.name, "public_key": site.public_key, "origins": site.origins})
        )
