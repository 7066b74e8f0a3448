"""A trained linear text model as plain arrays: vocabulary, idf weights, one weight column per class.

Pure (NumPy only): loads the shipped ``.npz`` artefacts and scores texts the way scikit-learn's
``TfidfVectorizer(sublinear_tf=True)`` and ``LogisticRegression`` did at training time.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from tanggap.assist.features import analyse, pair_features, words
from tanggap.assist.ngrams import NgramIndex


@dataclass(frozen=True)
class Vectors:
    """The sparse, l2-normalised tf-idf vector of one text: column indices and their values."""

    index: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class Featurizer:
    vocabulary: dict[str, int]
    idf: np.ndarray

    def vectorise(self, text: str) -> Vectors:
        counts = Counter(analyse(text))
        vocabulary = self.vocabulary
        pairs = [(vocabulary[f], c) for f, c in counts.items() if f in vocabulary]
        if not pairs:
            return Vectors(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        index = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        tf = np.fromiter((1.0 + math.log(c) for _, c in pairs), dtype=np.float32, count=len(pairs))
        value = tf * self.idf[index]
        norm = float(np.sqrt(value @ value))
        return Vectors(index, value / norm if norm else value)


@dataclass(frozen=True)
class LinearModel:
    """``kind`` is "softmax" (one label) or "sigmoid" (several labels, each with its own threshold)."""

    name: str
    kind: str
    classes: tuple[str, ...]
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    thresholds: np.ndarray  # (classes,), sigmoid models only
    featurizer: Featurizer
    meta: dict[str, object]

    def scores(self, vectors: Vectors, text: str = "") -> dict[str, float]:
        """The class probabilities of a text's ``vectors`` (``text`` itself is for the block models)."""
        raw = (
            vectors.value @ self.weights[vectors.index] + self.bias
            if vectors.index.size
            else self.bias.copy()
        )
        if self.kind == "softmax":
            raw = np.exp(raw - raw.max())
            raw = raw / raw.sum()
        else:
            raw = 1.0 / (1.0 + np.exp(-raw))
        return {c: round(float(s), 4) for c, s in zip(self.classes, raw, strict=True)}

    def scores_text(self, text: str) -> dict[str, float]:
        return self.scores(self.featurizer.vectorise(text))

    def forget_words(self) -> None:
        """Nothing to forget: the words a plain model sees are remembered by the shared vocabulary."""

    def labels(self, scores: dict[str, float]) -> list[str]:
        """The predicted label(s): the best one, or every class over its threshold."""
        if self.kind == "softmax":
            return [max(scores, key=lambda c: scores[c])]
        return [c for c, t in zip(self.classes, self.thresholds, strict=True) if scores[c] >= t]


def save(path: Path, *, model: LinearModel) -> None:
    """Write ``model`` with its featurizer as one compressed ``.npz`` (weights in float16)."""
    terms = sorted(model.featurizer.vocabulary, key=model.featurizer.vocabulary.__getitem__)
    np.savez_compressed(
        path,
        terms=np.array("\n".join(terms)),
        idf=model.featurizer.idf.astype(np.float32),
        weights=model.weights.astype(np.float16),
        bias=model.bias.astype(np.float32),
        thresholds=model.thresholds.astype(np.float32),
        meta=np.array(
            json.dumps({"name": model.name, "kind": model.kind, "classes": list(model.classes), **model.meta})
        ),
    )


class TextModel(Protocol):
    """What the shipped models have in common: a plain linear model or a block model (``blocks.py``)."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def classes(self) -> tuple[str, ...]: ...
    @property
    def featurizer(self) -> Featurizer: ...
    @property
    def meta(self) -> dict[str, object]: ...
    def scores(self, vectors: Vectors, text: str = "") -> dict[str, float]: ...
    def scores_text(self, text: str) -> dict[str, float]: ...
    def labels(self, scores: dict[str, float]) -> list[str]: ...
    def forget_words(self) -> None: ...


def load(path: Path) -> TextModel:
    """A shipped artefact: a plain linear model, or a block model when its metadata says so."""
    with np.load(path, allow_pickle=False) as data:
        form = json.loads(str(data["meta"])).get("format", "linear")
    if form == "blocks":
        from tanggap.assist import blocks

        return blocks.load(path)
    return load_linear(path)


def load_linear(path: Path) -> LinearModel:
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        if meta.get("format", "linear") != "linear":
            raise ValueError(f"{path} is not a plain linear model")
        terms = str(data["terms"]).split("\n")
        featurizer = Featurizer({t: i for i, t in enumerate(terms)}, data["idf"].astype(np.float32))
        return LinearModel(
            name=meta.pop("name"),
            kind=meta.pop("kind"),
            classes=tuple(meta.pop("classes")),
            weights=data["weights"].astype(np.float32),
            bias=data["bias"].astype(np.float32),
            thresholds=data["thresholds"].astype(np.float32),
            featurizer=featurizer,
            meta=meta,
        )


class SharedVocabulary:
    """Several models' vocabularies as one: a text's features are looked up once, then each model takes
    its own columns (``vectorise`` per model would look every feature up once per model)."""

    def __init__(self, models: list[TextModel]) -> None:
        union: dict[str, int] = {}
        for model in models:
            for term in model.featurizer.vocabulary:
                union.setdefault(term, len(union))
        self.vocabulary = union
        self.ngrams = NgramIndex(union)
        self.columns: dict[str, np.ndarray] = {}
        for model in models:
            column = np.full(len(union), -1, dtype=np.int64)
            for term, index in model.featurizer.vocabulary.items():
                column[union[term]] = index
            self.columns[model.name] = column

    def lookup(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The union's column and the count of every known feature of ``text`` (the features of
        ``analyse``): words and word pairs from the dictionary, character n-grams by hash, all at once."""
        tokens = words(text)
        get = self.vocabulary.get
        named = [i for i in map(get, [f"w {w}" for w in tokens] + pair_features(tokens)) if i is not None]
        found = np.concatenate([np.array(named, dtype=np.int32), self.ngrams.find(tokens)])
        ids, counts = np.unique(found, return_counts=True)
        return ids, (1.0 + np.log(counts)).astype(np.float32)

    def vectors_of(self, found: tuple[np.ndarray, np.ndarray], model: TextModel) -> Vectors:
        ids, tf = found
        local = self.columns[model.name][ids]
        keep = local >= 0
        index = local[keep]
        value = tf[keep] * model.featurizer.idf[index]
        norm = float(np.sqrt(value @ value)) if value.size else 0.0
        return Vectors(index, value / norm if norm else value)
