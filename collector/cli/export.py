"""``stepsense export``: the API's exports, written to a file or stdout."""

import sys
from contextlib import nullcontext

import click
from flask.cli import with_appcontext

from collector.exports import FORMATS

BINARY = ("xlsx", "lucid", "journey-table-xlsx")


@click.command("export")
@click.option("--journey", "journey_key", required=True, help="Journey key, e.g. checkout.")
@click.option("--format", "export_format", required=True, type=click.Choice(FORMATS))
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write; - (default) is stdout.",
)
@click.option("--site", "site_id", type=int, help="Site id; needed when there is more than one site.")
@click.option("--from", "from_", help="Inclusive start, ISO 8601.")
@click.option("--to", help="Exclusive end, ISO 8601.")
@click.option("--device")
@click.option("--locale")
@click.option("--variant")
@click.option("--url-path", help="URL path prefix.")
@click.option("--language", help="Only answers whose comment is in this language (ISO 639-1, e.g. de).")
@click.option("--attr", multiple=True, help="key:value attribute filter; repeat to require several.")
@with_appcontext
def export_command(
    journey_key, export_format, output, site_id, from_, to, device, locale, variant, url_path, language, attr
) -> None:
    """Export a journey (same formats and filters as GET /v1/journeys/KEY/export); progress on stderr."""
    import marshmallow as ma
    import sqlalchemy as sa

    from collector import exports
    from collector.api.responses.schemas import SegmentArgsSchema
    from collector.extensions import db
    from collector.models import Journey, Site

    raw = {
        "from": from_,
        "to": to,
        "device": device,
        "locale": locale,
        "variant": variant,
        "url_path": url_path,
        "language": language,
        "attr": list(attr),
    }
    try:
        filters = SegmentArgsSchema().load({k: v for k, v in raw.items() if v not in (None, [])})
    except ma.ValidationError as error:
        raise click.UsageError(f"bad filter: {error.messages}") from None
    if site_id is None:
        site_ids = db.session.scalars(sa.select(Site.id).limit(2)).all()
        if len(site_ids) != 1:
            raise click.UsageError("pass --site (there is not exactly one site)")
        site_id = site_ids[0]
    journey = db.session.scalar(sa.select(Journey).where(Journey.site_id == site_id, Journey.key == journey_key))
    if journey is None:
        raise click.BadParameter(f"no journey '{journey_key}' on site {site_id}", param_hint="--journey")
    if output == "-" and export_format in BINARY and sys.stdout.isatty():
        raise click.UsageError(f"{export_format} is binary: pass -o FILE")

    chosen = exports.REGISTRY[export_format]
    total = exports.count_responses(db.session, journey, filters) if chosen.per_response else 0
    bar = (
        click.progressbar(length=total, label=f"Exporting {total:,} answers as {export_format}", file=sys.stderr)
        if total
        else nullcontext(None)
    )
    with bar as progress, click.open_file(output, "wb") as out:
        for chunk in chosen.write(db.session, journey, filters, progress.update if progress else None):
            out.write(chunk)
    if output != "-":
        click.echo(f"Wrote {output}", err=True)
