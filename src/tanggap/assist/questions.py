"""The sentences of a customer's message that ask something, in Indonesian or English.

Pure: no Django. The reply coach checks that a draft answers each of them, so the customer need not write
again. Offsets index the original text, so the UI can highlight a question where the customer wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tanggap.core.text import word_set

MAX_CHARS = 20_000  # of the message looked at: a question after that is not one we can promise to find
MAX_QUESTIONS = 20


@dataclass(frozen=True)
class Question:
    text: str
    start: int
    end: int


# A period after one of these does not end a sentence ("No. 123", "Jl. Sudirman", "Mr. Lee", "a.n. PT").
_ABBREVIATION_WORDS = (
    "no nos nomor jl jln rp dr drs ir prof h hj mr mrs ms st vs etc eg ie a.n an pt tbk kec kel kab sdr bpk "
    "yth approx ext tel telp hp ref inv dept"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
_TAIL = 40  # characters before a period in which the word it ends is looked for
_SENTENCE_END = re.compile(r"(?:\.{2,}|…|[.!?]+)(?=\s|$)")
_LAST_WORD = re.compile(r"([^\W\d_]+(?:\.[^\W\d_]+)*|\d+)$")
_SIGNATURE = re.compile(
    r"^(?:--\s*|__+|sent from my\b.*|dikirim dari\b.*|get outlook for\b.*|diketik dari\b.*)$", re.IGNORECASE
)
_QUOTE_HEADER = re.compile(r"^(?:on\b.*\bwrote:|pada\b.*\bmenulis:)\s*$", re.IGNORECASE)

_ID_WORDS = (
    r"apakah|bagaimana|bagaimanakah|gimana|gmn|kapan|kapankah|berapa|berapakah|kenapa|knp|mengapa|dimana|"
    r"di\s+mana|dimanakah|siapa|siapakah|bisakah|bolehkah|adakah|dapatkah|haruskah|perlukah|benarkah|"
    r"sudahkah|masihkah|mungkinkah|maukah|manakah|mohon\s+info(?:rmasi)?|minta\s+info(?:rmasi)?|"
    r"(?:tolong|mohon)\s+(?:jelaskan|dijelaskan|info(?:kan)?|informasikan|diinformasikan)|boleh\s+tahu|boleh\s+tau"
)
# "kapan saja", "di mana pun", "berapa pun": not questions.
_ID_INTERROGATIVE = re.compile(rf"\b(?:{_ID_WORDS})\b(?!\s*(?:-?\s*pun|saja|aja)\b)", re.IGNORECASE)
_EN_AUX = (
    r"is|are|was|were|am|do|does|did|can|could|will|would|should|shall|may|might|has|have|had|"
    r"isn't|aren't|wasn't|don't|doesn't|didn't|can't|won't|wouldn't|couldn't|shouldn't|hasn't|haven't"
)
# A wh-word opens a question when a verb follows within two words ("How long does", "What time is");
# "When I logged in, it crashed" is a clause, not a question.
# "and can I ...", "also do you ...", "if yes how many ...": a question that goes on from the one before.
_EN_CONNECTOR = r"(?:(?:and|also|plus|but|or|so|if\s+(?:yes|so|not))\s+)?"
_EN_WH = re.compile(
    rf"(?:^|,\s*){_EN_CONNECTOR}(?:what|how|when|where|why|who|whom|whose|which)(?:'s|'re|\s+(?:\w+\s+){{0,2}}?(?:{_EN_AUX}))\b",
    re.IGNORECASE,
)
_EN_SUBJECT = (
    r"i|you|we|it|this|that|there|they|he|she|the|my|your|our|a|an|any|someone|anyone|somebody|anybody"
)
_EN_AUX_START = re.compile(rf"(?:^|,\s*){_EN_CONNECTOR}(?:{_EN_AUX})\s+(?:{_EN_SUBJECT})\b", re.IGNORECASE)
_EN_PHRASE = re.compile(
    r"\b(?:i(?:'d|\s+would)\s+(?:also\s+)?like\s+to\s+know|i\s+(?:also\s+)?want\s+to\s+know|"
    r"(?:please\s+)?tell\s+me\s+(?:whether|if|when|how|what|where|why|which)|i\s+was\s+wondering|i\s+wonder|"
    r"(?:please\s+)?let\s+me\s+know\s+(?:whether|if|when|how|what|where|why|which)|please\s+advise|"
    r"could\s+you\s+(?:please\s+)?(?:tell|let|confirm|explain|check)|can\s+you\s+(?:please\s+)?(?:tell|confirm|explain))\b",
    re.IGNORECASE,
)
_EXCLAMATION_OPENING = re.compile(
    r"^(?:what\s+an?\b|how\s+(?:nice|great|kind|lovely|awful|annoying|sad)\b)", re.IGNORECASE
)


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, whitespace trimmed, ending after its punctuation.

    Sentences end at ``.``, ``!``, ``?`` followed by a space and at line breaks, except after the
    abbreviations above, a lone letter (an initial) or a list number at the start of a line.
    """
    for line in re.finditer(r"[^\n]+", text):
        yield from _line_sentences(text, line.start(), line.end())


def _line_sentences(text: str, line_start: int, line_end: int) -> Iterator[tuple[int, int]]:
    start = line_start
    for match in _SENTENCE_END.finditer(text, line_start, line_end):
        if match.group().startswith(".") and len(match.group()) == 1:
            # The word before the period, searched for in the sentence's last characters only: an
            # end-anchored search tries every position, so the whole sentence would cost its square.
            tail = max(start, match.start() - _TAIL)
            word = _LAST_WORD.search(text, tail, match.start())
            if word is not None:
                token = word.group(1).lower()
                if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                    continue
                if token.isdigit() and not text[start : word.start()].strip():
                    continue  # "1. Kapan dikirim?": a list number
        yield from _trimmed(text, start, match.end())
        start = match.end()
    yield from _trimmed(text, start, line_end)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        yield start, end


# Words without which a pattern cannot match, so that most sentences are settled by a set lookup
# instead of trying every pattern at every character: the interrogatives' first words ("di mana" needs
# "mana"); a word each of the phrases holds; the words a wh- or auxiliary opening starts with, at the
# start of the sentence or after a comma ("isn't" is the word "isn" and the word "t").
_ID_NEEDS = word_set(
    """
    apakah bagaimana bagaimanakah gimana gmn kapan kapankah berapa berapakah kenapa knp mengapa dimana mana
    dimanakah siapa siapakah bisakah bolehkah adakah dapatkah haruskah perlukah benarkah sudahkah masihkah
    mungkinkah maukah manakah mohon minta tolong boleh
    """
)
_PHRASE_NEEDS = frozenset({"know", "wondering", "wonder", "advise", "you", "tell"})
_OPENING_NEEDS = word_set(
    """
    what how when where why who whom whose which is are was were am do does did can could will would should
    shall may might has have had isn aren wasn don doesn didn won wouldn couldn shouldn hasn haven
    """
)
_ANY_WORD = re.compile(r"\w+")
_OPENING_WORD = re.compile(r"(?:^|,)\s*(?:(?:and|also|plus|but|or|so|if\s+(?:yes|so|not))\s+)?(\w+)")


def is_question(sentence: str) -> bool:
    """Whether one sentence asks something."""
    body = sentence.strip()
    if not body:
        return False
    if "?" in body:
        return True
    if body.isascii():  # other letters may match a pattern's letter when case is ignored ("ı" for "i")
        lower = body.lower()
        found = set(_ANY_WORD.findall(lower))
        if (
            found.isdisjoint(_ID_NEEDS)
            and found.isdisjoint(_PHRASE_NEEDS)
            and _OPENING_NEEDS.isdisjoint(_OPENING_WORD.findall(lower))
        ):
            return False
    return asks(body)


def asks(body: str) -> bool:
    """Whether a stripped sentence without "?" asks something, by every pattern (``is_question`` leaves
    out first the sentences without the words the patterns need)."""
    if _ID_INTERROGATIVE.search(body) or _EN_PHRASE.search(body):
        return True
    if _EXCLAMATION_OPENING.search(body):
        return False
    return bool(_EN_WH.search(body) or _EN_AUX_START.search(body))


def questions(text: str, language: str = "") -> list[Question]:
    """The questions in a customer's message, in order, skipping quoted replies and the signature.

    ``language`` is accepted for symmetry with the coach; both languages' patterns are always tried,
    since customers mix them ("Min, bisa COD? Thanks").
    """
    del language
    found: list[Question] = []
    sample = text[:MAX_CHARS]
    for line in re.finditer(r"[^\n]+", sample):
        content = line.group().strip()
        if _SIGNATURE.match(content):
            break
        if content.startswith(">") or _QUOTE_HEADER.match(content):
            continue
        for start, end in _line_sentences(sample, line.start(), line.end()):
            if is_question(sample[start:end]):
                found.append(Question(sample[start:end], start, end))
                if len(found) >= MAX_QUESTIONS:
                    return found
    return found
