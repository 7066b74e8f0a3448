"""The shipped classifiers: their output's shape, determinism, and loading with no network."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from tanggap.assist import classify as classify_module
from tanggap.assist.blocks import BlockModel
from tanggap.assist.classify import (
    MODEL_NAMES,
    MODELS_DIR,
    classify,
    feeling_of,
    forget_models,
    language_of,
    models,
)
from tanggap.assist.features import char_ngrams, words
from tanggap.assist.linear import load
from tanggap.assist.ngrams import NgramIndex
from tanggap.assist.training import EMOTIONS, INTENTS, SENTIMENTS, Split, Task, fit


def test_every_artefact_ships_and_is_small():
    sizes = [(MODELS_DIR / f"{name}.npz").stat().st_size for name in MODEL_NAMES]
    assert sum(sizes) < 50 * 1024 * 1024


def test_models_load_without_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the classifiers tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    forget_models()
    try:
        signals = classify("Pesanan saya belum sampai, kapan dikirim?")
    finally:
        forget_models()
    assert signals.language == "id"


def test_the_same_text_gives_the_same_signals_and_the_same_version():
    text = "I have been charged twice for order 5531 and nobody answers. I want a refund!"
    first = classify(text).as_json()
    version = models().version
    forget_models()
    assert classify(text).as_json() == first
    assert models().version == version


def test_the_version_changes_with_the_reading_rules(monkeypatch):
    version = models().version
    monkeypatch.setattr(classify_module, "READING_RULES", classify_module.READING_RULES + 1)
    forget_models()
    try:
        assert models().version != version
    finally:
        monkeypatch.undo()
        forget_models()
    assert models().version == version


def test_the_artefacts_load_to_identical_arrays():
    one, two = load(MODELS_DIR / "intents.npz"), load(MODELS_DIR / "intents.npz")
    assert np.array_equal(one.weights, two.weights)
    assert one.featurizer.vocabulary == two.featurizer.vocabulary
    first, second = load(MODELS_DIR / "emotion.id.npz"), load(MODELS_DIR / "emotion.id.npz")
    assert isinstance(first, BlockModel)
    assert np.array_equal(first.char_weights, second.char_weights)
    assert np.array_equal(first.vector_table, second.vector_table)
    assert first.lexicon == second.lexicon and first.lexicon["gak"] == ("tidak",)


def test_the_shared_vocabulary_scores_as_each_model_alone():
    loaded = models()
    texts = ("Pesanan saya belum sampai, saya kecewa!", "Please cancel my order, thanks a lot :)", "")
    for text in texts * 2:  # the second time, from the remembered words
        found = loaded.shared.lookup(text)
        for model in loaded.by_name.values():
            alone = model.scores_text(text)
            shared = model.scores(loaded.shared.vectors_of(found, model), text)
            assert alone == pytest.approx(shared, abs=1e-3)


NGRAM_TEXTS = (
    "Pesanan saya belum sampai, saya kecewa bangeeeet!!",
    "a b c",
    "Ünïcödé façade naïve, 日本語のテキスト and 😀😀 emoji",
    "x" * 31 + " ab " + "y" * 30,
    "123 4567 Rp 150.000 #INV-20931 under_score tab\tnew\nline",
    "!!! ?? :) :-(",
    "",
)


@pytest.mark.parametrize("text", NGRAM_TEXTS)
def test_the_ngram_index_finds_what_the_dictionary_finds(text):
    shared = models().shared
    expected = sorted(shared.vocabulary[g] for g in char_ngrams(text) if g in shared.vocabulary)
    assert sorted(shared.ngrams.find(words(text)).tolist()) == expected


def test_the_ngram_index_keeps_counts_and_word_edges():
    vocabulary = {"w ab": 0, " a": 1, "ab": 2, "b ": 3, " ab ": 4, "b  a": 5, "日本": 6, " 日": 7}
    index = NgramIndex(vocabulary)
    # "b  a" would only come from joining two padded words: never an n-gram of one word.
    assert sorted(index.find(["ab", "ab", "日本"]).tolist()) == [1, 1, 2, 2, 3, 3, 4, 4, 6, 7]
    assert index.find([]).size == 0 and NgramIndex({"w ab": 0}).find(["ab"]).size == 0


def test_training_is_deterministic():
    split = Split()
    for i in range(30):
        split.add(f"pesanan {i} belum sampai, saya kecewa sekali", ["negative"])
        split.add(f"terima kasih, barang {i} sudah sampai dengan baik", ["positive"])
        split.add(f"apakah toko buka hari {i}", ["neutral"])
    for classifier in ("lr", "nb-lr"):
        task = Task("sentiment.id", "softmax", SENTIMENTS, split, {}, classifier=classifier)
        one, two = fit(task), fit(task)
        assert np.array_equal(one.weights, two.weights)
        assert np.array_equal(one.bias, two.bias)


def test_nb_lr_folds_its_ratios_into_weights_that_score_like_the_others():
    split = Split()
    for i in range(20):
        split.add(f"saya marah sekali {i}, pelayanan buruk", ["anger"])
        split.add(f"saya senang sekali {i}, terima kasih", ["happy"])
        split.add(f"saya takut {i} paketnya hilang", ["fear"])
    task = Task("emotion.id", "softmax", ("anger", "fear", "happy"), split, {}, c=3.0, classifier="nb-lr")
    model = fit(task)
    assert model.weights.shape == (len(model.featurizer.vocabulary), 3)
    scores = model.scores(model.featurizer.vectorise("aduh saya marah, pelayanan buruk sekali"))
    assert abs(sum(scores.values()) - 1) < 0.01
    assert model.labels(scores) == ["anger"]
    assert model.labels(model.scores(model.featurizer.vectorise("terima kasih, saya senang"))) == ["happy"]


def test_a_feeling_stands_only_where_the_sentiment_shares_its_tone():
    # The emotion model hears anger in a matter-of-fact question (it learned from tweets that always
    # carry a feeling); the sentiment reads it neutral, so the message shows no particular feeling.
    calm = classify("Selamat siang, kapan dana refund saya masuk ke rekening?")
    assert calm.sentiment == "neutral"
    assert max(calm.emotion_scores, key=calm.emotion_scores.get) == "anger"
    assert calm.emotion == ""
    assert set(calm.emotion_scores) == set(EMOTIONS)
    angry = classify("Saya kecewa sekali, sudah 3 kali refund saya ditolak! Pelayanan kalian buruk!")
    assert (angry.sentiment, angry.emotion) == ("negative", "anger")
    glad = classify("Terima kasih banyak, paketnya sudah sampai dan bagus sekali!")
    assert (glad.sentiment, glad.emotion) == ("positive", "happy")
    assert feeling_of("happy", "negative") == feeling_of("anger", "positive") == ""
    assert feeling_of("sadness", "negative") == "sadness"


def test_the_output_has_every_field_in_range():
    signals = classify(
        "Saya mau bicara dengan atasan Anda! Sudah 3 kali refund saya ditolak. Kapan uang saya kembali?"
    )
    assert signals.language == "id"
    assert signals.sentiment in SENTIMENTS
    assert set(signals.sentiment_scores) == set(SENTIMENTS)
    assert abs(sum(signals.sentiment_scores.values()) - 1) < 0.01
    assert signals.emotion in EMOTIONS
    # Anger: the emotion model's, as far as the sentiment model reads the message as negative.
    expected = (signals.emotion_scores["anger"] * signals.sentiment_scores["negative"]) ** 0.5
    assert signals.anger == pytest.approx(expected, abs=1e-3)
    assert signals.anger >= 0.5
    assert 0 <= signals.anger <= 1
    assert set(signals.intents) <= set(INTENTS)
    assert "refund" in signals.intents
    assert "question" in signals.intents
    assert [q.text for q in signals.questions] == ["Kapan uang saya kembali?"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Tolong batalkan pesanan saya, saya tidak jadi beli.", "cancel"),
        ("Please cancel my subscription, I no longer need it.", "cancel"),
        ("Paket saya belum sampai, resi JNE tidak bergerak sejak kemarin.", "delivery"),
        ("My password reset link never arrives and I cannot log in.", "account"),
        ("Pelayanannya cepat sekali, terima kasih banyak kak!", "praise"),
    ],
)
def test_clear_intents_are_found(text, intent):
    assert intent in classify(text).intents


def test_clearly_negative_and_positive_messages():
    assert (
        classify("Pelayanan sangat buruk, barang rusak dan tidak ada yang membalas.").sentiment == "negative"
    )
    assert classify("Mantap, barangnya bagus sekali dan pengirimannya cepat. Puas!").sentiment == "positive"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Selamat pagi, saya ingin menanyakan status pesanan saya.", "id"),
        ("Good morning, I would like to ask about the status of my order.", "en"),
        ("Bonjour, je voudrais connaître le statut de ma commande s'il vous plaît.", "other"),
        ("ok", "other"),
    ],
)
def test_language(text, language):
    assert language_of(text) == language


def test_missing_artefacts_are_a_clear_error(tmp_path):
    classify_module.forget_models()
    try:
        with pytest.raises(classify_module.ModelsMissing):
            classify("halo", directory=tmp_path)
    finally:
        classify_module.forget_models()


def test_the_models_load_once_per_process():
    models()
    loads = classify_module._models.cache_info().misses
    classify("Halo, pesanan saya belum sampai.")
    models()
    models(MODELS_DIR)
    assert classify_module._models.cache_info().misses == loads


def test_anger_follows_how_angry_support_messages_were_written():
    """The labelled drafts' customer messages carry their writers' anger (0..1). The emotion models'
    anger alone barely follows it on support mail (correlation 0.10 in Indonesian); read together with
    the sentiment model's negative, which learned the tone of support mail, it does (0.68 and 0.66;
    0.30 before the tone examples). Calm messages seldom show as "Angry" (6 % and 5 %; 53 % and 22 %
    before)."""
    import json
    import statistics
    from pathlib import Path

    rows = Path(__file__).with_name("coach_drafts.jsonl").read_text(encoding="utf-8").splitlines()
    for language in ("id", "en"):
        written = {r["customer"]: float(r["anger"]) for r in map(json.loads, rows) if r["lang"] == language}
        read = {text: classify(text).anger for text in written}
        assert statistics.correlation(list(read.values()), list(written.values())) >= 0.5
        calm = [text for text, anger in written.items() if anger <= 0.2]
        assert sum(read[text] >= 0.5 for text in calm) <= 0.12 * len(calm)


def test_a_polite_question_about_a_refund_does_not_read_angry():
    signals = classify(
        "Halo Tim Dukungan,\n\nSaya membatalkan pesanan TGP-205122 kemarin. Kapan dana Rp 312.000 masuk ke "
        "rekening BCA saya? Apakah ongkos kirimnya juga ikut dikembalikan?\n\nTerima kasih.\nSurya"
    )
    assert signals.anger < 0.5


def _tone_check(language: str, kind: str) -> list[str]:
    import json
    from pathlib import Path

    lines = Path(__file__).with_name("tone_check.jsonl").read_text(encoding="utf-8").splitlines()
    return [r["text"] for r in map(json.loads, lines) if r["lang"] == language and r["kind"] == kind]


@pytest.mark.parametrize(("language", "floor", "ceiling"), [("id", 0.80, 0.12), ("en", 0.70, 0.16)])
def test_thanks_and_praise_read_positive(language, floor, ceiling):
    """``tone_check.jsonl``: messages written apart from the training data. Before the sentiment models
    also learned from the intent examples that praise, 41 of 59 Indonesian and 35 of 60 English ones
    read positive, and 9 and 13 negative."""
    praise = [classify(text).sentiment for text in _tone_check(language, "praise")]
    assert praise.count("positive") >= floor * len(praise)
    assert praise.count("negative") <= ceiling * len(praise)


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_fix_that_failed_is_not_praise(language):
    """``tone_check.jsonl``'s polite follow-ups saying a fix did not work: the intent model read 5 of 30
    Indonesian and 1 of 30 English ones as praise ("Terima kasih sarannya, tapi sayangnya belum
    berhasil."). Thanks that report a fix that worked stay praise."""
    follow_ups = [classify(text).intents for text in _tone_check(language, "still_broken")]
    assert not [intents for intents in follow_ups if "praise" in intents]
    praise = [classify(text).intents for text in _tone_check(language, "praise")]
    assert sum("praise" in intents for intents in praise) >= 0.8 * len(praise)
    assert "praise" not in classify("Sudah saya coba sesuai saran, tapi masalahnya masih sama.").intents
    assert "praise" in classify("Sudah saya coba sesuai saran, dan sekarang lancar. Terima kasih!").intents
