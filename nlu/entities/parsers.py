"""Pure parsers for ticket ids, Thai phone numbers and national id numbers.

`normalize_*` functions take one raw value and return the canonical form or None;
`find_*` functions scan a text and return `EntityMatch` spans into that same text.
Thai digits are accepted everywhere (they are translated one-for-one, so offsets hold).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from nlu.normalize import thai_digits_to_arabic

TICKET_ID = "ticket_id"
PHONE = "phone"
NATIONAL_ID = "national_id"
PROVINCE = "province"
DISTRICT = "district"
ENTITY_TYPES: tuple[str, ...] = (TICKET_ID, NATIONAL_ID, PHONE, DISTRICT, PROVINCE)

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TICKET_PREFIX = "DS"
TICKET_LENGTH = 8
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True)
class EntityMatch:
    """One entity found in a text: type, half-open span, canonical value, extras."""

    entity: str
    start: int
    end: int
    value: str
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def moved(self, start: int, end: int) -> EntityMatch:
        """The same match with another span (e.g. mapped back to the original text)."""
        return replace(self, start=start, end=end)


# --- ticket ids -------------------------------------------------------------------

# Crockford symbols plus the look-alikes I, L, O it decodes; U is never valid.
_TICKET_CHAR = "[0-9A-TV-Za-tv-z]"
_TICKET_RE = re.compile(
    rf"(?<![0-9A-Za-z])[Dd][Ss][ \-]*((?:{_TICKET_CHAR}[ \-]?){{{TICKET_LENGTH - 1}}}"
    rf"{_TICKET_CHAR})(?![0-9A-Za-z])"
)


def decode_crockford(symbols: str) -> str | None:
    """Upper-case Crockford base-32 symbols, decoding O->0 and I/L->1; None if invalid."""
    decoded = symbols.upper().translate(_LOOKALIKES)
    if all(ch in CROCKFORD_ALPHABET for ch in decoded):
        return decoded
    return None


def normalize_ticket_id(raw: str) -> str | None:
    """``ds 7k2m-9qxa`` -> ``DS-7K2M9QXA``; None unless it is DS + 8 Crockford symbols."""
    compact = re.sub(r"[\s\-]", "", thai_digits_to_arabic(raw)).upper()
    if not compact.startswith(TICKET_PREFIX):
        return None
    body = decode_crockford(compact[len(TICKET_PREFIX) :])
    if body is None or len(body) != TICKET_LENGTH:
        return None
    return f"{TICKET_PREFIX}-{body}"


def find_ticket_ids(text: str) -> list[EntityMatch]:
    """All ticket ids in `text`, with their spans and canonical values."""
    matches = []
    for m in _TICKET_RE.finditer(thai_digits_to_arabic(text)):
        value = normalize_ticket_id(m.group(0))
        if value:
            matches.append(EntityMatch(TICKET_ID, m.start(), m.end(), value))
    return matches


# --- phone numbers ----------------------------------------------------------------

_SEP = r"(?: - |[ \-.])?"


def _digits(count: int) -> str:
    return rf"(?:{_SEP}\d){{{count}}}"


# Mobile: 06/08/09 + 8 digits. Landline: 02-07 + 7 digits (02-xxx-xxxx, 0xx-xxx-xxx).
_NATIONAL = rf"(?:[689]{_digits(8)}|[2-7]{_digits(7)})"
_PHONE_RE = re.compile(
    rf"(?<![\d+])(?:\+{_SEP}66|(?<!\d)66)(?:{_SEP}\(0\)|{_SEP}0)?{_SEP}(?P<intl>{_NATIONAL})(?!\d)"
    rf"|(?<![\d+])0(?P<dom>{_NATIONAL})(?!\d)"
)


def _phone_value(match: re.Match[str]) -> str:
    national = match.group("intl") or match.group("dom")
    return "0" + re.sub(r"\D", "", national)


def normalize_phone(raw: str) -> str | None:
    """``+66 81-234-5678`` / ``๐๘๑ ๒๓๔ ๕๖๗๘`` -> ``0812345678``; None if not a Thai number."""
    m = _PHONE_RE.fullmatch(thai_digits_to_arabic(raw.strip()))
    return _phone_value(m) if m else None


def find_phones(text: str) -> list[EntityMatch]:
    """All Thai mobile and landline numbers in `text`."""
    return [
        EntityMatch(PHONE, m.start(), m.end(), _phone_value(m))
        for m in _PHONE_RE.finditer(thai_digits_to_arabic(text))
    ]


# --- national id numbers ----------------------------------------------------------

_NATIONAL_ID_RE = re.compile(
    r"(?<![\d\-])(\d)[ \-]?(\d{4})[ \-]?(\d{5})[ \-]?(\d{2})[ \-]?(\d)(?![\d])"
)


def national_id_check_digit(first12: str) -> int:
    """Check digit for the first 12 digits: (11 - sum(d_i * (13 - i)) mod 11) mod 10."""
    if len(first12) != 12 or not first12.isdigit():
        raise ValueError("need exactly 12 digits")
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


def is_valid_national_id(raw: str) -> bool:
    """True for 13 digits (dashes/spaces ignored) whose mod-11 check digit is right."""
    digits = re.sub(r"[\s\-]", "", thai_digits_to_arabic(raw))
    if len(digits) != 13 or not digits.isdigit():
        return False
    return national_id_check_digit(digits[:12]) == int(digits[12])


def normalize_national_id(raw: str) -> str | None:
    """``1-1017-00203-45-1`` -> ``1101700203451`` when the checksum holds, else None."""
    m = _NATIONAL_ID_RE.fullmatch(thai_digits_to_arabic(raw.strip()))
    if not m:
        return None
    digits = "".join(m.groups())
    return digits if is_valid_national_id(digits) else None


def find_national_ids(text: str) -> list[EntityMatch]:
    """13-digit national ids with a valid checksum; invalid ones are ignored."""
    matches = []
    for m in _NATIONAL_ID_RE.finditer(thai_digits_to_arabic(text)):
        digits = "".join(m.groups())
        if is_valid_national_id(digits):
            matches.append(EntityMatch(NATIONAL_ID, m.start(), m.end(), digits))
    return matches
