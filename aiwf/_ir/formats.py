"""Checks for the ``format`` values aiwf supports (see docs/contracts.md)."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, time

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_URI_REF = re.compile(r"^[^\s]*$")
_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)


def _parses(parse: Callable[[str], object], v: str, errors: type[Exception] = ValueError) -> bool:
    """Whether ``parse`` accepts ``v``."""
    try:
        parse(v)
    except errors:
        return False
    return True


def _date(v: str) -> bool:
    return bool(_DATE.match(v)) and _parses(date.fromisoformat, v)


def _time(v: str) -> bool:
    return bool(_TIME.match(v)) and _parses(time.fromisoformat, v[:8])


def _datetime(v: str) -> bool:
    if len(v) < 11 or v[10] not in "Tt ":
        return False
    return _date(v[:10]) and _time(v[11:]) and _parses(datetime.fromisoformat, v[:19])


def _ip(version: int) -> Callable[[str], bool]:
    def check(v: str) -> bool:
        try:
            return ipaddress.ip_address(v).version == version
        except ValueError:
            return False

    return check


def _uuid(v: str) -> bool:
    return len(v) == 36 and _parses(uuid.UUID, v)


def _regex(v: str) -> bool:
    return _parses(re.compile, v, re.error)


CHECKS: dict[str, Callable[[str], bool]] = {
    "date": _date,
    "time": _time,
    "date-time": _datetime,
    "duration": lambda v: bool(_DURATION.match(v)),
    "email": lambda v: bool(_EMAIL.match(v)),
    "hostname": lambda v: bool(_HOST.match(v)),
    "ipv4": _ip(4),
    "ipv6": _ip(6),
    "uri": lambda v: bool(_URI.match(v)),
    "uri-reference": lambda v: bool(_URI_REF.match(v)),
    "uuid": _uuid,
    "regex": _regex,
}


def check_format(fmt: str, value: str) -> bool:
    """Whether ``value`` is a valid ``fmt``; unknown formats pass (they are annotations)."""
    check = CHECKS.get(fmt)
    return True if check is None else check(value)
