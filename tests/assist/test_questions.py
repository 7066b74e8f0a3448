"""Finding the questions in a customer's message, in Indonesian and English."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.assist.questions import (
    MAX_CHARS,
    MAX_QUESTIONS,
    Question,
    asks,
    is_question,
    questions,
    sentence_spans,
)
from tanggap.core.text import word_set


def texts(message: str) -> list[str]:
    return [q.text for q in questions(message)]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Halo, pesanan saya belum sampai. Kapan dikirim? Bisa ganti alamat?",
            ["Kapan dikirim?", "Bisa ganti alamat?"],
        ),
        ("Apakah bisa bayar pakai kartu kredit", ["Apakah bisa bayar pakai kartu kredit"]),
        ("Mohon info nomor resi pesanan INV-7781.", ["Mohon info nomor resi pesanan INV-7781."]),
        ("Tolong jelaskan beda paket Basic dan Pro.", ["Tolong jelaskan beda paket Basic dan Pro."]),
        ("Saya tidak tahu bagaimana cara klaim garansi.", ["Saya tidak tahu bagaimana cara klaim garansi."]),
        ("Bolehkah saya datang besok.", ["Bolehkah saya datang besok."]),
        ("Min, sy mau tanya. Bs COD gak?", ["Bs COD gak?"]),
        ("Silakan hubungi kami kapan saja. Terima kasih.", []),
        ("Saya sudah beberapa kali telepon.", []),
        (
            "Do you ship to Singapore? How much does it cost?",
            ["Do you ship to Singapore?", "How much does it cost?"],
        ),
        ("How do I reset my password.", ["How do I reset my password."]),
        ("When I log in, the app crashes.", []),
        ("What a mess. I want a refund.", []),
        (
            "Hi, I'd like to know whether you deliver on Sundays.",
            ["Hi, I'd like to know whether you deliver on Sundays."],
        ),
        (
            "Please let me know whether the event is still on.",
            ["Please let me know whether the event is still on."],
        ),
        ("Can you send me the invoice. Thanks!", ["Can you send me the invoice."]),
        ("Thanks for your help!", []),
    ],
)
def test_questions_in_both_languages(message: str, expected: list[str]) -> None:
    assert texts(message) == expected


def test_numbers_and_abbreviations_do_not_split_a_sentence() -> None:
    message = "Saya transfer Rp 150.000 ke Jl. Sudirman No. 123 kemarin, apakah sudah masuk? Mr. Lee said ok."
    assert texts(message) == ["Saya transfer Rp 150.000 ke Jl. Sudirman No. 123 kemarin, apakah sudah masuk?"]


def test_an_abbreviation_after_a_long_stretch_still_does_not_split() -> None:
    filler = " ".join(["pesanan"] * 60)
    message = f"Saya kirim ke {filler} Jl. Sudirman, kapan sampai? Lalu ke mana a.n. PT Maju?"
    assert texts(message) == [
        f"Saya kirim ke {filler} Jl. Sudirman, kapan sampai?",
        "Lalu ke mana a.n. PT Maju?",
    ]


def test_a_list_number_stays_with_its_question() -> None:
    assert texts("Pertanyaan saya:\n1. Kapan dikirim?\n2. Berapa ongkirnya?") == [
        "1. Kapan dikirim?",
        "2. Berapa ongkirnya?",
    ]


def test_offsets_index_the_original_text() -> None:
    message = "Halo kak,\n\n  Pesanan #A1902 kapan dikirim ya?   Terima kasih.\nAda warna hitam?"
    found = questions(message)
    assert [q.text for q in found] == ["Pesanan #A1902 kapan dikirim ya?", "Ada warna hitam?"]
    for q in found:
        assert message[q.start : q.end] == q.text


def test_quoted_reply_and_signature_are_ignored() -> None:
    message = (
        "> Pada 2 Juni, Tim Tanggap menulis:\n> Apakah ada yang bisa kami bantu lagi?\n\n"
        "Iya, kapan promo gajian mulai?\n\nSalam,\nBudi\n--\nApakah ini tanda tangan?"
    )
    assert texts(message) == ["Iya, kapan promo gajian mulai?"]
    english = (
        "Yes, do you offer a nonprofit discount?\n\nOn 4 May, Support wrote:\n> Anything else?\n"
        "Sent from my phone"
    )
    assert texts(english) == ["Yes, do you offer a nonprofit discount?"]


def test_interrobang_and_repeated_marks() -> None:
    assert texts("Kapan barang saya dikirim?! Saya capek nunggu!!") == ["Kapan barang saya dikirim?!"]
    assert texts("Why on earth did you close my account??") == ["Why on earth did you close my account??"]


def test_work_is_bounded() -> None:
    many = "Apakah bisa? " * 100
    assert len(questions(many)) == MAX_QUESTIONS
    late = "a" * MAX_CHARS + " Kapan dikirim?"
    assert questions(late) == []


def test_language_argument_is_accepted() -> None:
    assert questions("Kapan dikirim?", language="id") == [Question("Kapan dikirim?", 0, 14)]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ?.!\n>-Rp1230,kapan")), max_size=300))
def test_spans_are_inside_the_text_and_quote_it(message: str) -> None:
    found = questions(message)
    assert len(found) <= MAX_QUESTIONS
    previous_end = 0
    for q in found:
        assert 0 <= q.start < q.end <= len(message)
        assert message[q.start : q.end] == q.text
        assert q.text == q.text.strip()
        assert q.start >= previous_end
        previous_end = q.end


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_yields_ordered_non_overlapping_sentences(message: str) -> None:
    spans = list(sentence_spans(message))
    for (start, end), (next_start, _) in itertools.pairwise(spans):
        assert start < end <= next_start
    for q in questions(message):
        assert message[q.start : q.end] == q.text


@settings(max_examples=100, deadline=None)
@given(
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "Nd", "Zs", "Pd", "Po"), blacklist_characters="?"),
        max_size=80,
    )
)
def test_a_line_ending_in_a_question_mark_is_a_question(prefix: str) -> None:
    # Letters, digits, spaces and punctuation: no line break, quote marker (">") or signature line ("--").
    line = f"{prefix.lstrip('>-_ ')} kapan?".strip()
    found = questions(line)
    assert found and found[-1].text.endswith("kapan?")


DRAFTS = Path(__file__).with_name("coach_drafts.jsonl")

# Sentences at the edges of the words check: each pattern's needed word, upper case, after a comma,
# joined to a digit or underscore, and letters that match another letter when case is ignored.
EDGES = [
    "Di   mana kantor cabang terdekat",
    "DIMANAKAH alamatnya",
    "Saya mau tanya, berapa ongkirnya",
    "Boleh tau nomor resinya",
    "Tolong informasikan statusnya",
    "Tolong kirim ulang",
    "Kapan saja boleh",
    "Berapa pun harganya saya bayar",
    "2apakah ini benar",
    "apakah_ini benar",
    "I'd like to know the fee",
    "I was wondering whether it shipped",
    "I wondered about it",
    "Please let me know when it ships",
    "Please advise",
    "Could you please confirm the refund",
    "Thanks, could you check it",
    "Hello, isn't it ready yet",
    "Isn't it ready yet",
    "What a lovely surprise",
    "How nice of you",
    "Which is the right plan for me",
    "When I logged in, it crashed",
    "Order 5, what is its status",
    "ı was wondering",
    "Bısakah dikirim hari ini",
    "İs it ready",
    "ſhould I wait",
]


def _sentences() -> list[str]:
    rows = [json.loads(line) for line in DRAFTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    found = list(EDGES)
    for row in rows:
        for text in (row["customer"], row["draft"]):
            found += [text[start:end] for start, end in sentence_spans(text)]
    return found


def test_the_words_check_leaves_out_only_sentences_no_pattern_asks() -> None:
    sentences = _sentences()
    assert len(sentences) > 1500
    for sentence in sentences:
        if "?" not in sentence:
            assert is_question(sentence) == asks(sentence.strip()), sentence
    # The edges themselves: each answer as the patterns give it.
    assert [is_question(s) for s in EDGES[:8]] == [True, True, True, True, True, False, False, False]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            sorted(
                word_set(
                    "di mana apakah kapan saja pun boleh tau tolong jelaskan what how is isn't do you know "
                    "i was wondering please advise let me can could , . ! 2 _ a the ı İ"
                )
            )
        ),
        max_size=12,
    )
)
def test_the_words_check_agrees_with_the_patterns_on_built_sentences(words: list[str]) -> None:
    sentence = " ".join(words).strip()
    if sentence:
        assert is_question(sentence) == asks(sentence)
