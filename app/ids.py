"""Opaque, time-sortable identifiers (UUIDv7, canonical text form)."""

import uuid6


def new_id() -> str:
    return str(uuid6.uuid7())
