"""A linear text model over separately normalised feature blocks, for Indonesian emotion.

Tweets and chat write the same word many ways ("gak", "ga", "nggak" for "tidak"), show feeling in
punctuation and elongation, and are short, so one tf-idf vector of words misses much. This model
adds up four blocks, each l2-normalised on its own before its weights:

1. **words**: words and word pairs after an informal-spelling lexicon (``data/assist/slang-id.tsv``,
   copied into the artefact);
2. **characters**: the character 2–5-grams inside each word, as the other models' (``features.py``),
   so the shared vocabulary looks them up once for every model;
3. **style**: 15 flags (exclamation and question marks, elongation, emoticons, laughter, capitals …);
4. **meaning**: the mean of 75-dimension word vectors learned without labels from the allowed
   Indonesian text (positive PMI over a five-word window, reduced by SVD).

Per class, one-vs-rest logistic regression over the blocks scaled by their naive-Bayes log-count
ratios (NB-LR); the ratios and the block weights fold into the shipped weights, so scoring is
``softmax(sum of block @ weights + bias)``. Pure: NumPy only.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np

from tanggap.assist.features import MAX_CHARS, words
from tanggap.assist.linear import Featurizer, Vectors

FORMAT = "blocks"
STYLE_FLAGS = 15

_DOUBLE = re.compile(r"(\w)\1+")
# Matched on the lower-cased text.
_SMILE = re.compile(r"[:;=]-?[)dp]|<3|\^\^|\^_\^|:\*")
_FROWN = re.compile(r"[:;=]'?-?[(/\\]|t_t|-_-")
_ELONGATED = re.compile(r"([a-z])\1{2,}")
_LAUGH = re.compile(r"\b(?:w?k?wk(?:wk)+\w*|(?:ha){2,}\w*|(?:he){2,}\w*|(?:hi){2,}\w*|awok\w*)\b")
_LAUGH_PARTS = ("wkwk", "haha", "hehe", "hihi", "awok")  # one of them is in every laugh
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_NOT_LETTER = re.compile(r"[\W\d_]+")
_CAPITAL = re.compile(r"[A-Z\u00c0-\u00de]")
STANDARD_CACHE = 20_000  # tokens whose standard words are remembered per lexicon; emptied when full


def read_lexicon(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``informal<TAB>standard words`` per line; ``#`` starts a comment line."""
    lexicon: dict[str, tuple[str, ...]] = {}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        informal, standard = line.rstrip("\n").split("\t")
        lexicon[informal] = tuple(standard.split())
    return lexicon


def _standard(token: str, lexicon: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    standard = lexicon.get(token)
    if standard is None:
        single = _DOUBLE.sub(r"\1", token)
        standard = lexicon.get(single) if single != token else None
    return (token,) if standard is None else standard


def standard_words(
    tokens: list[str], lexicon: dict[str, tuple[str, ...]], cache: dict[str, tuple[str, ...]] | None = None
) -> list[str]:
    """The tokens with informal spellings replaced ("gak" → "tidak", "bgt" → "banget"); a token not in
    the lexicon is tried again with its doubled letters single ("gakk" → "gak"). ``cache`` remembers
    each token's standard words (for one lexicon)."""
    out: list[str] = []
    if cache is None:
        for token in tokens:
            out += _standard(token, lexicon)
        return out
    for token in tokens:
        standard = cache.get(token)
        if standard is None:
            if len(cache) >= STANDARD_CACHE:
                cache.clear()
            standard = cache[token] = _standard(token, lexicon)
        out += standard
    return out


def word_block(tokens: list[str]) -> list[str]:
    return [f"w {w}" for w in tokens] + [f"b {a} {b}" for a, b in pairwise(tokens)]


def style_flags(text: str) -> np.ndarray:
    text = text[:MAX_CHARS]
    lower = text.lower()
    capitals = len(_CAPITAL.findall(text))
    # More than half the letters are capitals; the lower-case vowels, letters too, settle most texts
    # without counting every letter.
    shouting = (
        capitals > 0
        and sum(map(text.count, "aeiou")) < 2 * capitals
        and capitals / max(1, len(_NOT_LETTER.sub("", text))) > 0.5
    )
    laughing = any(part in lower for part in _LAUGH_PARTS) and _LAUGH.search(lower) is not None
    # Every emoticon holds one of these characters.
    smiling = any(c in lower for c in ":;=<^") and _SMILE.search(lower) is not None
    frowning = ("t_t" in lower or any(c in lower for c in ":;=-")) and _FROWN.search(lower) is not None
    return np.array(
        [
            "!" in text,
            "!!" in text,
            "?" in text,
            "??" in text,
            _ELONGATED.search(lower) is not None,
            smiling,
            frowning,
            laughing,
            shouting,
            "#" in text,
            "[USERNAME]" in text,
            "[URL]" in text,
            _NON_ASCII.search(text) is not None,
            '"' in text,
            math.log1p(len(text.split())) / 5,
        ],
        dtype=np.float32,
    )


def meaning_words(tokens: list[str]) -> list[str]:
    return [w for w in tokens if w[0].isalnum()]


def mean_vector(tokens: list[str], vocabulary: dict[str, int], table: np.ndarray) -> np.ndarray:
    """The l2-normalised mean of the known words' vectors (zeros when none is known)."""
    rows = [vocabulary[w] for w in tokens if w in vocabulary]
    if not rows:
        return np.zeros(table.shape[1], dtype=np.float32)
    mean = table[rows].astype(np.float32).mean(axis=0)
    norm = float(np.sqrt(mean @ mean))
    return mean / norm if norm else mean


def tfidf(counts: Counter[str], vocabulary: dict[str, int], idf: np.ndarray) -> Vectors:
    """The l2-normalised sublinear tf-idf of the known features, as scikit-learn's vectorizer makes it."""
    pairs = [(vocabulary[f], c) for f, c in counts.items() if f in vocabulary]
    if not pairs:
        return Vectors(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    index = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
    value = np.fromiter((1.0 + math.log(c) for _, c in pairs), dtype=np.float32, count=len(pairs))
    value = value * idf[index]
    norm = float(np.sqrt(value @ value))
    return Vectors(index, value / norm if norm else value)


@dataclass(frozen=True)
class BlockModel:
    """A softmax model over the four blocks. ``featurizer`` is the character block (its vocabulary
    joins the shared one); the word block has its own vocabulary and idf."""

    name: str
    classes: tuple[str, ...]
    featurizer: Featurizer  # characters
    char_weights: np.ndarray  # (character features, classes)
    word_featurizer: Featurizer
    word_weights: np.ndarray  # (word features, classes)
    style_weights: np.ndarray  # (STYLE_FLAGS, classes)
    vector_vocabulary: dict[str, int]
    vector_table: np.ndarray  # (words, dimensions), float16
    vector_weights: np.ndarray  # (dimensions, classes)
    bias: np.ndarray
    lexicon: dict[str, tuple[str, ...]]
    meta: dict[str, object]
    kind: str = "softmax"
    _standard: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def raw(self, chars: Vectors, text: str) -> np.ndarray:
        """``chars`` is the character block of ``text`` (from the shared vocabulary, or ``featurizer``)."""
        tokens = standard_words(words(text), self.lexicon, self._standard)
        total = self.bias.copy()
        if chars.index.size:
            total += chars.value @ self.char_weights[chars.index]
        found = tfidf(Counter(word_block(tokens)), self.word_featurizer.vocabulary, self.word_featurizer.idf)
        if found.index.size:
            total += found.value @ self.word_weights[found.index]
        total += style_flags(text) @ self.style_weights
        total += (
            mean_vector(meaning_words(tokens), self.vector_vocabulary, self.vector_table)
            @ self.vector_weights
        )
        return total

    def forget_words(self) -> None:
        self._standard.clear()

    def scores(self, chars: Vectors, text: str = "") -> dict[str, float]:
        raw = self.raw(chars, text)
        raw = np.exp(raw - raw.max())
        raw = raw / raw.sum()
        return {c: round(float(s), 4) for c, s in zip(self.classes, raw, strict=True)}

    def scores_text(self, text: str) -> dict[str, float]:
        return self.scores(self.featurizer.vectorise(text), text)

    def labels(self, scores: dict[str, float]) -> list[str]:
        return [max(scores, key=lambda c: scores[c])]


def _terms(vocabulary: dict[str, int]) -> np.ndarray:
    return np.array("\n".join(sorted(vocabulary, key=vocabulary.__getitem__)))


def _vocabulary(terms: np.ndarray) -> dict[str, int]:
    text = str(terms)
    return {t: i for i, t in enumerate(text.split("\n"))} if text else {}


def save(path: Path, *, model: BlockModel) -> None:
    lexicon = "\n".join(f"{k}\t{' '.join(v)}" for k, v in sorted(model.lexicon.items()))
    meta = {
        "format": FORMAT,
        "name": model.name,
        "kind": model.kind,
        "classes": list(model.classes),
        **model.meta,
    }
    np.savez_compressed(
        path,
        meta=np.array(json.dumps(meta)),
        char_terms=_terms(model.featurizer.vocabulary),
        char_idf=model.featurizer.idf.astype(np.float32),
        char_weights=model.char_weights.astype(np.float16),
        word_terms=_terms(model.word_featurizer.vocabulary),
        word_idf=model.word_featurizer.idf.astype(np.float32),
        word_weights=model.word_weights.astype(np.float16),
        style_weights=model.style_weights.astype(np.float32),
        vector_terms=_terms(model.vector_vocabulary),
        vector_table=model.vector_table.astype(np.float16),
        vector_weights=model.vector_weights.astype(np.float32),
        bias=model.bias.astype(np.float32),
        lexicon=np.array(lexicon),
    )


def load(path: Path) -> BlockModel:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta.pop("format", "") != FORMAT:
            raise ValueError(f"{path} is not a block model")
        return BlockModel(
            name=meta.pop("name"),
            kind=meta.pop("kind"),
            classes=tuple(meta.pop("classes")),
            featurizer=Featurizer(_vocabulary(data["char_terms"]), data["char_idf"].astype(np.float32)),
            char_weights=data["char_weights"].astype(np.float32),
            word_featurizer=Featurizer(_vocabulary(data["word_terms"]), data["word_idf"].astype(np.float32)),
            word_weights=data["word_weights"].astype(np.float32),
            style_weights=data["style_weights"].astype(np.float32),
            vector_vocabulary=_vocabulary(data["vector_terms"]),
            vector_table=data["vector_table"],
            vector_weights=data["vector_weights"].astype(np.float32),
            bias=data["bias"].astype(np.float32),
            lexicon=read_lexicon(str(data["lexicon"]).split("\n")),
            meta=meta,
        )
