"""How well the reply coach agrees with a labelled set of drafts: per rule precision and recall.

Pure: no Django. Rows are the JSON objects of ``tests/assist/coach_drafts.jsonl``; a CLI or the README
reports ``evaluate(rows)`` per split. Rules are scored per draft; thoroughness per customer question.
``evaluate_answers`` scores the judgement alone on ``tests/assist/answer_pairs.jsonl``: each row lists
its questions, labelled answered or not by the reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .answers import REASONS, unanswered_why
from .coach import RULES, CoachContext, check
from .questions import Question

DRAFT_RULES = ("thank_vs_sorry", "real_apology", "honesty", "blame")


def context_of(row: Mapping[str, Any]) -> CoachContext:
    return CoachContext(
        language=row.get("lang", ""),
        situation=row.get("situation", "none"),
        anger=float(row.get("anger", 0.0)),
        customer_text=row.get("customer", ""),
        promise_floor_hours=row.get("promise_floor_hours"),
    )


def _rate(hit: int, total: int) -> float:
    return hit / total if total else 1.0


def evaluate(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """``{rule: {"tp", "fp", "fn", "precision", "recall"}}`` over ``rows``, for every rule in ``RULES``."""
    counts = {rule: {"tp": 0, "fp": 0, "fn": 0} for rule in RULES}
    for row in rows:
        findings = check(row["draft"], context_of(row))
        flagged = {finding.rule for finding in findings}
        expect = row["expect"]
        for rule in DRAFT_RULES:
            _count(counts[rule], rule in flagged, bool(expect[rule]))
        predicted = {f.quote.strip() for f in findings if f.rule == "thoroughness"}
        expected = {q.strip() for q in expect["unanswered"]}
        counts["thoroughness"]["tp"] += len(predicted & expected)
        counts["thoroughness"]["fp"] += len(predicted - expected)
        counts["thoroughness"]["fn"] += len(expected - predicted)
    return {
        rule: {
            **c,
            "precision": _rate(c["tp"], c["tp"] + c["fp"]),
            "recall": _rate(c["tp"], c["tp"] + c["fn"]),
        }
        for rule, c in counts.items()
    }


def labelled_questions(row: Mapping[str, Any]) -> list[Question]:
    """The questions a row of the answer set lists, where they stand in its customer message."""
    asked = []
    for item in row["questions"]:
        start = row["customer"].find(item["text"])
        if start >= 0:
            asked.append(Question(item["text"], start, start + len(item["text"])))
    return asked


def evaluate_answers(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"tp", "fp", "fn", "precision", "recall"}`` of "this question is unanswered" over ``rows``,
    and ``"by_reason"``: for each reason the rule gave (``answers.REASONS``), its flags that were right
    (``tp``) and wrong (``fp``), and their precision."""
    counter = {"tp": 0, "fp": 0, "fn": 0}
    by_reason = {reason: {"tp": 0, "fp": 0} for reason in REASONS}
    for row in rows:
        flagged = unanswered_why(labelled_questions(row), row["reply"], row["customer"])
        reasons = {question.text: why for question, why in flagged}
        for item in row["questions"]:
            why = reasons.get(item["text"])
            _count(counter, why is not None, not item["answered"])
            if why is not None:
                by_reason[why]["fp" if item["answered"] else "tp"] += 1
    tp, fp, fn = counter["tp"], counter["fp"], counter["fn"]
    return {
        **counter,
        "precision": _rate(tp, tp + fp),
        "recall": _rate(tp, tp + fn),
        "by_reason": {
            reason: {**c, "precision": _rate(c["tp"], c["tp"] + c["fp"])}
            for reason, c in by_reason.items()
            if c["tp"] or c["fp"]
        },
    }


def _count(counter: dict[str, int], predicted: bool, expected: bool) -> None:
    if predicted and expected:
        counter["tp"] += 1
    elif predicted:
        counter["fp"] += 1
    elif expected:
        counter["fn"] += 1


def table(results: Mapping[str, Mapping[str, float]]) -> str:
    """The figures as a fixed-width table, one rule a line."""
    lines = [f"{'rule':<16}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}"]
    for rule, r in results.items():
        lines.append(
            f"{rule:<16}{int(r['tp']):>5}{int(r['fp']):>5}{int(r['fn']):>5}{r['precision']:>11.3f}{r['recall']:>8.3f}"
        )
    return "\n".join(lines)
