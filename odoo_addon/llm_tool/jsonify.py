"""Turn what Odoo methods return into JSON values (never Python ``repr``)."""

import datetime

from markupsafe import Markup

from odoo import fields, models


def to_json(value):
    """A JSON-serialisable copy of ``value``: recordsets become id lists, dates ISO strings (UTC)."""
    if value is None or isinstance(value, (bool, int, float, str)) and not isinstance(value, Markup):
        return value
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, models.BaseModel):
        return value.ids
    if isinstance(value, datetime.datetime):
        return fields.Datetime.to_string(value)
    if isinstance(value, datetime.date):
        return fields.Date.to_string(value)
    if isinstance(value, (bytes, bytearray)):
        return {"binary": True, "bytes": len(value)}
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(item) for item in value]
    return str(value)
