"""``tanggap assist train`` rebuilds the shipped classifiers from the public datasets beside the project.

The datasets live in ``../shared/datasets`` (``$TANGGAP_DATASETS``), never in the repo. Outside CI a
missing folder skips these tests with a clear message; under CI it fails them.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from tanggap.assist.classify import MODELS_DIR
from tanggap.assist.cli import DEFAULT_DATASETS, DEFAULT_INTENTS
from tanggap.assist.linear import load
from tanggap.assist.training import evaluate, tasks, trained_with
from tanggap.cli import main

# The two models that fit in seconds; the others are rebuilt the same way.
QUICK = ("emotion.id", "intents")


@pytest.fixture(scope="module")
def datasets():
    if not (DEFAULT_DATASETS / "README.md").is_file():
        message = f"the assist datasets are not at {DEFAULT_DATASETS} (set TANGGAP_DATASETS to their folder)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; under CI they are required")
        pytest.skip(message)
    return DEFAULT_DATASETS


@pytest.fixture(scope="module")
def retrained(datasets, tmp_path_factory):
    out = tmp_path_factory.mktemp("trained")
    only = [arg for name in QUICK for arg in ("--only", name)]
    result = CliRunner().invoke(
        main, ["assist", "train", "--datasets", str(datasets), "--out", str(out), *only]
    )
    assert result.exit_code == 0, result.output
    return out, result.output


def test_training_reports_its_versions_progress_and_scores(retrained):
    _, output = retrained
    assert "training with numpy" in output
    assert "[1/2] emotion.id: fitting on 3521 texts" in output
    assert "macro-F1 EmoT" in output and "Tanggap-id" in output


@pytest.mark.parametrize("name", QUICK)
def test_retraining_rebuilds_the_shipped_artefact(retrained, datasets, name):
    out, _ = retrained
    shipped, rebuilt = load(MODELS_DIR / f"{name}.npz"), load(out / f"{name}.npz")
    # The data a model was fitted on is part of what ships: a change to it shows here first.
    assert rebuilt.meta["train_sha1"] == shipped.meta["train_sha1"]
    # On any machine: the same vocabulary, nearly the same weights, and the same labels (another BLAS
    # kernel rounds differently, and the solver stops near, not at, the minimum).
    with np.load(MODELS_DIR / f"{name}.npz") as one, np.load(out / f"{name}.npz") as two:
        assert one.files == two.files
        for key in one.files:
            if one[key].dtype.kind == "f":
                assert np.allclose(one[key], two[key], rtol=0.01, atol=0.02), key
            elif key != "meta":
                assert np.array_equal(one[key], two[key]), key
    task = next(t for t in tasks(datasets, DEFAULT_INTENTS) if t.name == name)
    for split in task.valid.values():
        same = sum(
            shipped.labels(shipped.scores_text(t)) == rebuilt.labels(rebuilt.scores_text(t))
            for t in split.texts
        )
        assert same >= 0.99 * len(split.texts)
    if shipped.meta.get("trained_with") != trained_with():
        pytest.skip(
            f"the shipped {name} was trained with {json.dumps(shipped.meta.get('trained_with'))}, "
            f"this environment has {json.dumps(trained_with())}: the solvers' last bits may differ"
        )
    assert rebuilt.meta == shipped.meta
    assert (out / f"{name}.npz").read_bytes() == (MODELS_DIR / f"{name}.npz").read_bytes()


@pytest.mark.parametrize(
    ("name", "split", "bar"),
    [("sentiment.id", "SmSA", 0.827), ("emotion.id", "EmoT", 0.705)],
)
def test_the_shipped_indonesian_models_meet_their_bars(datasets, name, split, bar):
    """Macro-F1 on the validation split, within 5 points of IndoBERT-base (issue 6's bars)."""
    task = next(t for t in tasks(datasets, DEFAULT_INTENTS) if t.name == name)
    _, macro = evaluate(load(MODELS_DIR / f"{name}.npz"), task.valid[split])
    assert macro >= bar
