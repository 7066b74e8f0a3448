"""Fitting a block model (``blocks.py``): word vectors learned without labels, then NB-LR over the
four blocks. Used by ``training.fit`` for tasks whose classifier is "blocks"; needs SciPy and
scikit-learn, like the rest of training.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from tanggap.assist.blocks import (
    BlockModel,
    mean_vector,
    meaning_words,
    standard_words,
    style_flags,
    word_block,
)
from tanggap.assist.features import char_ngrams, words
from tanggap.assist.linear import Featurizer
from tanggap.assist.training import MAX_ITER, TOL, Task, nb_ratios, presence

DIMENSIONS = 75
WINDOW = 5  # words on each side; a pair counts 1/distance
MIN_COUNT = 2
CONTEXT_SMOOTHING = 0.75
# Each block is l2-normalised; the meaning block then counts three quarters of the others. Chosen with
# the rest of the recipe by 5-fold cross-validation on EmoT's train split.
VECTOR_WEIGHT = 0.75


def word_vectors(documents: list[list[str]]) -> tuple[list[str], np.ndarray]:
    """Words seen at least twice and their l2-normalised vectors: positive PMI of co-occurrence within
    ``WINDOW`` words (context distribution smoothed), reduced to ``DIMENSIONS`` by randomised SVD with a
    fixed seed (``U * sqrt(S)``)."""
    from scipy.sparse import coo_matrix, csr_matrix
    from sklearn.utils.extmath import randomized_svd

    counts = Counter(w for document in documents for w in document)
    vocabulary = sorted(w for w, c in counts.items() if c >= MIN_COUNT)
    index = {w: i for i, w in enumerate(vocabulary)}
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for document in documents:
        ids = [index.get(w, -1) for w in document]
        for i, a in enumerate(ids):
            if a < 0:
                continue
            for distance in range(1, WINDOW + 1):
                if i + distance >= len(ids):
                    break
                b = ids[i + distance]
                if b >= 0:
                    rows += (a, b)
                    columns += (b, a)
                    values += (1.0 / distance, 1.0 / distance)
    size = len(vocabulary)
    pairs = coo_matrix((np.array(values), (rows, columns)), shape=(size, size)).tocsr()
    pairs.sum_duplicates()
    total = pairs.sum()
    row_sums = np.asarray(pairs.sum(axis=1)).ravel()
    context = np.asarray(pairs.sum(axis=0)).ravel() ** CONTEXT_SMOOTHING
    context /= context.sum()
    cells = pairs.tocoo()
    pmi = np.log(cells.data / total / (row_sums[cells.row] / total) / context[cells.col])
    keep = pmi > 0
    positive = csr_matrix((pmi[keep], (cells.row[keep], cells.col[keep])), shape=(size, size))
    # A tiny corpus (the tests') has fewer words than dimensions.
    u, s, _ = randomized_svd(positive, min(DIMENSIONS, size - 1), n_iter=7, random_state=0)
    table = (u * np.sqrt(s)).astype(np.float32)
    table /= np.linalg.norm(table, axis=1, keepdims=True) + 1e-8
    return vocabulary, table


def fit_blocks(task: Task, progress: Callable[[str], None]) -> tuple[BlockModel, dict[str, object]]:
    """The block model of ``task`` (one label per text, the lexicon in ``task.lexicon``) and what to
    record about its fitting."""
    lexicon = task.lexicon
    from scipy.sparse import csr_matrix, diags, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    progress(f"{task.name}: word vectors from {len(task.unlabelled)} texts without labels")
    corpus = [meaning_words(standard_words(words(t), lexicon)) for t in task.unlabelled]
    vector_terms, table = word_vectors(corpus)
    table16 = table.astype(np.float16)  # the shipped precision, used the same way here
    vector_vocabulary = {w: i for i, w in enumerate(vector_terms)}

    texts = task.train.texts
    tokens = [standard_words(words(t), lexicon) for t in texts]
    word_vectorizer = TfidfVectorizer(analyzer=word_block, sublinear_tf=True, min_df=2, dtype=np.float32)
    char_vectorizer = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=2, dtype=np.float32)
    word_matrix = word_vectorizer.fit_transform(tokens)
    char_matrix = char_vectorizer.fit_transform(texts)
    style = csr_matrix(np.stack([style_flags(t) for t in texts]))
    meaning = csr_matrix(
        np.stack([mean_vector(meaning_words(t), vector_vocabulary, table16) for t in tokens]) * VECTOR_WEIGHT
    )
    matrix = hstack([word_matrix, char_matrix, style, meaning]).tocsr()
    progress(
        f"{task.name}: {len(texts)} texts, {word_matrix.shape[1]} word and {char_matrix.shape[1]} "
        f"character features, {len(vector_terms)} word vectors"
    )
    gold = [labels[0] for labels in task.train.labels]
    # Ratios per block: the word and character blocks each against their own totals.
    word_present, char_present = presence(word_matrix), presence(char_matrix)
    columns, biases = [], []
    for label in task.classes:
        inside = np.array([g == label for g in gold])
        scale = np.concatenate(
            [
                nb_ratios(word_present, inside),
                nb_ratios(char_present, inside),
                np.ones(style.shape[1] + meaning.shape[1]),
            ]
        )
        clf = LogisticRegression(C=task.c, max_iter=MAX_ITER, tol=TOL)
        clf.fit(matrix @ diags(scale), inside.astype(int))
        columns.append(clf.coef_[0] * scale)
        biases.append(clf.intercept_[0])
        progress(f"{task.name}: {label}")
    weights = np.stack(columns, axis=1).astype(np.float32)
    n_word, n_char, n_style = word_matrix.shape[1], char_matrix.shape[1], style.shape[1]

    def vocabulary(vectorizer: Any) -> dict[str, int]:
        return {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}

    model = BlockModel(
        name=task.name,
        classes=task.classes,
        featurizer=Featurizer(vocabulary(char_vectorizer), char_vectorizer.idf_.astype(np.float32)),
        char_weights=weights[n_word : n_word + n_char],
        word_featurizer=Featurizer(vocabulary(word_vectorizer), word_vectorizer.idf_.astype(np.float32)),
        word_weights=weights[:n_word],
        style_weights=weights[n_word + n_char : n_word + n_char + n_style],
        vector_vocabulary=vector_vocabulary,
        vector_table=table16,
        vector_weights=weights[n_word + n_char + n_style :] * VECTOR_WEIGHT,
        bias=np.array(biases, dtype=np.float32),
        lexicon=lexicon,
        meta={},
    )
    return model, {"unlabelled_texts": len(task.unlabelled), "vector_weight": VECTOR_WEIGHT}
