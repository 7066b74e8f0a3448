"""Training and evaluation of the assist classifiers from the public datasets beside the project
(``../shared/datasets``, see its README) and the project's own examples (``data/assist/intents``,
``data/assist/tone``).

Used by ``tanggap assist train`` and ``tanggap assist eval``. scikit-learn fits the models; the result is
plain arrays (``linear.py``), so running them needs NumPy only. Deterministic: the same data gives the
same artefacts, byte for byte.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from tanggap.assist import blocks
from tanggap.assist.features import analyse
from tanggap.assist.linear import Featurizer, LinearModel, TextModel, save

INTENTS: tuple[str, ...] = (
    "cancel",
    "refund",
    "complaint",
    "delivery",
    "payment",
    "account",
    "escalation",
    "question",
    "praise",
)
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
EMOTIONS: tuple[str, ...] = ("anger", "fear", "happy", "love", "sadness")
# English emotion also learns a sixth class from texts that carry none of the five (GoEmotions' neutral
# rows, the calm tone messages) and drops it: without it, the model learned that any customer's words
# carry a feeling. The five scores kept are the softmax over their own columns, so they are the
# six-class probabilities renormalised without "none"; what the class changes is the weights.
NO_EMOTION = "none"

MODELS_DIR = Path(__file__).resolve().parent / "trained"
LEXICON_NAME = "slang-id.tsv"  # beside the intent examples, in the project's own data
TONE_FOLDER = "tone"  # beside the intent examples: support messages labelled by tone
TONE_WEIGHT = 3  # times each tone example counts in sentiment training (1, 3 and 5 scored alike)
# The solver runs close to the one minimum of the regularised loss (scikit-learn stops at 1e-4): stopped
# early, the weights are wherever the BLAS kernel's rounding led them, and that kernel differs between
# processor families (with 1e-4, SmSA scored 84.5 on one machine and 85.5 on another).
TOL = 1e-6
MAX_ITER = 5000

# The datasets README's suggested mapping of Bitext's intents to ours; the rest are general questions.
BITEXT_INTENTS: dict[str, tuple[str, ...]] = {
    "cancel_order": ("cancel",),
    "check_cancellation_fee": ("cancel", "question"),
    "delete_account": ("cancel", "account"),
    "newsletter_subscription": ("cancel",),
    "get_refund": ("refund",),
    "track_refund": ("refund",),
    "check_refund_policy": ("refund", "question"),
    "complaint": ("complaint",),
    "contact_human_agent": ("escalation",),
    "delivery_period": ("delivery",),
    "track_order": ("delivery",),
    "delivery_options": ("delivery", "question"),
    "payment_issue": ("payment",),
    "check_payment_methods": ("payment", "question"),
    "create_account": ("account",),
    "edit_account": ("account",),
    "recover_password": ("account",),
    "registration_problems": ("account",),
    "switch_account": ("account",),
}

# GoEmotions' 27 emotions folded into the five of the Indonesian emotion data; the rest are left out.
GOEMOTIONS_TO_EMOTION: dict[str, str] = {
    "anger": "anger",
    "annoyance": "anger",
    "disapproval": "anger",
    "disgust": "anger",
    "fear": "fear",
    "nervousness": "fear",
    "joy": "happy",
    "amusement": "happy",
    "excitement": "happy",
    "gratitude": "happy",
    "optimism": "happy",
    "relief": "happy",
    "pride": "happy",
    "admiration": "happy",
    "love": "love",
    "caring": "love",
    "sadness": "sadness",
    "grief": "sadness",
    "remorse": "sadness",
    "disappointment": "sadness",
}


class DatasetMissing(Exception):
    """The public datasets are not where they were looked for."""


@dataclass
class Split:
    texts: list[str] = field(default_factory=list)
    labels: list[list[str]] = field(default_factory=list)

    def add(self, text: str, labels: list[str]) -> None:
        self.texts.append(text)
        self.labels.append(labels)

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Task:
    """One model: what it learns from, and the named validation sets it is judged on."""

    name: str
    kind: str  # "softmax" | "sigmoid"
    classes: tuple[str, ...]
    train: Split
    valid: dict[str, Split]
    c: float = 10.0
    max_features: int = 150_000
    # "lr": logistic regression. "nb-lr": one logistic regression per class over the features scaled by
    # their naive-Bayes log-count ratio for that class (Wang & Manning 2012), scores compared by softmax.
    # "blocks": NB-LR over separately normalised blocks with word vectors (``blocks.py``).
    classifier: str = "lr"
    unlabelled: list[str] = field(default_factory=list)  # "blocks": text its word vectors learn from
    lexicon: dict[str, tuple[str, ...]] = field(default_factory=dict)  # "blocks": informal spellings


# --- the datasets -------------------------------------------------------------------------------------


def _need(path: Path) -> Path:
    if not path.exists():
        raise DatasetMissing(str(path))
    return path


def _smsa(root: Path, split: str) -> Split:
    out = Split()
    with _need(root / f"indonlu/smsa_doc-sentiment-prosa/{split}_preprocess.tsv").open(encoding="utf-8") as f:
        for line in f:
            text, label = line.rstrip("\n").rsplit("\t", 1)
            out.add(text, [label])
    return out


def _emot(root: Path, split: str) -> Split:
    out = Split()
    with _need(root / f"indonlu/emot_emotion-twitter/{split}_preprocess.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.add(row["tweet"], [row["label"]])
    return out


def _nusax(root: Path, language: str, split: str) -> Split:
    out = Split()
    with _need(root / f"nusax/sentiment/{language}/{split}.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.add(row["text"], [row["label"]])
    return out


def _prdect(root: Path, split: str, column: str) -> Split:
    out = Split()
    with _need(root / f"prdect-id/PRDECT-ID Dataset.{split}.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.add(row["Customer Review"], [row[column].lower()])
    return out


def _goemotions(root: Path, split: str) -> Iterator[tuple[str, list[str]]]:
    names = _need(root / "goemotions/emotions.txt").read_text(encoding="utf-8").split()
    with _need(root / f"goemotions/{split}.tsv").open(encoding="utf-8") as f:
        for line in f:
            text, ids, _ = line.rstrip("\n").split("\t")
            yield text, [names[int(i)] for i in ids.split(",")]


def _goemotions_sentiment(root: Path, split: str) -> Split:
    groups = json.loads(_need(root / "goemotions/sentiment_dict.json").read_text(encoding="utf-8"))
    group_of = {e: g for g, es in groups.items() for e in es}
    out = Split()
    for text, emotions in _goemotions(root, split):
        found = {"neutral" if e == "neutral" else group_of.get(e, "") for e in emotions}
        if len(found) == 1 and (label := found.pop()) in SENTIMENTS:
            out.add(text, [label])
    return out


def _goemotions_emotion(root: Path, split: str) -> Split:
    out = Split()
    for text, emotions in _goemotions(root, split):
        found = {GOEMOTIONS_TO_EMOTION[e] for e in emotions if e in GOEMOTIONS_TO_EMOTION}
        if len(found) == 1:
            out.add(text, [found.pop()])
    return out


def _goemotions_no_emotion(root: Path, split: str) -> Split:
    out = Split()
    for text, emotions in _goemotions(root, split):
        if emotions == ["neutral"]:
            out.add(text, [NO_EMOTION])
    return out


def _bitext(root: Path, split: str) -> Split:
    name = {
        "train": "train/Bitext_Sample_Customer_Service_Training_Dataset.csv",
        "valid": "dev/Bitext_Sample_Customer_Service_Validation_Dataset.csv",
    }[split]
    out = Split()
    with _need(root / f"bitext-intent/data/{name}").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.add(row["utterance"], sorted(BITEXT_INTENTS.get(row["intent"], ("question",))))
    return out


def held_out(text: str) -> bool:
    """Our own examples are split like PRDECT-ID's: a tenth by the hash of the text, for validation."""
    normal = " ".join(text.lower().split())
    return int(hashlib.sha1(normal.encode("utf-8")).hexdigest(), 16) % 10 == 1  # noqa: S324 - a split, not security


def own_intents(data: Path, language: str) -> tuple[Split, Split]:
    """The project's support messages with their intents (``data/assist/intents``): train, validation."""
    return _own(data / f"{language}.jsonl", lambda row: sorted(row["intents"]))


def own_tone(data: Path, language: str) -> tuple[Split, Split]:
    """The project's support messages with their tone (``data/assist/tone``): train, validation."""
    return _own(data / f"{language}.jsonl", lambda row: [row["tone"]])


def own_praise(data: Path, language: str) -> tuple[Split, Split]:
    """The intent examples that praise and at most ask besides (``data/assist/intents``), each
    ``positive``: a tone the tone messages hold few of. Train, validation."""
    return _own(
        data / f"{language}.jsonl",
        lambda row: ["positive"],
        keep=lambda row: "praise" in row["intents"] and set(row["intents"]) <= {"praise", "question"},
    )


def own_emotion(data: Path, language: str) -> tuple[Split, Split]:
    """The same messages with the feeling they carry, ``NO_EMOTION`` for none: train, validation."""
    return _own(data / f"{language}.jsonl", lambda row: [row["emotion"] or NO_EMOTION])


def _own(
    path: Path,
    labels: Callable[[dict[str, Any]], list[str]],
    keep: Callable[[dict[str, Any]], bool] = lambda row: True,
) -> tuple[Split, Split]:
    train, valid = Split(), Split()
    with _need(path).open(encoding="utf-8") as f:
        for line in f:
            if line.strip() and keep(row := json.loads(line)):
                (valid if held_out(row["text"]) else train).add(row["text"], labels(row))
    return train, valid


def _indonesian_texts(datasets: Path) -> list[str]:
    """Indonesian text for word vectors, without its labels: EmoT train and the other Indonesian sets'
    train and validation splits (never EmoT valid, on which the emotion model is judged)."""
    texts = list(_emot(datasets, "train").texts)
    for split in ("train", "valid"):
        texts += _prdect(datasets, split, "Emotion").texts
        texts += _smsa(datasets, split).texts
        texts += _nusax(datasets, "indonesian", split).texts
    return texts


def _joined(*parts: Split) -> Split:
    joined = Split()
    for part in parts:
        joined.texts += part.texts
        joined.labels += part.labels
    return joined


def tasks(datasets: Path, intents_data: Path) -> list[Task]:
    """The models Tanggap ships, with their data. Raises ``DatasetMissing`` naming the first absent file."""
    lexicon = _need(intents_data.parent / LEXICON_NAME).read_text(encoding="utf-8").splitlines()
    # Reviews and comments teach sentiment; the project's support messages labelled by tone teach that a
    # calm question about a problem is not a negative one, and the intent examples that only praise
    # (own_praise) that thanks and praise are positive ones. They are few beside SmSA, so each counts
    # TONE_WEIGHT times.
    tone_id_train, tone_id_valid = own_tone(intents_data.parent / TONE_FOLDER, "id")
    tone_en_train, tone_en_valid = own_tone(intents_data.parent / TONE_FOLDER, "en")
    praise_id_train, _ = own_praise(intents_data, "id")
    praise_en_train, _ = own_praise(intents_data, "en")
    sentiment_id = _joined(
        _smsa(datasets, "train"),
        _nusax(datasets, "indonesian", "train"),
        *[tone_id_train] * TONE_WEIGHT,
        *[praise_id_train] * TONE_WEIGHT,
    )
    # English sentiment learns from NusaX's hand translations only: adding GoEmotions' Reddit comments
    # (mapped to three classes) cost 10 points of macro-F1 on NusaX-en (see docs/assist.md).
    sentiment_en = _joined(
        _nusax(datasets, "english", "train"), *[tone_en_train] * TONE_WEIGHT, *[praise_en_train] * TONE_WEIGHT
    )
    emotion_en_train, _ = own_emotion(intents_data.parent / TONE_FOLDER, "en")
    emotion_en = _joined(
        _goemotions_emotion(datasets, "train"),
        _goemotions_no_emotion(datasets, "train"),
        *[emotion_en_train] * TONE_WEIGHT,
    )
    own_id_train, own_id_valid = own_intents(intents_data, "id")
    own_en_train, own_en_valid = own_intents(intents_data, "en")
    intents_train = _joined(own_id_train, own_id_train, own_en_train, _bitext(datasets, "train"))
    return [
        Task(
            "sentiment.id",
            "softmax",
            SENTIMENTS,
            sentiment_id,
            {
                "SmSA": _smsa(datasets, "valid"),
                "NusaX-id": _nusax(datasets, "indonesian", "valid"),
                "Tanggap-tone-id": tone_id_valid,
            },
        ),
        Task(
            "sentiment.en",
            "softmax",
            SENTIMENTS,
            sentiment_en,
            {
                "NusaX-en": _nusax(datasets, "english", "valid"),
                "GoEmotions": _goemotions_sentiment(datasets, "dev"),
                "Tanggap-tone-en": tone_en_valid,
            },
            c=3.0,
        ),
        Task(
            "emotion.id",
            "softmax",
            EMOTIONS,
            _emot(datasets, "train"),
            {"EmoT": _emot(datasets, "valid"), "PRDECT-ID": _prdect(datasets, "valid", "Emotion")},
            # Chosen by 5-fold cross-validation on EmoT's train split, not on valid: plain LR 66.1,
            # NB-LR 70.4, NB-LR over blocks with word vectors 72.4 macro-F1 (docs/assist.md).
            c=3.0,
            classifier="blocks",
            unlabelled=_indonesian_texts(datasets),
            lexicon=blocks.read_lexicon(lexicon),
        ),
        Task(
            "emotion.en",
            "softmax",
            EMOTIONS,
            emotion_en,
            {"GoEmotions": _goemotions_emotion(datasets, "dev")},
        ),
        Task(
            "intents",
            "sigmoid",
            INTENTS,
            intents_train,
            {
                "Tanggap-id": own_id_valid,
                "Tanggap-en": own_en_valid,
                "Bitext": _bitext(datasets, "valid"),
            },
            c=10.0,
        ),
    ]


# --- fitting and scoring --------------------------------------------------------------------------------


def _recorded(task: Task) -> dict[str, object]:
    return {
        "train_size": len(task.train),
        "c": task.c,
        "classifier": task.classifier,
        "train_sha1": train_digest(task),
        "trained_with": trained_with(),
    }


def fit(task: Task, progress: Callable[[str], None] = lambda _: None) -> TextModel:
    if task.classifier == "blocks":
        from dataclasses import replace

        from tanggap.assist.block_training import fit_blocks

        model, extra = fit_blocks(task, progress)
        return replace(model, meta={**_recorded(task), **extra})
    return _fit_linear(task, progress)


def _fit_linear(task: Task, progress: Callable[[str], None]) -> LinearModel:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(
        analyzer=analyse, sublinear_tf=True, min_df=2, max_features=task.max_features, dtype=np.float32
    )
    matrix = vectorizer.fit_transform(task.train.texts)
    progress(f"{task.name}: {len(task.train)} texts, {matrix.shape[1]} features")
    vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
    featurizer = Featurizer(vocabulary, vectorizer.idf_.astype(np.float32))
    if task.kind == "softmax" and task.classifier == "lr":
        y = [labels[0] for labels in task.train.labels]
        clf = LogisticRegression(C=task.c, max_iter=MAX_ITER, tol=TOL)
        clf.fit(matrix, y)
        # A class learned but not among the task's (``NO_EMOTION``) is left out here.
        order = [list(clf.classes_).index(c) for c in task.classes]
        weights = clf.coef_.T[:, order]
        bias = clf.intercept_[order]
    else:
        weights, bias = _one_vs_rest(matrix, task, progress)
    # Softmax models take the best class; sigmoid ones every class over its threshold.
    thresholds = np.full(len(task.classes), 0.5 if task.kind == "sigmoid" else 0.0, dtype=np.float32)
    return LinearModel(
        name=task.name,
        kind=task.kind,
        classes=task.classes,
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
        thresholds=thresholds,
        featurizer=featurizer,
        meta=_recorded(task),
    )


def trained_with() -> dict[str, str]:
    """The numeric libraries' versions and the BLAS kernels they run (OpenBLAS picks one per processor
    family): together they decide the last bits of the weights, so the same data gives the same
    artefacts, byte for byte, only where all of them are the same."""
    from importlib.metadata import version

    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS, so that it is listed)
    from threadpoolctl import threadpool_info

    kernels = sorted(
        {
            f"{info.get('internal_api')} {info.get('version')} {info.get('architecture')}"
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        }
    )
    return {name: version(name) for name in ("numpy", "scipy", "scikit-learn")} | {"blas": ", ".join(kernels)}


def train_digest(task: Task) -> str:
    """SHA-1 over the training texts and their labels, in order, and for a block model the texts its
    word vectors learn from and its lexicon: which data a model was fitted on."""
    digest = hashlib.sha1(usedforsecurity=False)
    for text, labels in zip(task.train.texts, task.train.labels, strict=True):
        digest.update(json.dumps([text, sorted(labels)], ensure_ascii=False).encode())
    for text in task.unlabelled:
        digest.update(json.dumps(text, ensure_ascii=False).encode())
    if task.lexicon:
        digest.update(json.dumps(sorted(task.lexicon.items()), ensure_ascii=False).encode())
    return digest.hexdigest()


def presence(matrix: Any) -> Any:
    """Which texts hold each feature (1.0 where a text has it), for ``nb_ratios``."""
    present = matrix.copy()
    present.data[:] = 1.0
    return present


def nb_ratios(present: Any, inside: np.ndarray) -> np.ndarray:
    """Naive-Bayes log-count ratios of the features for one class: how much likelier a feature is in
    the class's texts (``inside``) than in the others', from presence counts with +1 smoothing."""
    p = np.asarray(present[inside].sum(axis=0)).ravel() + 1.0
    q = np.asarray(present[~inside].sum(axis=0)).ravel() + 1.0
    return np.log((p / p.sum()) / (q / q.sum()))


def _one_vs_rest(matrix: Any, task: Task, progress: Callable[[str], None]) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per class, against the rest.

    Plain ("lr", the multi-label intents) with balanced class weights. NB-LR ("nb-lr"): a class's
    features are scaled by their log-count ratio ``r`` (how much likelier a feature is in that class's
    texts than in the others') before its regression; the scaling folds into the weights (``w * r``),
    so the shipped model scores as any other: softmax over ``x @ weights + bias``."""
    from scipy.sparse import diags
    from sklearn.linear_model import LogisticRegression

    nb = task.classifier == "nb-lr"
    present = presence(matrix) if nb else matrix
    columns, biases = [], []
    for label in task.classes:
        inside = np.array([label in labels for labels in task.train.labels])
        if nb:
            scale = nb_ratios(present, inside)
            clf = LogisticRegression(C=task.c, max_iter=MAX_ITER, tol=TOL)
            clf.fit(matrix @ diags(scale), inside.astype(int))
        else:
            scale = np.ones(matrix.shape[1])
            clf = LogisticRegression(C=task.c, max_iter=MAX_ITER, tol=TOL, class_weight="balanced")
            clf.fit(matrix, inside.astype(int))
        columns.append(clf.coef_[0] * scale)
        biases.append(clf.intercept_[0])
        progress(f"{task.name}: {label}")
    return np.stack(columns, axis=1), np.array(biases)


@dataclass(frozen=True)
class ClassReport:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def evaluate(model: TextModel, split: Split) -> tuple[list[ClassReport], float]:
    """Per-class precision/recall/F1 and the macro-F1 over the classes present in ``split``."""
    predicted = [model.labels(model.scores_text(t)) for t in split.texts]
    present = [c for c in model.classes if any(c in gold for gold in split.labels)]
    reports = []
    for label in present:
        tp = sum(1 for p, g in zip(predicted, split.labels, strict=True) if label in p and label in g)
        fp = sum(1 for p, g in zip(predicted, split.labels, strict=True) if label in p and label not in g)
        fn = sum(1 for p, g in zip(predicted, split.labels, strict=True) if label not in p and label in g)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        reports.append(ClassReport(label, precision, recall, f1, tp + fn))
    macro = sum(r.f1 for r in reports) / len(reports) if reports else 0.0
    return reports, macro


def write(model: TextModel, directory: Path = MODELS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.name}.npz"
    if isinstance(model, blocks.BlockModel):
        blocks.save(path, model=model)
    else:
        save(path, model=cast(LinearModel, model))
    return path
