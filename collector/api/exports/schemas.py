"""Export parameters: the curve's window and segment filters plus the format."""

from marshmallow import fields, validate

from collector.api.responses.schemas import SegmentArgsSchema
from collector.exports import FORMATS, REGISTRY


class ExportArgsSchema(SegmentArgsSchema):
    format = fields.String(
        required=True,
        validate=validate.OneOf(FORMATS),
        metadata={"description": "; ".join(f"`{name}`: {f.description}" for name, f in REGISTRY.items())},
    )
