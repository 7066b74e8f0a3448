"""The wording the coach's *blame* rule flags: phrases that blame the customer or argue, in Indonesian
and English, each with its finding code and, where there is one, a neutral rewrite. Pure: no Django.
"""

from __future__ import annotations

import re


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_ID_YOU = r"(?:anda|kakak|kak|bapak|ibu|kamu|sdr|agan|sis)"
# The base form of the participle in "you should have read", for the rewrite "you can read".
PARTICIPLE_BASE = {
    "read": "read",
    "called": "call",
    "checked": "check",
    "installed": "install",
    "contacted": "contact",
    "paid": "pay",
    "selected": "select",
    "entered": "enter",
    "updated": "update",
    "verified": "verify",
    "followed": "follow",
    "chosen": "choose",
    "chose": "choose",
    "used": "use",
    "asked": "ask",
    "sent": "send",
    "waited": "wait",
    "clicked": "click",
    "logged": "log",
    "filled": "fill",
    "confirmed": "confirm",
}
# (language, finding code, pattern, rewrite or None)
BLAME: tuple[tuple[str, str, re.Pattern[str], str | None], ...] = (
    (
        "id",
        "blame.blames_customer",
        _compile(
            rf"\b(?:{_ID_YOU}\s+(?:se)?harusnya|{_ID_YOU}\s+(?:semestinya|mestinya|sepatutnya)"
            rf"|(?:se)?harusnya\s+{_ID_YOU}|(?:semestinya|mestinya|sepatutnya)\s+{_ID_YOU})\b"
        ),
        "agar lebih mudah, Anda bisa",
    ),
    (
        "id",
        "blame.blames_customer",
        _compile(
            rf"\b(?:(?:itu|ini)\s+)?(?:kesalahan|salah)\s+{_ID_YOU}(?:\s+sendiri)?\b|\b{_ID_YOU}\s+(?:yang\s+|sendiri\s+)?"
            rf"(?:salah|keliru|lupa|lalai)\b"
        ),
        None,
    ),
    (
        "id",
        "blame.blames_customer",
        _compile(
            rf"\b{_ID_YOU}\s+(?:tidak|tdk|gak|ga|nggak|enggak|belum)\s+(?:mem)?(?:baca|perhatikan|memperhatikan|teliti|cermat)\b"
        ),
        None,
    ),
    (
        "id",
        "blame.blames_customer",
        _compile(rf"\b(?:sebenarnya|sebetulnya|sebenernya)\s+{_ID_YOU}\b"),
        "sepertinya Anda",
    ),
    (
        "id",
        "blame.blames_customer",
        # A lesson for next time: "lain kali mohon dicek dulu ukurannya".
        _compile(
            r"\blain\s+kali\s+(?:(?:mohon|tolong|harap|sebaiknya|coba)\s+)?(?:[\w-]+\s+){0,2}?(?:dibaca|baca|membaca|dicek"
            r"|cek|mengecek|periksa|diperiksa|memeriksa|perhatikan|diperhatikan|teliti|diteliti|pastikan)\b"
        ),
        None,
    ),
    (
        "id",
        "blame.argues",
        _compile(
            r"\bseperti\s+yang\s+(?:(?:sudah|telah)\s+)?(?:(?:saya|sy|kami)\s+(?:sudah\s+|telah\s+)?"
            r"(?:jelaskan|sampaikan|bilang|katakan|informasikan|sebutkan)|(?:sudah|telah)\s+(?:dijelaskan|disampaikan|diinformasikan)"
            r"|dijelaskan|disampaikan)(?:\s+(?:oleh\s+)?(?:rekan|tim)\s+(?:saya|kami))?(?:\s+(?:sebelumnya|tadi|kemarin"
            r"|berkali-kali))?"
        ),
        "untuk merangkum",
    ),
    (
        "id",
        "blame.argues",
        _compile(
            r"\b(?:kan\s+)?sudah\s+(?:saya|sy|kami)\s+(?:bilang|jelaskan|sampaikan|katakan)(?:\s+(?:tadi|sebelumnya|berkali-kali))?"
            r"|\bkan\s+sudah\s+(?:dibilang|dijelaskan|disampaikan)"
        ),
        "untuk merangkum",
    ),
    (
        "id",
        "blame.argues",
        _compile(
            r"\b(?:sudah\s+)?jelas\s+(?:tertulis|tercantum|disebutkan)|\b(?:tertulis|tercantum)\s+(?:dengan\s+)?jelas"
        ),
        None,
    ),
    (
        "id",
        "blame.argues",
        _compile(
            r"\bbukan\s+(?:salah|kesalahan|tanggung\s*jawab|urusan)\s+(?:dari\s+)?(?:pihak\s+)?(?:kami|saya|sy)\b"
            r"|\bbukan\s+(?:dari\s+)?(?:pihak\s+)?kami\b"
        ),
        None,
    ),
    (
        "en",
        "blame.blames_customer",
        _compile(
            r"\byou\s+(?:should(?:n't|\s+not)?|shouldn’t)\s+have\s+(?!received|got|gotten|been|had\b)(?P<verb>\w+)"
        ),
        None,
    ),
    ("en", "blame.blames_customer", _compile(r"\byou\s+(?:failed|neglected|forgot)\s+to\b"), None),
    (
        "en",
        "blame.blames_customer",
        _compile(
            r"\byou\s+could\s+(?:easily\s+)?have\s+(?:found|checked|read|seen|looked|avoided|prevented)\b"
            r"|\b(?:check(?:ed)?|find|found|look(?:ed)?\s+up|read|see|seen)\s+(?:[\w-]+\s+){0,3}?yourself\b"
            r"|\byou\s+(?:[\w-]+\s+)?(?:clicked|entered|chose|selected|picked|typed|used|gave|ordered|booked)\s+(?:the\s+|a\s+|an\s+)?"
            r"wrong\b"
        ),
        None,
    ),
    (
        "en",
        "blame.blames_customer",
        _compile(
            r"\byou\s+(?:didn't|didn’t|did\s+not|don't|do\s+not|never)\s+(?:read|check|follow|pay\s+attention|add|enter"
            r"|include|provide|fill|select|choose|attach|specify|tick)\b"
        ),
        None,
    ),
    (
        "en",
        "blame.blames_customer",
        _compile(r"\byour\s+(?:own\s+)?(?:fault|mistake)\b|\byou\s+(?:were|are)\s+(?:wrong|mistaken)\b"),
        None,
    ),
    ("en", "blame.blames_customer", _compile(r"\bactually,?\s+you\b"), "it looks like you"),
    (
        "en",
        "blame.argues",
        _compile(
            r"\bas\s+(?:i|we)\s+(?:have\s+)?(?:already\s+|previously\s+|clearly\s+)?(?:said|explained|mentioned|stated|told\s+you"
            r"|wrote|noted)(?:\s+(?:before|earlier|previously|in\s+my\s+last\s+(?:email|message|reply)))?"
            r"|\bas\s+(?:already\s+|previously\s+|clearly\s+)(?:explained|stated|mentioned)(?:\s+(?:before|earlier))?"
            r"|\bas\s+(?:explained|stated|mentioned)\s+(?:clearly|previously|before|earlier)\b"
        ),
        "to recap",
    ),
    (
        "en",
        "blame.argues",
        _compile(
            r"\b(?:that's|that’s|that\s+is|it's|it’s|it\s+is|this\s+is)\s+not\s+(?:our|my)\s+(?:fault|problem|responsibility"
            r"|mistake)\b|\bnot\s+our\s+fault\b|\bwe(?:'re|’re|\s+are)\s+not\s+responsible\b"
            r"|\b(?:is|are)\s+responsible,?\s+not\s+(?:us|me)\b"
        ),
        None,
    ),
)
