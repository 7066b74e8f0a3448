"""``tanggap assist``: train and evaluate the classifiers, classify texts, and check a reply draft.

``classify`` and ``check-reply`` need neither Django nor a database: they run the pure cores on the
shipped models, so they work in a pipeline or on a laptop with only the package installed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

REPO = Path(__file__).resolve().parents[3]
DEFAULT_DATASETS = Path(os.environ.get("TANGGAP_DATASETS", REPO.parent / "shared" / "datasets"))
DEFAULT_INTENTS = REPO / "data" / "assist" / "intents"
CODE_DRAFTS = REPO / "tests" / "assist" / "coach_drafts.jsonl"
ANSWER_PAIRS = REPO / "tests" / "assist" / "answer_pairs.jsonl"
MAX_LINE = 100_000  # characters of one input line that are read


@click.group("assist")
def assist() -> None:
    """Signals on customer messages (language, sentiment, anger, intents) and the reply coach."""


def _data_options(fn: Any) -> Any:
    fn = click.option(
        "--datasets",
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_DATASETS,
        show_default=True,
        help="The public datasets (see their README); $TANGGAP_DATASETS also sets it.",
    )(fn)
    return click.option(
        "--intents",
        type=click.Path(path_type=Path, file_okay=False),
        default=DEFAULT_INTENTS,
        show_default=True,
        help="Tanggap's own intent examples.",
    )(fn)


def _tasks(datasets: Path, intents: Path) -> list[Any]:
    from tanggap.assist.training import DatasetMissing, tasks

    try:
        return tasks(datasets, intents)
    except DatasetMissing as missing:
        raise click.ClickException(f"training data not found: {missing}") from None


@assist.command("train")
@_data_options
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where the artefacts go (default: the package's trained/ folder, replacing the shipped ones).",
)
@click.option("--only", multiple=True, help="Train only these models (e.g. --only emotion.id).")
def assist_train(datasets: Path, intents: Path, out: Path | None, only: tuple[str, ...]) -> None:
    """Rebuild the models from the datasets; prints progress and each model's validation macro-F1."""
    from tanggap.assist.training import MODELS_DIR, evaluate, fit, trained_with, write

    selected = [t for t in _tasks(datasets, intents) if not only or t.name in only]
    if not selected:
        raise click.ClickException(f"no such model: {', '.join(only)}")
    versions = ", ".join(f"{name} {v}" for name, v in trained_with().items())
    click.echo(f"training with {versions} (the same versions rebuild the same artefacts)", err=True)
    for number, task in enumerate(selected, 1):
        started = time.perf_counter()
        click.echo(f"[{number}/{len(selected)}] {task.name}: fitting on {len(task.train)} texts …", err=True)
        model = fit(task, progress=lambda line: click.echo(f"    {line}", err=True))
        path = write(model, out or MODELS_DIR)
        scores = ", ".join(
            f"{name} {100 * evaluate(model, split)[1]:.1f}" for name, split in task.valid.items()
        )
        click.echo(
            f"[{number}/{len(selected)}] {task.name}: {path.stat().st_size / 1e6:.1f} MB, "
            f"{time.perf_counter() - started:.0f} s; macro-F1 {scores}",
            err=True,
        )


@assist.command("eval")
@_data_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per model and validation set.")
@click.option(
    "--answers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Only judge the thoroughness rule on these JSON lines in the answer set's shape (e.g. from "
    "`tanggap assist outcomes --export-questions`).",
)
def assist_eval(datasets: Path, intents: Path, as_json: bool, answers: Path | None) -> None:
    """Per-class precision, recall and F1, and macro-F1, of the shipped models on the validation splits,
    and the reply coach's precision and recall per rule on its labelled drafts (when present)."""
    if answers is not None:
        _answers_eval(as_json, answers)
        return
    from tanggap.assist.classify import models
    from tanggap.assist.training import evaluate

    shipped = models().by_name
    for task in _tasks(datasets, intents):
        for name, split in task.valid.items():
            reports, macro = evaluate(shipped[task.name], split)
            if as_json:
                click.echo(
                    json.dumps(
                        {
                            "model": task.name,
                            "split": name,
                            "size": len(split),
                            "macro_f1": round(100 * macro, 2),
                            "classes": {
                                r.label: {
                                    "precision": round(r.precision, 4),
                                    "recall": round(r.recall, 4),
                                    "f1": round(r.f1, 4),
                                    "support": r.support,
                                }
                                for r in reports
                            },
                        }
                    )
                )
                continue
            click.echo(f"{task.name} on {name} ({len(split)} texts): macro-F1 {100 * macro:.1f}")
            for r in reports:
                click.echo(
                    f"    {r.label:<11} precision {r.precision:.3f}  recall {r.recall:.3f}  "
                    f"F1 {r.f1:.3f}  ({r.support})"
                )
    if CODE_DRAFTS.exists():
        _coach_eval(as_json)
    if ANSWER_PAIRS.exists():
        _answers_eval(as_json, ANSWER_PAIRS)


def _coach_eval(as_json: bool) -> None:
    from tanggap.assist.coach_eval import evaluate as coach_evaluate

    with CODE_DRAFTS.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    for split in [*dict.fromkeys(r.get("split", "") for r in rows), "all"]:
        part = [r for r in rows if split == "all" or r.get("split") == split]
        figures = coach_evaluate(part)
        if as_json:
            click.echo(json.dumps({"model": "coach", "split": split, "size": len(part), "rules": figures}))
            continue
        click.echo(f"reply coach on {split} drafts ({len(part)}):")
        for rule, figure in figures.items():
            click.echo(
                f"    {rule:<15} precision {figure['precision']:.3f}  recall {figure['recall']:.3f}  "
                f"(tp {figure['tp']:.0f}, fp {figure['fp']:.0f}, fn {figure['fn']:.0f})"
            )


def _answers_eval(as_json: bool, path: Path) -> None:
    from tanggap.assist.coach_eval import evaluate_answers

    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    title = "the answer set" if path == ANSWER_PAIRS else path.name
    for split in [*dict.fromkeys(r.get("split", "") for r in rows), "all"]:
        for lang in ("id", "en", ""):
            part = [r for r in rows if split in ("all", r.get("split", "")) and lang in ("", r.get("lang"))]
            figure = evaluate_answers(part)
            name = f"{split}/{lang or 'both'}"
            if as_json:
                record = {"model": "answers", "split": name, "size": len(part), "thoroughness": figure}
                click.echo(json.dumps(record))
                continue
            click.echo(
                f"thoroughness on {title}, {name} ({len(part)} replies): precision "
                f"{figure['precision']:.3f}  recall {figure['recall']:.3f}  "
                f"(tp {figure['tp']:.0f}, fp {figure['fp']:.0f}, fn {figure['fn']:.0f})"
            )
            if not lang:
                reasons = ", ".join(
                    f"{reason} {c['tp']}/{c['fp']}" for reason, c in figure["by_reason"].items()
                )
                click.echo(f"    flags by reason, right/wrong: {reasons}")


def _texts(stream: Any) -> Any:
    for line in stream:
        line = line.rstrip("\n")[:MAX_LINE]
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                yield line
                continue
            yield str(value.get("text", "")) if isinstance(value, dict) else line
        else:
            yield line


@assist.command("reclassify")
@click.option(
    "--days",
    type=click.IntRange(1, 36_500),
    default=30,
    show_default=True,
    help="Read again the customer messages of this many days.",
)
@click.option("--all", "everything", is_flag=True, help="Every customer message, however old.")
def assist_reclassify(days: int, everything: bool) -> None:
    """Read customer messages again after the models changed (an upgrade, `tanggap assist train`):
    those whose signals came from other models, newest first, with progress. Tickets get the new
    sentiment, emotion and anger; triggers do not act again."""
    from datetime import timedelta

    from django.utils import timezone

    from tanggap.cli import _django, _progress

    _django()
    from tanggap.assist.services import messages_reclassify, stale_signals

    stale = stale_signals(since=None if everything else timezone.now() - timedelta(days=days))
    if not stale:
        click.echo("Every message was read by the shipped models.")
        return
    with _progress(len(stale), "Reading again", "message") as bar:
        done, failed = messages_reclassify(stale, progress=lambda: bar.update(1))
    click.echo(f"Read again: {done} message(s); could not read: {failed}.")
    if failed:
        raise SystemExit(1)


@assist.command("classify")
def assist_classify() -> None:
    """Read one text per line (or JSON lines with a "text" field) on stdin; print one JSON object per line:
    language, sentiment and its scores, emotion and its scores, anger (0..1), intents and questions."""
    from tanggap.assist.classify import ModelsMissing, classify

    try:
        for text in _texts(sys.stdin):
            signals = classify(text)
            out = signals.as_json()
            out["questions"] = [q.text for q in signals.questions]
            click.echo(json.dumps(out, ensure_ascii=False))
    except ModelsMissing as missing:
        raise click.ClickException(
            f"the trained models are missing ({missing}): run `tanggap assist train`"
        ) from None


@assist.command("check-reply")
@click.option(
    "--message",
    "message_file",
    type=click.File(encoding="utf-8"),
    required=True,
    help="The customer's message(s) the draft answers.",
)
@click.option(
    "--draft", "draft_file", type=click.File(encoding="utf-8"), required=True, help="The reply draft."
)
@click.option("--minor-delay", "situation", flag_value="minor_delay", help="The ticket shows a small delay.")
@click.option("--failure", "situation", flag_value="failure", help="The ticket shows a real failure.")
@click.option("--anger", type=click.FloatRange(0, 1), default=None, help="Default: read from the message.")
@click.option(
    "--promise-floor",
    "floor",
    type=click.FloatRange(min=0),
    default=None,
    help="The shortest time (hours) the team's history supports; time promises under it are flagged.",
)
@click.option(
    "--recovery", default=None, help='A recovery offer to suggest on a failure, e.g. "voucher Rp50.000".'
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def assist_check_reply(
    message_file: Any,
    draft_file: Any,
    situation: str | None,
    anger: float | None,
    floor: float | None,
    recovery: str | None,
    as_json: bool,
) -> None:
    """Check a reply draft against the customer's message: thank-vs-sorry, real apology, honesty,
    thoroughness (every question answered) and blame."""
    from tanggap.assist.coach import EXPLANATIONS, CoachContext, RecoveryOption, check

    message = message_file.read()[:MAX_LINE]
    draft = draft_file.read()[:MAX_LINE]
    if anger is None:
        from tanggap.assist.classify import classify

        anger = classify(message).anger
    context = CoachContext(
        situation=situation or "none",  # type: ignore[arg-type]
        anger=anger,
        customer_text=message,
        promise_floor_hours=floor,
        recovery=RecoveryOption(label=recovery) if recovery else None,
    )
    findings = check(draft, context)
    rows: list[dict[str, Any]] = []
    for f in findings:
        why, research = EXPLANATIONS.get(f.code, ("", ""))
        rows.append(
            {
                "rule": f.rule,
                "code": f.code,
                "start": f.start,
                "end": f.end,
                "quote": f.quote,
                "rewrite": f.rewrite,
                "severity": f.severity,
                "params": f.params,
                "why": why.format(**f.params) if f.params else why,
                "research": research,
            }
        )
    if as_json:
        click.echo(json.dumps({"findings": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No findings.")
    for row in rows:
        where = f"{row['start']}-{row['end']}" if row["end"] > row["start"] else "—"
        click.echo(f"[{row['rule']}] {row['code']} at {where}: {row['quote']!r}")
        click.echo(f"    why: {row['why']}")
        click.echo(f"    research: {row['research']}")
        if row["rewrite"] is not None:
            click.echo(f"    suggestion: {row['rewrite']!r}")


@assist.command("outcomes")
@click.option(
    "--days",
    type=click.IntRange(1, 92),
    default=30,
    show_default=True,
    help="The replies sent in this many days, today included.",
)
@click.option("--team", type=int, default=None, help="Only replies on this team's tickets (its id).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per rule.")
@click.option(
    "--export-questions",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Write the questions agents set aside or sent as flagged as JSON lines in the answer set's "
    "shape, to judge the thoroughness rule on real replies (holds customers' words: keep it private).",
)
def assist_outcomes(days: int, team: int | None, as_json: bool, export_questions: Path | None) -> None:
    """What agents did with the coach's findings on the replies they sent: per rule, suggestions
    used, findings set aside ("Ignore", "It is answered") and findings sent as flagged."""
    from datetime import timedelta

    from django.utils import timezone

    from tanggap.cli import _django

    _django()
    from tanggap.assist.selectors import coach_outcomes_everyone, coach_set_aside_answer_rows

    end = timezone.localdate()
    start = end - timedelta(days=days - 1)
    report = coach_outcomes_everyone(start=start, end=end, team_id=team)
    if as_json:
        for row in [*report.rules, *report.thoroughness]:
            click.echo(json.dumps(row.as_json()))
    else:
        click.echo(f"{start} to {end}: replies sent with findings: {report.replies}")
        click.echo(f"{'rule':<24}{'used':>7}{'set aside':>11}{'sent':>7}{'share set aside':>17}")
        for row in [*report.rules, *report.thoroughness]:
            share = "-" if row.set_aside_share is None else f"{row.set_aside_share:.0%}"
            name = f"  {row.code.removeprefix('thoroughness.')}" if row.code else row.rule
            click.echo(f"{name:<24}{row.used:>7}{row.set_aside:>11}{row.sent:>7}{share:>17}")
    if export_questions is not None:
        rows = coach_set_aside_answer_rows(start=start, end=end)
        with export_questions.open("w", encoding="utf-8") as handle:
            for item in rows:
                handle.write(json.dumps(item, ensure_ascii=False) + "\n")
        click.echo(f"Flagged questions of {len(rows)} reply(ies) written to {export_questions}", err=True)
