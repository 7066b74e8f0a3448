"""Signals of one customer message: language, sentiment, emotion with the anger score, intents and the
questions it asks. Pure (NumPy only): the shipped models are read once from ``trained/``; nothing is
downloaded.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import py3langid

from tanggap.assist.courtesy import without_courtesy, without_opening_thanks_sentence
from tanggap.assist.linear import SharedVocabulary, TextModel, load
from tanggap.assist.questions import Question, questions
from tanggap.core.text import guess_language

MODELS_DIR = Path(__file__).resolve().parent / "trained"
# How the models' readings become signals: the close read apart, a feeling kept only with its tone,
# praise dropped where a fix failed. It is part of the version stored with each message's signals;
# raise it when those rules change, so that ``tanggap assist reclassify`` reads stored messages again.
READING_RULES = 1
MODEL_NAMES = ("sentiment.id", "sentiment.en", "emotion.id", "emotion.en", "intents")
LANGUAGES = ("id", "en", "other")


class ModelsMissing(Exception):
    """The trained artefacts are not installed (``tanggap assist train`` makes them)."""


@dataclass(frozen=True)
class Signals:
    language: str
    sentiment: str
    sentiment_scores: dict[str, float]
    emotion: str
    emotion_scores: dict[str, float]
    anger: float
    intents: list[str]
    questions: list[Question] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Models:
    by_name: dict[str, TextModel]
    version: str
    shared: SharedVocabulary

    def forget_words(self) -> None:
        """Forget every word remembered from earlier messages (as a new process would start)."""
        for model in self.by_name.values():
            model.forget_words()


def models(directory: Path = MODELS_DIR) -> Models:
    """The shipped models, loaded once per process; the version is a digest of their bytes and of
    ``READING_RULES``."""
    return _models(directory)


def forget_models() -> None:
    """Load the models again at the next use (after ``tanggap assist train``, in tests)."""
    _models.cache_clear()


@lru_cache(maxsize=4)
def _models(directory: Path) -> Models:
    digest = hashlib.sha256(f"reading rules {READING_RULES}\n".encode())
    loaded = {}
    for name in MODEL_NAMES:
        path = directory / f"{name}.npz"
        if not path.exists():
            raise ModelsMissing(str(path))
        digest.update(path.read_bytes())
        loaded[name] = load(path)
    return Models(loaded, digest.hexdigest()[:12], SharedVocabulary(list(loaded.values())))


def language_of(text: str) -> str:
    """ "id", "en" or "other": frequent-word markers first, then a character model for what they leave open
    (Malay counts as Indonesian)."""
    sample = text[:2000]
    guess = guess_language(sample)
    if guess:
        return guess
    if len(sample.split()) < 3:
        return "other"
    code, _ = py3langid.classify(sample)
    if code in {"id", "ms"}:
        return "id"
    if code == "en":
        return "en"
    return "other"


def anger_of(emotion_scores: dict[str, float], sentiment_scores: dict[str, float]) -> float:
    """How angry a message reads, 0..1: the geometric mean of the emotion model's anger and the
    sentiment model's negative, so both must agree. The emotion models learned from tweets and Reddit
    comments, which always carry one of five feelings; customer mail is often matter-of-fact, and
    alone their anger hardly follows how angry support messages are (see docs/assist.md)."""
    return round(math.sqrt(emotion_scores["anger"] * sentiment_scores["negative"]), 4)


# The tone each feeling carries. The emotion models learned from tweets and comments that always carry
# one of the five, so they name one for a matter-of-fact question too ("Kapan dana masuk ke rekening
# saya?" reads "anger"); a feeling stands only where the sentiment model hears the same tone.
_TONE_OF_FEELING = {
    "anger": "negative",
    "fear": "negative",
    "sadness": "negative",
    "happy": "positive",
    "love": "positive",
}


def feeling_of(emotion: str, sentiment: str) -> str:
    """The emotion a message shows: the emotion model's, when the sentiment shares its tone; else ""."""
    return emotion if _TONE_OF_FEELING.get(emotion) == sentiment else ""


# A problem that persists or came back after a fix: "Sudah saya coba sesuai saran, tapi masalahnya masih
# sama.", "Thanks for the tip, but the code still isn't arriving." The intent model hears the courtesy
# of such follow-ups as praise; these words say the customer is not pleased yet.
_STILL_WRONG = re.compile(
    r"\b(?:masih|tetap|tetep|msh|ttp)\s+(?:sama|belum|tidak|tdk|gak|ga|nggak|enggak|error|eror|gagal|rusak|bermasalah"
    r"|muncul|mati|lemot|macet|hilang|nge-?\w+)\b|\bbelum\s+(?:beres|berhasil|bisa|juga|ada\s+perubahan)\b"
    r"|\btidak\s+(?:berhasil|ngaruh|berpengaruh)\b|\bkambuh\w*"
    r"|\b(?:hilang|mati|error|eror|rusak|bocor|macet|putus|gagal|lemot)\s+lagi\b"
    r"|\bstill\s+(?:the\s+same|not|no|doesn't|does\s+not|isn't|is\s+not|won't|can't|cannot|broken|failing|fails"
    r"|down|missing|happening|getting|showing|stuck|nothing)\b|\b(?:didn't|did\s+not|doesn't|does\s+not|hasn't"
    r"|has\s+not)\s+(?:work|help|fix|solve|change)\b|\bnot\s+(?:fixed|resolved|solved|working)\b"
    r"|\b(?:broke|broken|stopped|failed|failing|crashed|crashing|down|dropping|dropped|happening|happened|leaking"
    r"|freezing|froze)\s+again\b",
    re.IGNORECASE,
)


# How sure the tone must be that what follows an opening "Thank you for the reply." complains. Short
# plain sentences read negative often enough ("The item arrived safely.": 0.70) to need a high bar; the
# complaints such follow-ups make read 0.89 and more.
_COMPLAINING = 0.8


def classify(text: str, *, directory: Path = MODELS_DIR) -> Signals:
    loaded = models(directory)
    language = language_of(text)
    side = "id" if language == "id" else "en"
    read = _read(loaded, side, text)
    body = text
    if "praise" in read.intents or read.sentiment == "positive":
        # A courteous close reads as praise and lifts the tone: "The OTP code never reaches my phone ...
        # Thank you for your help." is a complaint, and so is "Thanks for the tip, but the code still
        # isn't arriving". What the message says without the courtesy decides.
        body = without_courtesy(text)
        if body != text:
            read = _read(loaded, side, body)
    if "praise" in read.intents or read.sentiment == "positive":
        # Thanks that open a follow-up ("Thank you for the reply. The parcel still has not arrived.")
        # are courtesy when the rest complains; when it does not, they may be the praise.
        rest = without_opening_thanks_sentence(body)
        if rest != body:
            again = _read(loaded, side, rest)
            if again.sentiment_scores["negative"] >= _COMPLAINING:
                read = again
    asked = questions(text, language if language != "other" else "")
    intents = [i for i in read.intents if i != "praise" or not _STILL_WRONG.search(text)]
    if asked and "question" not in intents:
        intents.append("question")
    return Signals(
        language=language,
        sentiment=read.sentiment,
        sentiment_scores=read.sentiment_scores,
        emotion=feeling_of(read.emotion, read.sentiment),
        emotion_scores=read.emotion_scores,
        anger=anger_of(read.emotion_scores, read.sentiment_scores),
        intents=sorted(intents),
        questions=asked,
    )


@dataclass(frozen=True)
class _Reading:
    sentiment: str
    sentiment_scores: dict[str, float]
    emotion: str
    emotion_scores: dict[str, float]
    intents: list[str]


def _read(loaded: Models, side: str, text: str) -> _Reading:
    """What the models read in ``text``: its tone and its intents."""
    shipped = loaded.by_name
    found = loaded.shared.lookup(text)
    sentiment_model = shipped[f"sentiment.{side}"]
    sentiment_scores = sentiment_model.scores(loaded.shared.vectors_of(found, sentiment_model), text)
    emotion_model = shipped[f"emotion.{side}"]
    emotion_scores = emotion_model.scores(loaded.shared.vectors_of(found, emotion_model), text)
    intent_model = shipped["intents"]
    intent_scores = intent_model.scores(loaded.shared.vectors_of(found, intent_model), text)
    return _Reading(
        sentiment=sentiment_model.labels(sentiment_scores)[0],
        sentiment_scores=sentiment_scores,
        emotion=emotion_model.labels(emotion_scores)[0],
        emotion_scores=emotion_scores,
        intents=intent_model.labels(intent_scores),
    )
