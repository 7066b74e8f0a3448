"""The block model of Indonesian emotion: its informal-spelling lexicon, its style flags, and a model
fitted on a few texts that scores the same after it is written and read back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tanggap.assist import blocks
from tanggap.assist.blocks import BlockModel, read_lexicon, standard_words, style_flags
from tanggap.assist.features import words
from tanggap.assist.linear import load
from tanggap.assist.training import EMOTIONS, Split, Task, fit, write

DRAFTS = Path(__file__).with_name("coach_drafts.jsonl")
LEXICON = read_lexicon(["# a comment", "gak\ttidak", "bgt\tbanget", "gaada\ttidak ada", ""])


def test_informal_spellings_read_as_standard_words():
    assert standard_words(words("Gak suka bgt, gaada kabar"), LEXICON) == [
        "tidak", "suka", "banget", "tidak", "ada", "kabar"
    ]  # fmt: skip
    assert standard_words(["gakk", "bgtt"], LEXICON) == ["tidak", "banget"]  # doubled letters


def test_style_flags():
    calm, loud = style_flags("baik, terima kasih"), style_flags("KENAPA BELUM DIKIRIM??!! wkwkwk :(")
    assert calm[:14].sum() == 0
    assert {0, 1, 2, 3, 6, 7, 8} <= {int(i) for i in np.flatnonzero(loud[:14])}
    assert len(calm) == blocks.STYLE_FLAGS


EDGES = [
    "HALO KAK", "Halo KAK", "aaaa BB", "AAAA bb", "× × ab", "ÀÉÎ ok", "12 AB", "a :)", "a <3", "^^", "^_^",
    ":*", "T_T", "t_t", "-_-", ":'(", "=/", "; ( no", "-- ok", "<-- 3",
]  # fmt: skip


def test_style_flags_checked_first_by_characters_agree_with_the_patterns() -> None:
    """Shouting, smiling and frowning are first settled by cheap character counts; the flags are what
    the patterns alone give, on every labelled customer message and draft and on edge cases."""
    rows = [json.loads(line) for line in DRAFTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [*EDGES, *(r["customer"] for r in rows), *(r["draft"] for r in rows)]
    for text in texts:
        flags = style_flags(text)
        lower = text.lower()
        capitals = len(blocks._CAPITAL.findall(text))
        letters = len(blocks._NOT_LETTER.sub("", text))
        assert bool(flags[5]) == (blocks._SMILE.search(lower) is not None), text
        assert bool(flags[6]) == (blocks._FROWN.search(lower) is not None), text
        assert bool(flags[8]) == (capitals > 0 and capitals / max(1, letters) > 0.5), text
    assert [bool(style_flags(t)[8]) for t in EDGES[:7]] == [True, True, False, True, True, True, True]


@pytest.fixture(scope="module")
def small_task():
    split = Split()
    for i in range(12):
        split.add(f"aku kesel bgt {i}, pelayanan jelek gak becus!!", ["anger"])
        split.add(f"makasih ya kak {i}, seneng bgt barangnya bagus :)", ["happy"])
        split.add(f"aku takut paket {i} hilang, gimana nih", ["fear"])
        split.add(f"sayang banget sama kalian {i} <3", ["love"])
        split.add(f"sedih {i}, barangnya rusak dan gak bisa dipakai", ["sadness"])
    unlabelled = [*split.texts, *(f"kabar {i} hari ini baik sekali dan cerah" for i in range(40))]
    return Task("emotion.id", "softmax", EMOTIONS, split, {}, c=3.0, classifier="blocks",
                unlabelled=unlabelled, lexicon=LEXICON)  # fmt: skip


def test_a_fitted_block_model_is_deterministic_and_scores_the_same_after_loading(small_task, tmp_path):
    one, two = fit(small_task), fit(small_task)
    assert isinstance(one, BlockModel) and isinstance(two, BlockModel)
    assert np.array_equal(one.char_weights, two.char_weights)
    assert np.array_equal(one.vector_table, two.vector_table)
    path = write(one, tmp_path)
    assert path.read_bytes() == write(two, tmp_path / "again").read_bytes()
    loaded = load(path)
    assert isinstance(loaded, BlockModel) and loaded.meta["classifier"] == "blocks"
    for text in ("aku kesel gak becus", "makasih kak seneng", "takut hilang", ""):
        assert loaded.scores_text(text) == pytest.approx(one.scores_text(text), abs=2e-3)
    assert loaded.labels(loaded.scores_text("kesel bgt, pelayanan jelek!!")) == ["anger"]
    assert loaded.labels(loaded.scores_text("makasih kak, seneng bgt :)")) == ["happy"]


def test_a_plain_linear_loader_refuses_a_block_model(small_task, tmp_path):
    from tanggap.assist.linear import load_linear

    path = write(fit(small_task), tmp_path)
    with pytest.raises(ValueError, match="not a plain linear model"):
        load_linear(path)


def test_the_last_texts_words_are_remembered_as_a_fresh_list():
    first = words("Halo kak, gak apa2")
    first.append("changed by a caller")
    assert words("Halo kak, gak apa2") == ["halo", "kak", "gak", "apa0"]
