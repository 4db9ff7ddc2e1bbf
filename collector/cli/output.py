"""How commands print their results."""

import json

import click


def echo_json(value: dict) -> None:
    """Print a command's result as indented JSON (dates as ISO text)."""
    click.echo(json.dumps(value, indent=2, default=str))
