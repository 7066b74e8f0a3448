"""core.text: tokens, stems in Indonesian and English, and the words a query must match."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.core import text
from tanggap.core.text import MAX_TOKENS, MAX_WORD, query_terms, search_text, stems, tokens


@pytest.mark.parametrize(
    ("words", "root"),
    [
        (["pengiriman", "dikirim", "kirim", "mengirimkan"], "kirim"),
        (["pembayaran", "bayar", "membayar", "dibayar"], "bayar"),
        (["pesanan", "memesan", "dipesan", "pemesanan"], "pesan"),
        (["pengembalian", "dikembalikan"], "kembali"),
    ],
)
def test_indonesian_inflections_share_a_root(words, root):
    for word in words:
        assert text.stem_id(word) == root, word


@pytest.mark.parametrize(
    ("words", "root"),
    [
        (["refunds", "refund", "refunded"], "refund"),
        (["shipped", "shipping", "ship"], "ship"),
        (["orders", "ordered", "order"], "order"),
        (["cancelled", "cancel", "cancellation"], "cancel"),
    ],
)
def test_english_inflections_share_a_stem(words, root):
    for word in words:
        assert text.stem_en(word) == root, word


@pytest.mark.parametrize(
    ("document", "query"),
    [
        ("Pengiriman pesanan saya terlambat", "dikirim"),
        ("Kapan barang saya dikirim?", "pengiriman"),
        ("Saya sudah melakukan pembayaran kemarin", "bayar"),
        ("I asked for two refunds last week", "refund"),
        ("My parcel was shipped on Monday", "shipping"),
        ("Saya memesan dua kaos", "pesanan"),
    ],
)
def test_a_query_word_matches_other_inflections(document, query):
    indexed = set(search_text(document).split())
    for alternatives in query_terms(query):
        assert indexed & set(alternatives), (document, query, alternatives)


def test_stopwords_are_neither_indexed_nor_required():
    assert "yang" not in search_text("barang yang rusak").split()
    assert query_terms("the and yang") == []


def test_query_terms_drop_duplicates_and_are_bounded():
    assert query_terms("refund refunds REFUND") == [["refund"], ["refunds", "refund"]]
    assert len(query_terms(" ".join(f"kata{i}" for i in range(100)))) == text.MAX_QUERY_WORDS


def test_accents_and_case_are_folded():
    assert tokens("Café ÉTÉ naïve 𝞐") == ["cafe", "ete", "naive", "α"]
    assert search_text("CAFÉ") == search_text("cafe")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ é’'ÉüÜ\u0301\u064b\u0e31ﬁ𝞐ß1_-.")), max_size=60))
def test_folding_only_the_non_ascii_runs_is_folding_every_character(value: str):
    folded = unicodedata.normalize("NFKD", value).lower()
    every = "".join(ch for ch in folded if not unicodedata.combining(ch))
    assert tokens(value) == text._TOKEN.findall(every.replace("’", "'"))


def test_apostrophes_are_dropped_so_both_engines_see_one_word():
    assert "dont" in search_text("I don't know").split()
    assert query_terms("don't") == [["dont"]]


def test_overlong_words_are_not_indexed():
    assert search_text("x" * (MAX_WORD + 1)) == ""
    assert query_terms("y" * (MAX_WORD + 1)) == []


def test_non_ascii_words_are_not_cut_by_the_indonesian_stemmer():
    assert "abcдеф" in search_text("abcдеф").split()
    assert "abc" not in search_text("abcдеф").split()


def test_stems_are_deterministic():
    sample = "Pengiriman paket ke Surabaya terlambat, I want a refund for the shipping."
    assert stems(sample) == stems(sample) == search_text(sample).split()


def test_language_guess():
    assert text.guess_language("Terima kasih, pesanan saya sudah sampai") == "id"
    assert text.guess_language("Thank you, my order has arrived") == "en"
    assert text.guess_language("") == ""


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_search_text_never_raises_and_is_plain_words(value):
    result = search_text(value)
    assert result == result.strip()
    for word in result.split():
        assert 0 < len(word) <= 2 * MAX_WORD
        assert "'" not in word and '"' not in word


@settings(max_examples=20, deadline=None)
@given(st.text(max_size=100))
def test_tokens_are_bounded(value):
    assert len(tokens(value + " kata" * (MAX_TOKENS + 10))) == MAX_TOKENS


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=30), st.data())
def test_every_document_word_queried_alone_matches_the_document(words, data):
    document = " ".join(words)
    indexed = set(search_text(document).split())
    document_words = tokens(document)
    if not document_words:
        return
    word = data.draw(st.sampled_from(document_words))
    for alternatives in query_terms(word):
        assert indexed & set(alternatives), (document, word, alternatives)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_query_terms_never_raise_on_hostile_input(value):
    for alternatives in query_terms(value + " \" * NEAR( OR a:b ' \\ &|! ^"):
        assert alternatives
        for alt in alternatives:
            assert alt and all(ch.isalnum() for ch in alt)


@settings(max_examples=200)
@given(
    subject=st.text(max_size=80),
    text=st.text(alphabet=st.sampled_from(list("abc yang dan the you tidak  ,.\n'é")), max_size=9000),
)
def test_search_text_and_language_is_the_two_done_apart(subject, text):
    from tanggap.core.text import guess_language, search_text, search_text_and_language

    stems, language = search_text_and_language(subject, text)
    assert stems == search_text(text)
    if len(text) <= 4000:
        assert language == guess_language(f"{subject}\n{text}")
