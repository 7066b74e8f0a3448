"""The answer set (``answer_pairs.jsonl``): 680 customer messages and replies by writers who saw neither
the coach's rules nor its labelled drafts, each question labelled answered or not by the reply. It checks
the question finder and the thoroughness judgement on phrasing the rules were not written from; see
docs/assist.md, "Evaluation". The "fresh" 80, by a fifth writer in seventeen trades, came last and have
not been read while changing the rules."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tanggap.assist.coach_eval import evaluate_answers, labelled_questions
from tanggap.assist.questions import questions

PAIRS = Path(__file__).with_name("answer_pairs.jsonl")


def _rows() -> list[dict]:
    with PAIRS.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_the_answer_set_is_shaped_as_documented() -> None:
    rows = _rows()
    assert Counter((r["split"], r["lang"]) for r in rows) == {
        ("tuning", "id"): 150,
        ("tuning", "en"): 150,
        ("check", "id"): 150,
        ("check", "en"): 150,
        ("fresh", "id"): 40,
        ("fresh", "en"): 40,
    }
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["customer"] for r in rows}) == len(rows)
    # The tuning half and the check half share no business domain.
    domains = {split: {r["domain"] for r in rows if r["split"] == split} for split in ("tuning", "check")}
    assert len(domains["tuning"]) == len(domains["check"]) == 5
    assert not domains["tuning"] & domains["check"]
    labels = [q["answered"] for r in rows for q in r["questions"]]
    assert len(labels) >= 1500 and 0.3 <= labels.count(False) / len(labels) <= 0.5
    for row in rows:
        assert 1 <= len(row["questions"]) <= 4, row["id"]
        assert len(labelled_questions(row)) == len(row["questions"]), row["id"]


def test_the_finder_finds_the_questions_other_writers_ask() -> None:
    found = total = 0
    for row in _rows():
        spans = [(q.start, q.end) for q in questions(row["customer"])]
        for asked in labelled_questions(row):
            total += 1
            found += any(start <= asked.start and asked.end <= end for start, end in spans)
    assert found / total >= 0.99, (found, total)


def _figures(split: str, lang: str) -> dict[str, float]:
    return evaluate_answers([r for r in _rows() if r["split"] == split and r["lang"] == lang])


# What the judgement reaches today (docs/assist.md), less a point: a regression fails here. The "check"
# half and the "fresh" rows were not looked at while the rules were changed: theirs are the honest figures.
FLOORS = {
    ("tuning", "id"): (0.81, 0.64),
    ("tuning", "en"): (0.60, 0.55),
    ("check", "id"): (0.65, 0.67),
    ("check", "en"): (0.54, 0.66),
    ("fresh", "id"): (0.71, 0.64),
    ("fresh", "en"): (0.68, 0.76),
}


@pytest.mark.parametrize(("split", "lang"), list(FLOORS))
def test_thoroughness_keeps_what_it_reaches_on_the_answer_set(split: str, lang: str) -> None:
    figures = _figures(split, lang)
    precision, recall = FLOORS[split, lang]
    assert figures["precision"] >= precision and figures["recall"] >= recall, figures


# Thoroughness compares words (with a thesaurus), not meaning: an answer in other words looks
# unanswered, and a reply that names a question's subject without answering it looks like an answer.
# On the rows no rule was read from it falls short of the bar; see docs/assist.md, "Evaluation".
@pytest.mark.xfail(strict=True, reason="word matching misses meaning")
def test_the_bar_on_rows_no_rule_was_read_from() -> None:
    figures = evaluate_answers([r for r in _rows() if r["split"] in {"check", "fresh"}])
    assert figures["precision"] >= 0.95 and figures["recall"] >= 0.85, figures


# What the coach says plainly (a "when" with no time, a "how much" with no amount, no steps, an answer
# only put off) is a warning; a question judged by its words alone is shown as "Maybe unanswered".
# The warnings must earn that on the rows no rule was read from, and be surer than the rest.
PLAIN = {"no_time", "no_amount", "no_steps", "put_off"}


def test_what_the_draft_plainly_lacks_is_seldom_wrong_on_unread_rows() -> None:
    by_reason = evaluate_answers([r for r in _rows() if r["split"] in {"check", "fresh"}])["by_reason"]
    plain = [c for reason, c in by_reason.items() if reason in PLAIN]
    words = [c for reason, c in by_reason.items() if reason not in PLAIN]
    right, wrong = sum(c["tp"] for c in plain), sum(c["fp"] for c in plain)
    assert right >= 60 and right / (right + wrong) >= 0.95, by_reason
    by_words = sum(c["tp"] for c in words) / sum(c["tp"] + c["fp"] for c in words)
    assert by_words < right / (right + wrong) - 0.2, by_reason
