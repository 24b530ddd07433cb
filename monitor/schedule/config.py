"""The ``[schedule]`` table of ``monitor.toml``: when the daemon runs what, and its logs.

```toml
[schedule]
fetch = "0 * * * *"        # crontab, or "every 30m": fetch due sources and tally
report = "0 6 * * 1"       # write the due reports, Mondays 06:00
timezone = "UTC"           # an IANA name such as "Asia/Shanghai"
misfire_grace = "15m"      # a job missed by less than this (asleep, busy) still runs once
lock_wait = "60s"          # how long a run waits for another's lock before giving up
reports = "reports"        # where reports go, relative to monitor.toml
log_file = "logs/monitor.log"  # default: stderr
log_max_size = "10MB"      # then rotated
log_backups = 5
```

Crontab weekdays are the standard ones (0 or 7 = Sunday, 1 = Monday); APScheduler 3
numbers them from Monday, so they are translated to names before it sees them.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ..sources.config import SourceConfigError, _size, config_path, parse_duration

KEYS = {"fetch", "report", "timezone", "misfire_grace", "lock_wait", "reports", "log_file",
        "log_max_size", "log_backups"}
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleConfigError(SourceConfigError):
    """A ``[schedule]`` value that cannot be used; the message names the key and the fix."""


@dataclass
class ScheduleConfig:
    path: Path | None = None
    fetch: str = "0 * * * *"
    report: str = "0 6 * * 1"
    timezone: str = "UTC"
    misfire_grace: float = 900.0
    lock_wait: float = 60.0
    reports: Path = Path("reports")
    log_file: Path | None = None
    log_max_bytes: int = 10 * 1024 * 1024
    log_backups: int = 5


def load_schedule(path: str | os.PathLike[str] | None = None) -> ScheduleConfig:
    found = config_path(path)
    if not found.is_file():
        if path is not None or os.environ.get("MONITOR_CONFIG"):
            raise ScheduleConfigError(f"{found}: config file not found")
        return ScheduleConfig()
    try:
        data = tomllib.loads(found.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScheduleConfigError(f"{found}: not valid TOML: {exc}") from None
    return parse_schedule(data, str(found), found.parent, found)


def parse_schedule(data: dict[str, Any], where: str = "monitor.toml", base: Path | None = None,
                   path: Path | None = None) -> ScheduleConfig:
    base = base or Path(".")
    table = data.get("schedule", {})
    if not isinstance(table, dict):
        raise ScheduleConfigError(f"{where}: schedule: expected a [schedule] table")
    for key in table:
        if key not in KEYS:
            raise ScheduleConfigError(f"{where}: schedule.{key}: unknown key; expected one of "
                                      + ", ".join(sorted(KEYS)))
    config = ScheduleConfig(path=path, reports=base / "reports")
    config.timezone = _timezone(f"{where}: schedule.timezone",
                                table.get("timezone", config.timezone))
    for key in ("fetch", "report"):
        if key in table:
            value = table[key]
            trigger(value if isinstance(value, str) else "", config.timezone,
                    f"{where}: schedule.{key}")
            setattr(config, key, value)
    try:
        for key in ("misfire_grace", "lock_wait"):
            if key in table:
                setattr(config, key, parse_duration(table[key], f"{where}: schedule.{key}"))
    except SourceConfigError as exc:
        raise ScheduleConfigError(str(exc)) from None
    for key in ("reports", "log_file"):
        if key in table:
            value = table[key]
            if not isinstance(value, str) or not value:
                raise ScheduleConfigError(f"{where}: schedule.{key}: must be a path (a string)")
            setattr(config, key, Path(value) if Path(value).is_absolute() else base / value)
    if "log_max_size" in table:
        config.log_max_bytes = _size(f"{where}: schedule.log_max_size", table["log_max_size"])
    if "log_backups" in table:
        value = table["log_backups"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ScheduleConfigError(f"{where}: schedule.log_backups: {value!r} is not a"
                                      " whole number >= 0")
        config.log_backups = value
    return config


def trigger(expr: str, timezone: str, where: str) -> Any:
    """``every 30m`` as an interval trigger, anything else as a crontab expression."""
    if expr.strip().lower().startswith("every "):
        from apscheduler.triggers.interval import IntervalTrigger

        try:
            seconds = parse_duration(expr.strip()[6:], where)
        except SourceConfigError as exc:
            raise ScheduleConfigError(str(exc)) from None
        return IntervalTrigger(seconds=seconds, timezone=timezone)
    return cron_trigger(expr, timezone, where)


def cron_trigger(expr: str, timezone: str, where: str = "cron") -> Any:
    """An APScheduler ``CronTrigger`` for a standard 5-field crontab expression."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expr.split()
    if len(fields) != 5:
        raise ScheduleConfigError(f"{where}: {expr!r} is not a crontab expression (five"
                                  " fields: minute hour day month weekday, e.g. \"0 6 * * 1\")")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=standard_weekdays(weekday), timezone=timezone)
    except ValueError as exc:
        raise ScheduleConfigError(f"{where}: {expr!r}: {exc}") from None


def standard_weekdays(field: str) -> str:
    """A crontab weekday field with numbers (0/7 = Sunday) rewritten as day names."""
    if field == "*" or not re.fullmatch(r"[\d,\-/*]+", field):
        return field  # every day, or names (mon-fri) that need no translation
    days: set[int] = set()
    for part in field.split(","):
        spec, _, step = part.partition("/")
        if spec == "*":
            low, high = 0, 6
        elif "-" in spec:
            low, high = (int(x) for x in spec.split("-", 1))
        else:
            low = high = int(spec)
        if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high):
            raise ValueError(f"weekday {part!r} out of range (0-7, 0 and 7 = Sunday)")
        days.update(d % 7 for d in range(low, high + 1, int(step or 1)))
    return ",".join(_DAYS[d] for d in sorted(days))


def _timezone(where: str, value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleConfigError(f"{where}: {value!r} is not a time zone name such as"
                                  " \"UTC\" or \"Europe/Berlin\"") from None
    return str(value)
