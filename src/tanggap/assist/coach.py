"""The reply coach's rules: what in an agent's draft to reconsider before it reaches the customer, and how.

Pure: no Django. The web layer translates ``EXPLANATIONS`` through gettext and shows each ``Finding``;
stable ``code`` values, never translated text, are what gets stored or counted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from tanggap.core.text import guess_language

from .answers import BY_WORDS, REASONS, unanswered_why
from .blame import BLAME, PARTICIPLE_BASE
from .durations import DURATION, NAMED_TIME, duration_hours, floor_phrase, format_hours, named_hours
from .questions import questions, sentence_spans

Situation = Literal["none", "minor_delay", "failure"]
RULES: tuple[str, ...] = ("thank_vs_sorry", "real_apology", "honesty", "thoroughness", "blame")


def thoroughness_code(why: str) -> str:
    """The code of a thoroughness finding for the reason ``answers.unanswered_why`` gave: what the draft
    plainly lacks has its own ("thoroughness.no_time"); the reasons that rest on words alone share one."""
    return "thoroughness.unanswered" if why in BY_WORDS else f"thoroughness.{why}"


# What a thoroughness finding says the draft lacks; the last is judged by words alone.
THOROUGHNESS_CODES: tuple[str, ...] = tuple(dict.fromkeys(thoroughness_code(why) for why in REASONS))
MAX_DRAFT_CHARS = 10_000
HIGH_ANGER = 0.5


@dataclass(frozen=True)
class RecoveryOption:
    """What the team's service-recovery policy offers here, chosen by the caller."""

    label: str  # "voucher Rp50.000" / "a Rp50,000 voucher", already in the draft's language


@dataclass(frozen=True)
class CoachContext:
    language: str = ""  # "id" | "en" | "" (detect from the draft)
    situation: Situation = "none"
    anger: float = 0.0  # 0..1, the customer's anger score
    customer_text: str = ""  # the customer's unanswered message(s), joined
    promise_floor_hours: float | None = None  # the shortest time the team's history supports
    recovery: RecoveryOption | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    code: str
    start: int  # span in the draft; start == end == 0 for a finding with no span
    end: int
    quote: str  # draft[start:end], or the customer's question for thoroughness
    rewrite: str | None  # replaces draft[start:end] (inserted at the start when start == end)
    severity: str  # "info" | "warning" | "high"
    params: dict[str, str] = field(default_factory=dict)


MAX_KEY = 500


def finding_key(rule: str, quote: str) -> str:
    """What names a finding while an agent writes one reply: its rule and its words. The page sends
    the keys of the findings the agent used or set aside with every check and with the reply."""
    return f"{rule}|{' '.join(quote.split())}"[:MAX_KEY]


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (Django's keyword); the web layer translates it."""
    return message


EXPLANATIONS: dict[str, tuple[str, str]] = {
    "thank_vs_sorry.delay_apology": (
        gettext_noop(
            "After a small delay, thanking the customer for their patience lands better than apologising "
            "for it."
        ),
        gettext_noop(
            "You et al. 2020: 'thank you' after a delay raised survey completion from 78.4 % to 91.1 %."
        ),
    ),
    "real_apology.non_apology": (
        gettext_noop(
            "A conditional or passive apology ('sorry if you feel…') blames the customer's feelings."
        ),
        gettext_noop("Roschk & Kaiser 2013: apologies work when they are sincere and take responsibility."),
    ),
    "real_apology.no_ownership": (
        gettext_noop("After a real failure, the apology should say plainly that it was our mistake."),
        gettext_noop(
            "Roschk & Kaiser 2013: an apology that takes responsibility restores more satisfaction."
        ),
    ),
    "real_apology.missing": (
        gettext_noop("After a real failure, apologise straight away and offer a remedy where policy allows."),
        gettext_noop(
            "Smith, Bolton & Wagner 1999: immediate apology and compensation drive recovery satisfaction."
        ),
    ),
    "honesty.absolute_promise": (
        gettext_noop(
            "An absolute promise the team cannot guarantee turns the next slip into a broken promise."
        ),
        gettext_noop(
            "Service-recovery research: over-promising raises expectations a second failure then disappoints."
        ),
    ),
    "honesty.time_promise": (
        gettext_noop(
            "This promises a time shorter than the team's history supports; promise what you can keep."
        ),
        gettext_noop("Smith, Bolton & Wagner 1999: a second failure after recovery hurts satisfaction most."),
    ),
    "thoroughness.no_time": (
        gettext_noop(
            "The customer asked when; the draft gives no time, date or day, so they would have to write "
            "again."
        ),
        gettext_noop("Answering every question in the first reply avoids a repeat contact."),
    ),
    "thoroughness.no_amount": (
        gettext_noop(
            "The customer asked how much or how many; the draft states no amount, so they would have to "
            "write again."
        ),
        gettext_noop("Answering every question in the first reply avoids a repeat contact."),
    ),
    "thoroughness.no_steps": (
        gettext_noop("The customer asked what to do; the draft gives no steps to follow."),
        gettext_noop("Answering every question in the first reply avoids a repeat contact."),
    ),
    "thoroughness.put_off": (
        gettext_noop(
            "The draft only puts this question off; answer it now, or say when the customer will hear back."
        ),
        gettext_noop("Answering every question in the first reply avoids a repeat contact."),
    ),
    "thoroughness.unanswered": (
        gettext_noop(
            "The draft does not mention what this question asks about. If it answers it in other "
            "words, choose “It is answered”; if not, the customer would have to write again."
        ),
        gettext_noop("Answering every question in the first reply avoids a repeat contact."),
    ),
    "blame.blames_customer": (
        gettext_noop(
            "Wording that blames the customer makes an upset customer angrier; explain the fix instead."
        ),
        gettext_noop(
            "Service-recovery research: blame and argument lower satisfaction, most of all with angry "
            "customers."
        ),
    ),
    "blame.argues": (
        gettext_noop(
            "Reminding the customer they were already told sounds like an argument; restate it kindly."
        ),
        gettext_noop(
            "Service-recovery research: blame and argument lower satisfaction, most of all with angry "
            "customers."
        ),
    ),
}

_F = re.IGNORECASE
_CLAUSE_END = re.compile(r"[,;:.!?]|\s[—–-]\s|—|–")


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, _F)


def _match_case(text: str, start: int, replacement: str) -> str:
    """Capitalise ``replacement`` where it opens a sentence, lower-case its first letter elsewhere."""
    before = text[:start].rstrip(" \t")
    if not before or before[-1] in ".!?\n":
        return replacement[:1].upper() + replacement[1:]
    return replacement[:1].lower() + replacement[1:]


def _clause_end(text: str, pos: int) -> int:
    match = _CLAUSE_END.search(text, pos)
    return match.start() if match else len(text)


def _sentence_of(sentences: list[tuple[int, int]], pos: int) -> int:
    for index, (start, end) in enumerate(sentences):
        if start <= pos < end:
            return index
    return max(len(sentences) - 1, 0)


class _Draft:
    """The draft with what several rules need computed once."""

    def __init__(self, text: str, context: CoachContext) -> None:
        self.text = text[:MAX_DRAFT_CHARS]
        self.context = context
        self.sentences = list(sentence_spans(self.text))
        self.language = (
            context.language or guess_language(self.text) or guess_language(context.customer_text) or "en"
        )

    def sentence(self, pos: int) -> tuple[int, int]:
        if not self.sentences:
            return 0, len(self.text)
        return self.sentences[_sentence_of(self.sentences, pos)]

    def finding(
        self,
        rule: str,
        code: str,
        start: int,
        end: int,
        rewrite: str | None,
        severity: str,
        params: dict[str, str] | None = None,
    ) -> Finding:
        quote = self.text[start:end]
        if rewrite is not None and quote:
            rewrite = _match_case(self.text, start, rewrite)
        return Finding(rule, code, start, end, quote, rewrite, severity, params or {})


# --- thank_vs_sorry --------------------------------------------------------------------------------------

_ID_APOLOGY_HEAD = (
    r"(?:(?:kami|saya|sy|aku)\s+)?(?:(?:mohon|minta|meminta|memohon)\s+)?maaf(?:kan\s+kami)?"
    r"(?:\s+(?:ya+h?|yaa+|kak|kakak|sebelumnya|sekali|banget|sebesar-besarnya|kami|saya))*"
)
_EN_APOLOGY_HEAD = (
    r"(?:(?:(?:i|we)\s*(?:'m|’m|am|'re|’re|are)\s+)?(?:so\s+|very\s+|really\s+|truly\s+|terribly\s+|deeply\s+)?sorry"
    r"|(?:my|our)\s+(?:sincere\s+)?apologies|apologies"
    r"|(?:i|we)\s+(?:do\s+|sincerely\s+|truly\s+)?apologi[sz]e)"
)
_ID_DELAY = (
    r"(?:keterlambatan|terlambat|telat|lambat(?:nya)?|lamanya|ketidaknyamanan|menunggu|nunggu|kelamaan"
    r"|baru\s+(?:sempat\s+|bisa\s+)?(?:membalas|balas|bales|merespons?|menjawab)"
    r"|(?:balas|membalas|bales|respon|respons)(?:-?nya)?\s+lama|lama\s+(?:membalas|balas|bales|merespons?))(?:-?nya)?"
)
_ID_DELAY_TAIL = (
    r"(?:\s+(?:lama|balasan|respons|respon|jawaban|tanggapan|kami|ini|saya|dalam|untuk|merespons|merespon|membalas"
    r"|menjawab|balas|pesan|anda|kakak|kak|bapak|ibu|karena|harus|yang|sudah|membuat|bikin|menunggu|nunggu"
    r"|terlambat|telat)(?:-?nya)?\b)*"
)
_EN_DELAY = (
    r"(?:delay(?:ed)?|late|wait(?:ing)?|slow|inconvenience|kept\s+you\s+waiting|keep(?:ing)?\s+you\s+waiting"
    r"|taken\s+so\s+long|took\s+so\s+long)"
)
_EN_DELAY_TAIL = (
    r"(?:\s+(?:in|of|on|getting|back|to|you|responding|replying|answering|our|my|the|reply|response|answer"
    r"|wait|waiting|this|caused|by|have|kept|keep|for|so|long|late|delay|delayed)\b)*"
)
_TRAILING_FILLER = re.compile(
    r"(?:\s+(?:in|of|on|to|the|our|my|by|caused|have|for|so|dalam|untuk|karena|harus|yang|sudah|membuat|bikin"
    r"|kakak|kak|anda|bapak|ibu))+$",
    _F,
)
_ID_DELAY_APOLOGY = _compile(
    rf"\b{_ID_APOLOGY_HEAD}\b(?P<mid>[^,;:.!?—–]{{0,40}}?)\b{_ID_DELAY}{_ID_DELAY_TAIL}"
)
_EN_DELAY_APOLOGY = _compile(
    rf"\b{_EN_APOLOGY_HEAD}\b(?P<mid>[^,;:.!?—–]{{0,40}}?)\b{_EN_DELAY}\b{_EN_DELAY_TAIL}"
)
_WAIT_WORD = _compile(r"\b(?:menunggu|nunggu|wait|waiting)\b")


def _thank_vs_sorry(draft: _Draft) -> list[Finding]:
    if draft.context.situation != "minor_delay":
        return []
    out = []
    for language, pattern in (("id", _ID_DELAY_APOLOGY), ("en", _EN_DELAY_APOLOGY)):
        for match in pattern.finditer(draft.text):
            span = match.group()
            trimmed = _TRAILING_FILLER.sub("", span)
            end = match.start() + len(trimmed)
            waiting = bool(_WAIT_WORD.search(trimmed)) and "patien" not in trimmed.lower()
            if language == "id":
                rewrite = "terima kasih sudah menunggu" if waiting else "terima kasih atas kesabaran Anda"
            else:
                rewrite = "thanks for waiting" if waiting else "thank you for your patience"
            out.append(
                draft.finding(
                    "thank_vs_sorry", "thank_vs_sorry.delay_apology", match.start(), end, rewrite, "warning"
                )
            )
    return out


# --- real_apology ----------------------------------------------------------------------------------------

_ID_NON_APOLOGY = _compile(
    rf"\b{_ID_APOLOGY_HEAD}\s+(?:jika|kalau|kalo|klo|apabila|bila|bilamana|seandainya|andaikan)\b"
)
_ID_PASSIVE = _compile(
    r"\b(?:(?:telah|sudah|memang)\s+)?(?:terjadi|ada)\s+(?:sedikit\s+|suatu\s+|beberapa\s+)?"
    r"(?:kesalahan|kekeliruan|error|gangguan\s+teknis)\b|\bkesalahan\s+(?:telah\s+)?terjadi\b"
)
_ID_CONDITION = _compile(r"\b(?:jika|jikalau|kalau|kalo|apabila|bila|bilamana|seandainya)\s+(?:\w+\s+){0,2}$")
_EN_NON_APOLOGY = _compile(
    rf"\b{_EN_APOLOGY_HEAD}\s+(?:if|that\s+you\s+feel|you\s+feel)\b"
    rf"|\b{_EN_APOLOGY_HEAD}\s+(?:that\s+)?you(?:'re|’re|\s+are|\s+were|\s+feel|\s+felt|\s+think|\s+thought|\s+believe"
    r"|\s+perceive|\s+found)\s+(?:so\s+|very\s+|a\s+bit\s+|really\s+)?(?:feel\w*|felt|think|thought|that|upset|unhappy"
    r"|disappointed|frustrated|dissatisfied|annoyed|angry|displeased|let\s+down|not\s+happy|the\s+\w+\s+(?:was|is|made)"
    r"|our\s+\w+\s+(?:was|were|is|are)|we\s+\w+)"
    r"|\b(?:we|i)\s+regret\s+(?:that\s+)?you\s+(?:were|are|feel|felt|found)\b"
    r"|\b(?:mistakes|errors)\s+were\s+made\b"
)
_ID_APOLOGY_WORD = _compile(r"(?<!permintaan\s)(?<!permohonan\s)\b(?:(?:mohon|minta)\s+)?maaf(?:kan)?\b")
_EN_APOLOGY_WORD = _compile(
    r"(?<!as\san\s)\b(?:sorry|apologi[sz]e[sd]?|apologies|apology|apologising|apologizing|regret(?:s|ted)?)\b"
)
_ID_OWNERSHIP = _compile(
    r"(?<!bukan\s)(?<!tidak\s)\b(?:kesalahan|kekeliruan|kelalaian|keteledoran|tanggung\s*jawab|salah)\b"
    r"(?:\s+[\w-]+){0,5}?\s+(?:dari\s+|di\s+)?(?:pihak\s+)?kami\b"
    r"|\bkami\s+(?:yang\s+|memang\s+|sudah\s+|telah\s+)?(?:salah|lalai|keliru|teledor|lupa|bertanggung\s*jawab"
    r"|mengaku\s+salah|mengakui\s+kesalahan)\b"
)
_EN_OWNERSHIP = _compile(
    r"(?<!not\s)\b(?:our|my)\s+(?:own\s+)?(?:mistake|fault|error|responsibility|oversight|mix-?up|bad)\b"
    r"|\b(?:that's|that’s|that\s+is|this\s+is|it's|it\s+is|that\s+was|this\s+was|it\s+was)\s+"
    r"(?:entirely\s+|completely\s+|all\s+|totally\s+)?on\s+(?:us|me)\b"
    r"|\b(?:we|i)\s+(?:take|accept)\s+(?:full\s+|complete\s+)?responsibility\b"
    r"|\b(?:we|i)\s+(?:should\s+have|failed\s+to|made\s+(?:a|an)\s+(?:mistake|error)|messed\s+up|got\s+(?:it|this|that)"
    r"\s+wrong|dropped\s+the\s+ball)\b"
    r"|\bon\s+our\s+(?:end|side)\b"
    r"|\bour\s+[^.!?]{0,60}?\b(?:by\s+mistake|in\s+error|mistakenly|wrongly|incorrectly)\b"
)
_NEGATION_BEFORE = _compile(r"(?:\bnot|n't|n’t|\bbukan|\btidak|\btdk)\s+(?:\w+\s+){0,1}$")

_APOLOGY_START = {"id": _compile(rf"\b{_ID_APOLOGY_HEAD}\b"), "en": _compile(rf"\b{_EN_APOLOGY_HEAD}\b")}
_OWNING_APOLOGY = {"id": "kami mohon maaf, ini kesalahan kami", "en": "we're sorry — this was our mistake"}
_OWNING_SENTENCE = {"id": "Kami mohon maaf, ini kesalahan kami.", "en": "We're sorry — this was our mistake."}
_RECOVERY_SENTENCE = {
    "id": "Sebagai permintaan maaf, kami tawarkan {label}.",
    "en": "To make up for it, we'd like to offer you {label}.",
}


def _owned(draft: _Draft, pattern: re.Pattern[str], pos: int) -> bool:
    if not draft.sentences:
        window = (0, len(draft.text))
    else:
        index = _sentence_of(draft.sentences, pos)
        window = (
            draft.sentences[max(index - 1, 0)][0],
            draft.sentences[min(index + 1, len(draft.sentences) - 1)][1],
        )
    for match in pattern.finditer(draft.text, *window):
        if not _NEGATION_BEFORE.search(draft.text[max(window[0], match.start() - 20) : match.start()]):
            return True
    return False


def _real_apology(draft: _Draft) -> list[Finding]:
    text, out = draft.text, []
    taken: list[tuple[int, int]] = []
    for language, pattern in (("id", _ID_NON_APOLOGY), ("en", _EN_NON_APOLOGY), ("id", _ID_PASSIVE)):
        for match in pattern.finditer(text):
            start, end = match.start(), _clause_end(text, match.end())
            if pattern is _ID_PASSIVE:
                sentence = text[slice(*draft.sentence(start))]
                if re.search(r"\bkami\b", sentence, _F) or _ID_CONDITION.search(
                    text[max(0, start - 30) : start]
                ):
                    continue
            if any(s <= start < e for s, e in taken):
                continue
            taken.append((start, end))
            out.append(
                draft.finding(
                    "real_apology",
                    "real_apology.non_apology",
                    start,
                    end,
                    _OWNING_APOLOGY[language],
                    "warning",
                )
            )
    if draft.context.situation != "failure":
        return out
    apologies = [(m, "id") for m in _ID_APOLOGY_WORD.finditer(text)]
    apologies += [(m, "en") for m in _EN_APOLOGY_WORD.finditer(text)]
    if not apologies and not out:
        rewrite = _OWNING_SENTENCE[draft.language if draft.language in _OWNING_SENTENCE else "en"]
        if draft.context.recovery is not None:
            template = _RECOVERY_SENTENCE[draft.language if draft.language in _RECOVERY_SENTENCE else "en"]
            rewrite += " " + template.format(label=draft.context.recovery.label)
        out.append(
            Finding(
                "real_apology",
                "real_apology.missing",
                0,
                0,
                "",
                rewrite + " ",
                "high",
                {"recovery": draft.context.recovery.label} if draft.context.recovery else {},
            )
        )
        return out
    for match, language in apologies:
        if any(s <= match.start() < e for s, e in taken):
            continue
        ownership = _ID_OWNERSHIP if language == "id" else _EN_OWNERSHIP
        if _owned(draft, ownership, match.start()) or _owned(
            draft, _ID_OWNERSHIP if language == "en" else _EN_OWNERSHIP, match.start()
        ):
            continue
        head = _APOLOGY_START[language].search(text, max(0, match.start() - 30))
        start = (
            head.start() if head is not None and head.start() <= match.start() < head.end() else match.start()
        )
        end = _clause_end(text, match.end())
        taken.append((start, end))
        rewrite = _OWNING_APOLOGY[language]
        recovery = draft.context.recovery
        if recovery is not None and (end >= len(text) or text[end] in ".!"):
            # The sentence ends here: the team's offer follows the apology at once, as its own sentence.
            rewrite += ". " + _RECOVERY_SENTENCE[language].format(label=recovery.label).rstrip(".")
        out.append(
            draft.finding(
                "real_apology",
                "real_apology.no_ownership",
                start,
                end,
                rewrite,
                "warning",
                {"recovery": recovery.label} if recovery is not None and recovery.label in rewrite else {},
            )
        )
    return out


# --- honesty ---------------------------------------------------------------------------------------------

_ID_NEVER_AGAIN = _compile(
    r"(?:\b(?:kami|saya)\s+(?:pastikan|jamin|janji(?:kan)?|berjanji)\s+(?:bahwa\s+)?|\bdijamin\s+)?"
    r"(?:\b(?:hal\s+)?(?:ini|itu|serupa|tersebut)\s+)?\b(?:tidak|tdk|gak|ga|nggak|enggak)\s+akan\s+(?:pernah\s+)?"
    r"(?:terulang|terjadi|kejadian)(?:\s+(?:lagi|kembali))?\b"
)
_EN_NEVER_AGAIN = _compile(
    r"(?:\b(?:i|we)\s+(?:promise|guarantee|can\s+assure\s+you)\s+(?:that\s+)?|\brest\s+assured,?\s+(?:that\s+)?)?"
    r"\b(?:(?:this|it|that)\s+)?(?:will\s+never|won't\s+ever|won't|won’t|will\s+not|never\s+will)\s+happen\s+again\b"
)
_ABSOLUTE = _compile(
    r"\b(?:dijamin|kami\s+jamin|saya\s+jamin|pasti\s+(?:beres|aman|sampai|selesai|berhasil|bisa|tiba)|pasti(?=\s*!))\b"
    r"|\b(?:guaranteed|(?:i|we)\s+guarantee|i\s+promise|we\s+promise)\b"
    r"|\b100\s?%(?!\s*(?:of|dari|refund|cashback|uang\s+kembali|pengembalian))"
)
_NEVER_AGAIN_REWRITE = {
    "id": "kami sudah mengambil langkah agar hal ini tidak terulang",
    "en": "we've taken steps to prevent this from happening again",
}

_PROMISE_CUE = _compile(r"\b(?:akan|bakal|pasti|janji|will|shall|going\s+to|promise|guarantee)\b|'ll\b|’ll\b")


def _is_id(span: str) -> bool:
    return bool(
        re.search(
            r"\b(?:dalam|maksimal|maks|paling|kurang|dlm|jam|menit|hari|besok|lusa|sore|siang|malam|se)",
            span,
            _F,
        )
    )


def _honesty(draft: _Draft) -> list[Finding]:
    text, out = draft.text, []
    taken: list[tuple[int, int]] = []
    for language, pattern in (("id", _ID_NEVER_AGAIN), ("en", _EN_NEVER_AGAIN)):
        for match in pattern.finditer(text):
            taken.append(match.span())
            out.append(
                draft.finding(
                    "honesty",
                    "honesty.absolute_promise",
                    *match.span(),
                    _NEVER_AGAIN_REWRITE[language],
                    "warning",
                )
            )
    for match in _ABSOLUTE.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue
        out.append(draft.finding("honesty", "honesty.absolute_promise", *match.span(), None, "warning"))
    floor = draft.context.promise_floor_hours
    if floor is None:
        return out
    spans: list[tuple[int, int, float]] = []
    for match in DURATION.finditer(text):
        hours = duration_hours(match)
        if hours is not None:
            spans.append((match.start(), match.end(), hours))
    for match in NAMED_TIME.finditer(text):
        if not any(s <= match.start() < e for s, e, _ in spans):
            spans.append((match.start(), match.end(), named_hours(match.group("name"))))
    for start, end, hours in spans:
        if hours >= floor:
            continue
        clause_start = max(_clause_start(text, start), draft.sentence(start)[0])
        if not _PROMISE_CUE.search(text, clause_start, start) and not re.match(
            r"(?:by|paling)\b", text[start:], _F
        ):
            continue
        language = "id" if _is_id(text[start:end]) else "en"
        out.append(
            draft.finding(
                "honesty",
                "honesty.time_promise",
                start,
                end,
                floor_phrase(language, floor),
                "warning",
                {"hours": format_hours(floor), "promised_hours": format_hours(hours)},
            )
        )
    return out


def _clause_start(text: str, pos: int) -> int:
    best = 0
    for match in re.finditer(r"[,;:.!?]|\s[—–]\s|\b(?:but|tapi|tetapi|namun)\b", text[:pos], _F):
        best = match.end()
    return best


# --- blame -----------------------------------------------------------------------------------------------


def _blame(draft: _Draft) -> list[Finding]:
    severity = "high" if draft.context.anger >= HIGH_ANGER else "warning"
    out: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for _language, code, pattern, rewrite in BLAME:
        for match in pattern.finditer(draft.text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            end, replacement = match.end(), rewrite
            if "verb" in pattern.groupindex and match.group("verb"):
                base = PARTICIPLE_BASE.get(match.group("verb").lower())
                replacement = f"to make this easier, you can {base}" if base else None
            taken.append((match.start(), end))
            out.append(draft.finding("blame", code, match.start(), end, replacement, severity))
    return out


# --- thoroughness ----------------------------------------------------------------------------------------


def _thoroughness(draft: _Draft) -> list[Finding]:
    """Each question the draft does not seem to answer. What the draft plainly lacks (a time for
    "when", an amount for "how much", steps for "what do I do", an answer it only puts off) is a
    warning with its own wording; a question judged by words alone is only worth a look ("info"),
    since an answer in other words looks the same."""
    if not draft.context.customer_text:
        return []
    customer = draft.context.customer_text
    return [
        Finding(
            "thoroughness",
            thoroughness_code(why),
            0,
            0,
            question.text,
            None,
            "info" if why in BY_WORDS else "warning",
            {"question": question.text, "reason": why},
        )
        for question, why in unanswered_why(questions(customer), draft.text, customer)
    ]


# --- the coach -------------------------------------------------------------------------------------------

_CHECKS = (_thank_vs_sorry, _real_apology, _honesty, _thoroughness, _blame)


def check(draft: str, context: CoachContext) -> list[Finding]:
    """What the coach would point out in ``draft`` (its first ``MAX_DRAFT_CHARS`` characters), by position."""
    prepared = _Draft(draft, context)
    findings = [finding for rule in _CHECKS for finding in rule(prepared)]
    return sorted(findings, key=lambda f: (f.start, RULES.index(f.rule)))
