"""The project's own training examples (``data/assist/intents``, ``data/assist/tone``): well formed,
without repeats, every label used, and split for validation by the documented hash rule."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tanggap.assist.cli import DEFAULT_INTENTS
from tanggap.assist.training import (
    EMOTIONS,
    INTENTS,
    SENTIMENTS,
    TONE_FOLDER,
    held_out,
    own_intents,
    own_tone,
)

TONE = DEFAULT_INTENTS.parent / TONE_FOLDER


def _rows(folder, language):
    lines = (folder / f"{language}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_tone_examples_are_well_formed(language):
    rows = _rows(TONE, language)
    assert len(rows) >= 300
    assert all(set(row) - {"emotion"} == {"text", "tone"} and row["text"].strip() for row in rows)
    tones = Counter(row["tone"] for row in rows)
    assert set(tones) == set(SENTIMENTS)
    assert min(tones.values()) >= 40  # every tone is learned from
    normal = [" ".join(row["text"].lower().split()) for row in rows]
    assert len(set(normal)) == len(normal)


def test_the_english_tone_examples_name_a_feeling_that_fits_their_tone():
    fits = {"negative": {"anger", "sadness", "fear"}, "positive": {"happy", "love"}, "neutral": {"", "fear"}}
    rows = _rows(TONE, "en")
    assert all(row["emotion"] in fits[row["tone"]] for row in rows)
    assert {row["emotion"] for row in rows} == {"", *EMOTIONS}


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_intent_examples_are_well_formed(language):
    rows = _rows(DEFAULT_INTENTS, language)
    assert len(rows) >= 400
    assert all(set(row["intents"]) <= set(INTENTS) for row in rows)
    normal = [" ".join(row["text"].lower().split()) for row in rows]
    assert len(set(normal)) == len(normal)


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_tenth_is_held_out_by_the_hash_of_the_text(language):
    train, valid = own_tone(TONE, language)
    assert all(held_out(text) for text in valid.texts) and not any(held_out(text) for text in train.texts)
    assert 0.05 <= len(valid) / (len(train) + len(valid)) <= 0.15
    assert all(len(labels) == 1 and labels[0] in SENTIMENTS for labels in train.labels)
    intents_train, intents_valid = own_intents(DEFAULT_INTENTS, language)
    assert all(held_out(text) for text in intents_valid.texts)
    assert len(intents_train) > len(intents_valid) > 0
