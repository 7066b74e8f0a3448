"""Text helpers for search: tokenising, language guess and stemming (Indonesian and English).

Pure: no Django. The search index stores ``search_text(...)``, a string of stems in both
languages' forms, so SQLite FTS5 and PostgreSQL (``simple`` config) give the same results.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
MAX_TOKENS = 20_000

# A handful of very frequent words that carry no meaning for search, in both languages.
STOPWORDS = frozenset(
    """
    a an and are as at be by for from has have i in is it its of on or that the this to was were will with you
    your we our my me he she they them their his her not no yes do does did so if but
    ada adalah agar akan aku anda atau bagi bahwa bisa dalam dan dari dengan di ini itu jika juga kami kamu
    ke kita mereka pada saya sudah telah tidak untuk yang ya oleh sebagai karena tetapi namun
    """.split()
)

_ID_MARKERS = frozenset(
    "yang dan tidak saya anda ini itu dengan untuk dari pada sudah belum kami terima kasih mohon tolong "
    "bagaimana apakah kapan mengapa pesanan barang sampai bisa akan ada ya selamat pagi siang sore malam "
    "maaf bapak ibu kak".split()
)
_EN_MARKERS = frozenset(
    "the and not you this that with for from have has was were will would please thanks thank order "
    "when why how what can could hello hi dear my your our is are it".split()
)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens, accents folded, at most ``MAX_TOKENS``."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    out = []
    for match in _TOKEN.finditer(folded):
        out.append(match.group().replace("’", "'"))
        if len(out) >= MAX_TOKENS:
            break
    return out


def guess_language(text: str) -> str:
    """``"id"``, ``"en"`` or ``""`` when there is too little to tell, by frequent-word markers."""
    words = tokens(text[:4000])
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
    if not word.isalpha():
        return word
    return _indonesian().stem(word) or word


@lru_cache(maxsize=200_000)
def stem_en(word: str) -> str:
    if not word.isalpha():
        return word
    return _english().stemWord(word)


def stems(text: str) -> list[str]:
    """Both languages' stems of every non-stopword token, deduplicated in order.

    Indexing both forms lets a query in either language find a message whose language was guessed
    wrong, and keeps index and query in step without storing the language beside each row.
    """
    seen: dict[str, None] = {}
    for word in tokens(text):
        if word in STOPWORDS:
            continue
        seen.setdefault(stem_en(word), None)
        seen.setdefault(stem_id(word), None)
    return list(seen)


def search_text(*parts: str) -> str:
    """What the index stores for a document made of ``parts``."""
    return " ".join(stems(" ".join(p for p in parts if p)))


def query_terms(query: str) -> list[list[str]]:
    """For each query word, the alternatives (word and stems) any one of which must match."""
    terms: list[list[str]] = []
    for word in tokens(query)[:32]:
        if word in STOPWORDS:
            continue
        alts = list(dict.fromkeys([stem_id(word), stem_en(word)]))
        terms.append(alts)
    return terms
