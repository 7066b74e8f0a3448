"""Whether an agent's draft answers a customer's question: the words of the question that carry its
meaning (stemmed, fillers and interrogatives left out) found in the draft, with the kinds of answer a
"when", "how much", "why" or yes/no question takes. Pure: no Django. Used by the coach's
*thoroughness* rule.
"""

from __future__ import annotations

import re

from tanggap.core.text import STOPWORDS, stem_en, stem_id, tokens

from .questions import Question


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_QUESTION_FILLER = _words(
    """
    apa apakah bagaimana gimana gmn kapan berapa kenapa knp mengapa dimana mana siapa bisakah bolehkah
    adakah boleh mohon info informasi tolong jelaskan dijelaskan mau tanya ya yah kak kakak min gan sis dong
    deh sih kok nya sy aku halo hai hi hello hey masih lagi tdk gak ga nggak enggak kalau kalo kah cara tahu
    tau bisa dapat sekarang dan tapi pak bu bapak ibu juga terus jadi nih padahal begini begitu banget
    sebenarnya sebetulnya terjadi berkali kali beberapa what whats how when where why who whom whose which
    can could would should may might also please tell know let like id would wondering wonder there any me
    get got still even now just really whether does did going been being am s t d ll re ve happen happens
    happened happening possible need keep keeps kept
    """
)
_TIME_ANSWER = _compile(
    r"\d|\b(?:hari|besok|lusa|minggu|pekan|bulan|jam|pukul|menit|senin|selasa|rabu|kamis|jumat|sabtu|segera|sekarang"
    r"|pagi|siang|sore|malam|tanggal|today|tomorrow|tonight|week|month|day|days|hour|hours|minutes?|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday|soon|now|morning|afternoon|evening|january|february|march|april|may"
    r"|june|july|august|september|october|november|december|januari|februari|maret|mei|juni|juli|agustus|oktober"
    r"|desember)\b"
)
_NUMBER_ANSWER = _compile(
    r"\d|\b(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|seratus|seribu|gratis|free|one|two|three"
    r"|four|five|six|seven|eight|nine|ten|hundred|no\s+(?:fee|charge|cost)|tidak\s+ada\s+biaya|unlimited)\b"
)
_CAUSE_ANSWER = _compile(
    r"\b(?:karena|krn|sebab|disebabkan|akibat|jadi|makanya|sehingga|because|due\s+to|caused|since|so\s+the|which\s+is"
    r"\s+why|that's\s+why|as\s+a\s+result|after|when)\b"
)
_WHEN = _compile(r"\b(?:kapan|when|berapa\s+lama|how\s+long|what\s+time|jam\s+berapa)\b")
_HOW_MUCH = _compile(r"\bberapa\b(?!\s+(?:lama|jam|hari))|\bhow\s+(?:much|many)\b")
_WHY = _compile(r"\b(?:kenapa|knp|mengapa|why)\b")
_REASON = _compile(
    r"^(?:\w+\s+){0,2}(?:apa|what(?:'s|\s+is|\s+was)?)\s+(?:(?:the|sebenarnya)\s+)?(?:alasan|alasannya|reason)\W*$"
)
_INTERROGATIVE_PHRASE = _compile(
    r"\b(?:berapa\s+lama|how\s+long|how\s+much|how\s+many|what\s+time|jam\s+berapa)\b"
)
_YES_NO = _compile(
    r"^(?:[\w\s,]{0,20},\s*)?(?:apakah|apa|bisa|bisakah|boleh|bolehkah|ada|adakah|sudah|masih|is|are|was|can|could|do|does"
    r"|did|will|would|has|have|should|may)\b"
)
_YES_NO_ANSWER = _compile(
    r"\b(?:ya|iya|bisa|boleh|tentu|ada|sudah|belum|tidak|tdk|bukan|yes|yep|no|not|of\s+course|absolutely|certainly"
    r"|sure|we\s+do|we\s+don't|there\s+is|there\s+are|it\s+is|it's)\b"
)
_SYNONYMS = {
    "password": ("sandi",),
    "sandi": ("password",),
    "ongkir": ("ongkos", "kirim", "pengiriman"),
    "resend": ("resent", "sent"),
    "refund": ("dana", "kembali", "refunded"),
    "cs": ("support",),
    "log": ("login",),
    "login": ("log",),
    "phone": ("call",),
    "delete": ("remov", "hapus"),
    "deleted": ("remov", "hapus"),
    "remove": ("delet", "hapus"),
    "hapus": ("delet", "remov"),
    "fix": ("resolv", "restor", "repair", "roll", "perbaik"),
    "fixed": ("resolv", "restor", "repair", "roll", "perbaik"),
    "android": ("play",),
    "iphone": ("ios", "store"),
    "ios": ("iphone", "store"),
    "app": ("aplikasi",),
    "aplikasi": ("app",),
    "cancel": ("batal",),
    "batal": ("cancel",),
    "ship": ("deliv", "kirim"),
    "deliver": ("ship", "kirim"),
    "kirim": ("ship", "deliv"),
}
# Complaints phrased as questions that a reply answers by acting, not by "yes" or "no".
_RHETORICAL = _compile(
    r"\b(?:do|does|did)\s+(?:you|anyone)\s+(?:even|actually|ever)\s+(?:read|care|listen|check)|\bare\s+you\s+"
    r"(?:kidding|serious)|\bis\s+this\s+a\s+joke|\bis\s+anyone\s+(?:there|reading)|\bgimana\s+sih|\bkok\s+bisa\b"
)
_NUMBER_WORD = frozenset({"number", "nomor", "no", "nomer"})
_PRICE_WORD = frozenset(
    {"cost", "costs", "price", "harga", "biaya", "biayanya", "fee", "ongkir", "ongkirnya", "tarif"}
)
_MIN_COVERAGE = 0.25


def _word_forms(word: str) -> set[str]:
    return {word, stem_en(word), stem_id(word)}


def draft_forms(text: str) -> set[str]:
    forms: set[str] = set()
    for word in tokens(text):
        forms |= _word_forms(word)
    return forms


def answered(question: Question, draft_text: str, forms: set[str]) -> bool:
    # "berapa lama" / "how long" ask for a time: "lama" and "long" are part of the question word there.
    asked = _INTERROGATIVE_PHRASE.sub(" ", question.text)
    words = [w for w in tokens(asked) if w not in STOPWORDS and w not in _QUESTION_FILLER]
    if not words or _RHETORICAL.search(question.text):
        return True  # "Gimana ini?": nothing to check the draft against
    if _REASON.search(question.text) and _CAUSE_ANSWER.search(draft_text):
        return True  # "Apa alasannya?" is a "why", answered by a "karena"
    has_digits = bool(re.search(r"\d{3,}", draft_text))
    matched = 0
    for word in words:
        alternatives = _word_forms(word) | set(_SYNONYMS.get(word, ()))
        if (
            alternatives & forms
            or (word in _NUMBER_WORD and has_digits)
            or (word in _PRICE_WORD and _NUMBER_ANSWER.search(draft_text))
        ):
            matched += 1
    if _WHEN.search(question.text) and not _TIME_ANSWER.search(draft_text):
        return False
    if _HOW_MUCH.search(question.text) and not _NUMBER_ANSWER.search(draft_text):
        return False
    entities = {e.lower() for e in re.findall(r"(?<=\s)[A-Z]\w*[A-Z]\w*|\b[A-Z]{2,}\b", question.text)}
    if entities:
        return bool(entities & forms)  # a name the customer asked about ("OVO", "PayPal") must come up
    if matched == 0:
        return False
    if matched / len(words) >= _MIN_COVERAGE:
        return True
    if _WHY.search(question.text) and _CAUSE_ANSWER.search(draft_text) and matched:
        return True
    return bool(_YES_NO.search(question.text) and _YES_NO_ANSWER.search(draft_text))
