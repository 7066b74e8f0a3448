"""Text helpers for search: tokenising, language guess and stemming (Indonesian and English).

Pure: no Django. The search index stores ``search_text(...)``, a string of stems in both
languages' forms, so SQLite FTS5 and PostgreSQL (``simple`` config) give the same results.

Stems are plain runs of letters and digits (no apostrophes, at most ``MAX_WORD`` characters)
separated by single spaces, so both engines' tokenisers see exactly the words we wrote.

Cost: PySastrawi loads its dictionary on first use (about 0.07 s, measured on the 2-core
machine); after that a word costs about 9 µs uncached, and both stemmers are memoised.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
MAX_TOKENS = 20_000
# Longer "words" are encoded data (base64, hashes glued to text); nobody searches for them, and
# PostgreSQL refuses lexemes over 2 KB.
MAX_WORD = 64
MAX_QUERY_WORDS = 32


def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated list, as a set (for word lists written as one string)."""
    return frozenset(text.split())


# A handful of very frequent words that carry no meaning for search, in both languages.
STOPWORDS = word_set(
    """
    a an and are as at be by for from has have i in is it its of on or that the this to was were will with you
    your we our my me he she they them their his her not no yes do does did so if but
    ada adalah agar akan aku anda atau bagi bahwa bisa dalam dan dari dengan di ini itu jika juga kami kamu
    ke kita mereka pada saya sudah telah tidak untuk yang ya oleh sebagai karena tetapi namun
    """
)

# Sastrawi takes a shorter dictionary word for a few frequent helpdesk words ("memesan" -> "mes",
# "dipesan" -> "pes"); these say what the root really is.
_ID_OVERRIDES = {
    "memesan": "pesan",
    "dipesan": "pesan",
    "pemesanan": "pesan",
    "pemesanannya": "pesan",
    "memesannya": "pesan",
    "dipesannya": "pesan",
}

_ID_MARKERS = word_set(
    "yang dan tidak saya anda ini itu dengan untuk dari pada sudah belum kami terima kasih mohon tolong "
    "bagaimana apakah kapan mengapa pesanan barang sampai bisa akan ada ya selamat pagi siang sore malam "
    "maaf bapak ibu kak"
)
_EN_MARKERS = word_set(
    "the and not you this that with for from have has was were will would please thanks thank order "
    "when why how what can could hello hi dear my your our is are it"
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, accents folded, at most ``MAX_TOKENS``."""
    # Lower-case after NFKD: compatibility forms such as "𝞐" decompose to capitals ("Α").
    if text.isascii():  # nothing to decompose or fold: the common case, 20x cheaper
        folded = text.lower()
    else:
        folded = _NON_ASCII_RUN.sub(_without_marks, unicodedata.normalize("NFKD", text).lower())
    found = _TOKEN.findall(folded.replace("’", "'"))
    del found[MAX_TOKENS:]
    return found


def _without_marks(run: re.Match[str]) -> str:
    """A run of non-ASCII characters without its combining marks (accents after NFKD): only these
    runs are looked at one character at a time, not the whole text."""
    return "".join(ch for ch in run.group() if not unicodedata.combining(ch))


LANGUAGE_SAMPLE = 4000  # characters of a text the language is guessed from


def guess_language(text: str) -> str:
    """``"id"``, ``"en"`` or ``""`` when there is too little to tell, by frequent-word markers."""
    return _language_of(tokens(text[:LANGUAGE_SAMPLE]))


def _language_of(words: list[str]) -> str:
    id_hits = sum(1 for w in words if w in _ID_MARKERS)
    en_hits = sum(1 for w in words if w in _EN_MARKERS)
    if id_hits == en_hits:
        return ""
    return "id" if id_hits > en_hits else "en"


@lru_cache(maxsize=1)
def _english() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=1)
def _indonesian():  # type: ignore[no-untyped-def]
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=200_000)
def stem_id(word: str) -> str:
    """Indonesian root of a lower-case word (PySastrawi). Only plain ASCII words are stemmed:
    Sastrawi drops other letters, which would turn "abcдеф" into "abc"."""
    if not (word.isascii() and word.isalpha()):
        return word
    return _ID_OVERRIDES.get(word) or _indonesian().stem(word) or word


@lru_cache(maxsize=200_000)
def stem_en(word: str) -> str:
    """English stem of a lower-case word (Snowball)."""
    if not word.isalpha():
        return word
    return _english().stemWord(word) or word


def _index_words(words: list[str]) -> list[str]:
    """The words the index and the query both use: tokens without stopwords, apostrophes dropped
    ("don't" -> "dont", as both engines' tokenisers would otherwise split it), bounded in length."""
    out = []
    for token in words:
        if token in STOPWORDS:
            continue
        word = token.replace("'", "")
        if len(word) <= MAX_WORD:
            out.append(word)
    return out


def stems(text: str) -> list[str]:
    """Both languages' stems of every non-stopword token, deduplicated in order.

    Indexing both forms lets a query in either language find a message whose language was guessed
    wrong, and keeps index and query in step without storing the language beside each row.
    """
    return _stems_of(tokens(text))


def _stems_of(words: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for word in _index_words(words):
        seen.setdefault(stem_en(word), None)
        seen.setdefault(stem_id(word), None)
    return list(seen)


def search_text(*parts: str) -> str:
    """What the index stores for a document made of ``parts``."""
    return " ".join(stems(" ".join(p for p in parts if p)))


def search_text_and_language(subject: str, text: str) -> tuple[str, str]:
    """``search_text(text)`` and ``guess_language(f"{subject}\n{text}")`` with the text split into
    words once (a received message needs both)."""
    words = tokens(text)
    sample = words if len(text) <= LANGUAGE_SAMPLE else tokens(text[:LANGUAGE_SAMPLE])
    return " ".join(_stems_of(words)), _language_of(tokens(subject) + sample)


def query_terms(query: str) -> list[list[str]]:
    """For each query word (at most ``MAX_QUERY_WORDS``), the stems any one of which must match.

    A document word always yields the same stems as the same word in a query, so a document
    containing every query word (in any inflection that stems alike) matches.
    """
    terms: list[list[str]] = []
    for word in _index_words(tokens(query))[:MAX_QUERY_WORDS]:
        alts = list(dict.fromkeys([stem_id(word), stem_en(word)]))
        if alts not in terms:
            terms.append(alts)
    return terms
