"""Text to features for the assist classifiers: words, word pairs and the character n-grams inside each
word, the same at training and at run time. Pure: no Django, no third-party code.
"""

from __future__ import annotations

import re
from itertools import pairwise

MAX_CHARS = 2000  # a message is judged by its first 2,000 characters (after quotes were trimmed)
CHAR_NGRAMS = (2, 3, 4, 5)
MAX_WORD = 30  # longer "words" (hashes, base64) give no character n-grams

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_MASK = re.compile(r"\[(?:username|url|name|religion)\]", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_REPEAT = re.compile(r"(\w)\1{2,}")
_WORD = re.compile(r"[^\W_]+|[!?]+|[:;]-?[()dp]", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, links/addresses/numbers as placeholders, "bangeeeet" as "bangeet"."""
    text = text[:MAX_CHARS].lower()
    # Each pattern is tried only where the text holds what it must match: most messages have no link,
    # address or mask, and trying _EMAIL at every character costs more than the rest of normalise.
    if "http" in text or "www." in text:
        text = _URL.sub(" urltoken ", text)
    if "@" in text:
        text = _EMAIL.sub(" emailtoken ", text)
    if "[" in text:
        text = _MASK.sub(" ", text)
    text = _NUMBER.sub("0", text)
    return _REPEAT.sub(r"\1\1", text)


_last: tuple[str, tuple[str, ...]] = ("", ())


def words(text: str) -> list[str]:
    """The words of ``text`` after ``normalise``. The last text's words are remembered: every model
    reads the same message."""
    global _last
    seen, found = _last
    if text is seen or text == seen:
        return list(found)
    tokens = _WORD.findall(normalise(text))
    _last = (text, tuple(tokens))
    return tokens


def word_features(word: str) -> list[str]:
    """The word itself and the character n-grams inside it (none for long "words" or punctuation)."""
    features = [f"w {word}"]
    if len(word) > MAX_WORD or not word[0].isalnum():
        return features
    padded = f" {word} "
    size = len(padded)
    for n in CHAR_NGRAMS:
        if n > size:
            break
        features += [padded[i : i + n] for i in range(size - n + 1)]
    return features


def pair_features(tokens: list[str]) -> list[str]:
    return [f"b {a} {b}" for a, b in pairwise(tokens)]


def analyse(text: str) -> list[str]:
    """Every feature of ``text``, repeated as often as it occurs."""
    tokens = words(text)
    features = pair_features(tokens)
    for w in tokens:
        features += word_features(w)
    return features


def char_ngrams(text: str) -> list[str]:
    """The character n-grams inside the words of ``text`` (``analyse`` without words and pairs)."""
    features: list[str] = []
    for w in words(text):
        features += word_features(w)[1:]
    return features
