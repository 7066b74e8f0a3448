"""The character n-grams of a whole message looked up at once, in NumPy instead of one dictionary read per
n-gram: each n-gram is a 64-bit polynomial hash of its code points, and a vocabulary's n-grams are a sorted
array of the same hashes. Gives what ``features.word_features`` and a dictionary give, without the Python
loop over every n-gram of every word (a 2,000-character message has about 9,000). Pure: NumPy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from tanggap.assist.features import CHAR_NGRAMS, MAX_WORD

# Odd, so multiplying by it loses no bits modulo 2**64. Two n-grams can still share a hash: the
# vocabulary's are checked distinct at load, and a message's n-gram that is not in the vocabulary
# matches one that is only with a chance of about 1 in 2**64 / vocabulary size.
_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_LONGEST = max(CHAR_NGRAMS)


def is_char_ngram(term: str) -> bool:
    """Whether a vocabulary term is a character n-gram (words are "w …", pairs "b … …"; an n-gram holds a
    space only as the padding at either end)."""
    return CHAR_NGRAMS[0] <= len(term) <= _LONGEST and " " not in term[1:-1]


def _hash_terms(terms: Sequence[str]) -> np.ndarray:
    codes = np.array(terms, dtype=f"<U{_LONGEST}").view(np.uint32).reshape(len(terms), _LONGEST)
    lengths = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
    hashes = np.zeros(len(terms), dtype=np.uint64)
    for k in range(_LONGEST):
        hashes = np.where(k < lengths, hashes * _MULTIPLIER + codes[:, k].astype(np.uint64) + 1, hashes)
    return hashes


class NgramIndex:
    """The character n-grams of a vocabulary, by hash: ``find(tokens)`` gives the vocabulary index of
    every n-gram inside the tokens that the vocabulary has, as often as it occurs."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        terms = [t for t in vocabulary if is_char_ngram(t)]
        hashes = _hash_terms(terms) if terms else np.zeros(0, dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        if self.hashes.size and np.any(self.hashes[1:] == self.hashes[:-1]):
            raise ValueError("two character n-grams of the vocabulary have the same hash")
        self.ids = np.fromiter((vocabulary[t] for t in terms), dtype=np.int32, count=len(terms))[order]

    def find(self, tokens: Iterable[str]) -> np.ndarray:
        """As ``[vocabulary[g] for w in tokens for g in word_features(w)[1:] if g in vocabulary]``."""
        kept = [w for w in tokens if len(w) <= MAX_WORD and w[:1].isalnum()]
        if not kept or not self.hashes.size:
            return np.zeros(0, dtype=np.int32)
        padded = " " + "  ".join(kept) + " "  # " one  two ": each word between its own two spaces
        codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64) + 1
        segment = np.repeat(np.arange(len(kept)), [len(w) + 2 for w in kept])
        found = []
        rolling = codes
        for n in range(2, _LONGEST + 1):
            rolling = rolling[:-1] * _MULTIPLIER + codes[n - 1 :]
            if n in CHAR_NGRAMS:
                found.append(rolling[segment[: rolling.size] == segment[n - 1 :]])
        wanted = np.concatenate(found)
        at = np.minimum(np.searchsorted(self.hashes, wanted), self.hashes.size - 1)
        return self.ids[at[self.hashes[at] == wanted]]
