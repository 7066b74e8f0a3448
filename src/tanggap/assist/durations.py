"""Durations in a draft's time promises ("dalam 2 jam", "besok pagi", "within two hours", "by tomorrow")
as hours, and the honest alternative worded from the team's history. Pure: no Django. Used by the
coach's *honesty* rule.
"""

from __future__ import annotations

import math
import re

_F = re.IGNORECASE


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _F)


_NUMBER_WORDS = {
    "satu": 1,
    "se": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "sebelas": 11,
    "setengah": 0.5,
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "half": 0.5,
    "couple": 2,
}
_UNIT_HOURS = {
    "menit": 1 / 60,
    "minute": 1 / 60,
    "minutes": 1 / 60,
    "min": 1 / 60,
    "mins": 1 / 60,
    "jam": 1,
    "hour": 1,
    "hours": 1,
    "hr": 1,
    "hrs": 1,
    "hari": 24,
    "day": 24,
    "days": 24,
    "minggu": 168,
    "pekan": 168,
    "week": 168,
    "weeks": 168,
    "bulan": 720,
    "month": 720,
    "months": 720,
}
_NUM = (
    r"(?:\d+(?:[.,]\d+)?(?:\s*[-–]\s*\d+)?|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas"
    r"|setengah|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|an?|half\s+an?|a\s+couple\s+of)"
)
_UNIT = (
    r"(?:menit|jam|hari(?:\s+kerja)?|minggu|pekan|bulan|minutes?|mins?|hours?|hrs?|(?:business\s+|working\s+)?days?"
    r"|weeks?|months?)"
)
DURATION = _compile(
    rf"\b(?P<prefix>(?:dalam|maksimal|maks|paling\s+lambat|kurang\s+dari|dlm|within|in|under|in\s+less\s+than)"
    rf"(?:\s+(?:waktu|the\s+next|about|around|approximately|roughly|just|sekitar|kurang\s+lebih))?\s+)"
    rf"(?:(?P<x24>\d+)\s*x\s*24\s*jam|(?P<num>{_NUM})\s*(?P<unit>{_UNIT})(?:\s+lagi)?|(?P<se>se)(?P<seunit>jam|hari|minggu)"
    rf"|the\s+hour)\b"
)
NAMED_TIME = _compile(
    r"\b(?:(?:paling\s+lambat|sebelum|by|before)\s+)?(?P<name>hari\s+ini(?:\s+juga)?|(?:sore|siang|malam)\s+ini"
    r"|besok(?:\s+(?:pagi|siang|sore|malam))?|lusa|today|tonight|later\s+today|this\s+(?:afternoon|evening)"
    r"|end\s+of\s+(?:the\s+)?day|tomorrow(?:\s+(?:morning|afternoon|evening|night))?|the\s+day\s+after\s+tomorrow)\b"
)
_NAMED_HOURS = {"besok": 24, "lusa": 48, "tomorrow": 24, "the day after": 48}


def _number(text: str) -> float | None:
    text = text.lower().strip()
    if re.match(r"^\d", text):
        last = re.split(r"\s*[-–]\s*", text)[-1]  # a range promises its upper end
        return float(last.replace(",", "."))
    text = re.sub(r"\s+(?:an?|of)$", "", text)
    return _NUMBER_WORDS.get(text.split()[-1] if text.split() else "")


def duration_hours(match: re.Match[str]) -> float | None:
    if match.group("x24"):
        return float(match.group("x24")) * 24
    if match.group("se"):
        return _UNIT_HOURS[match.group("seunit").lower()]
    if match.group("num"):
        value = _number(match.group("num"))
        unit = match.group("unit").lower().split()[-1]
        unit = {"kerja": "hari"}.get(unit, unit)
        return None if value is None else value * _UNIT_HOURS[unit]
    return 1.0  # "within the hour"


def named_hours(name: str) -> float:
    name = name.lower()
    for key, hours in _NAMED_HOURS.items():
        if key in name:
            return hours
    return 8.0  # today / hari ini / this afternoon: what is left of a working day


def floor_phrase(language: str, floor: float) -> str:
    if floor >= 24:
        days = math.ceil(floor / 24)
        return f"dalam sekitar {days} hari" if language == "id" else f"within about {days} days"
    hours = format_hours(math.ceil(floor * 2) / 2)
    return f"dalam sekitar {hours} jam" if language == "id" else f"within about {hours} hours"


def format_hours(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
