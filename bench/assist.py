"""Assist's latency: classifying one customer message, and checking one reply draft, in one process
pinned to one core, side by side in one run. Prints JSON.

    .venv/bin/python bench/assist.py         # corpus messages and the coach's labelled drafts
    .venv/bin/python bench/assist.py --rounds 5 --json

Messages come from the benchmark corpus (``corpus.py``: Indonesian and English customer mail of
150 B to 1.5 KB) and from the coach's labelled set (``tests/assist/coach_drafts.jsonl``: the
customer's message of each draft). Drafts are that set's 330 agent drafts with their context.
The bars (issue 6): classification p95 < 5 ms per message, coach p95 < 50 ms per draft.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from tanggap.assist.classify import classify, models  # noqa: E402
from tanggap.assist.coach import check  # noqa: E402
from tanggap.assist.coach_eval import context_of  # noqa: E402

DRAFTS = ROOT / "tests" / "assist" / "coach_drafts.jsonl"


def _quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 3)

    return {"n": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": at(1.0)}


def _messages(rows: list[dict], count: int, seed: int) -> list[str]:
    from corpus import Corpus  # bench/corpus.py

    texts = [r["customer"] for r in rows if r.get("customer")]
    rng = random.Random(seed)
    pool = Corpus(seed, lambda text: [])
    for _ in range(count):
        language = "id" if rng.random() < 0.7 else "en"
        texts.append(pool.compose(rng, language, rng.randint(1, 6))[0])
    return texts


def _against(directory: Path, texts: list[str], long_texts: list[str]) -> dict[str, object]:
    """The shipped models and those in ``directory`` on the same messages, alternating which goes
    first (the second call finds the message's words already split)."""
    from tanggap.assist.classify import MODELS_DIR

    models(directory)
    figures: dict[str, object] = {"directory": str(directory)}
    for name, batch in (("classify", texts), ("classify_2000_chars", long_texts)):
        samples: dict[Path, list[float]] = {MODELS_DIR: [], directory: []}
        for i, text in enumerate(batch):
            for folder in (MODELS_DIR, directory) if i % 2 else (directory, MODELS_DIR):
                t = time.perf_counter()
                classify(text, directory=folder)
                samples[folder].append(time.perf_counter() - t)
        figures[name] = {
            "shipped": _quantiles(samples[MODELS_DIR]),
            "against": _quantiles(samples[directory]),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the texts")
    parser.add_argument(
        "--messages", type=int, default=1000, help="corpus messages added to the drafts' ones"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    parser.add_argument(
        "--against",
        type=Path,
        help="another trained/ folder (e.g. the last release's models): classify with both, interleaved",
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    rows = [json.loads(line) for line in DRAFTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = _messages(rows, args.messages, args.seed)
    started = time.perf_counter()
    models()
    load_seconds = time.perf_counter() - started
    contexts = [(r["draft"], context_of(r)) for r in rows]
    for text in texts[:50]:  # warm up
        classify(text)
    for draft, context in contexts[:50]:  # the coach's first call reads its thesaurus
        check(draft, context)
    classify_samples: list[float] = []
    coach_samples: list[float] = []
    for _ in range(args.rounds):
        # Interleaved, so both see the same machine at the same moments.
        for i, text in enumerate(texts):
            t = time.perf_counter()
            classify(text)
            classify_samples.append(time.perf_counter() - t)
            draft, context = contexts[i % len(contexts)]
            t = time.perf_counter()
            check(draft, context)
            coach_samples.append(time.perf_counter() - t)
    # The longest a message is read: its first 2,000 characters (features.MAX_CHARS).
    long_texts = [" ".join(texts[i : i + 25])[:2000] for i in range(0, min(len(texts), 5000), 25)]
    long_samples: list[float] = []
    for text in long_texts:
        t = time.perf_counter()
        classify(text)
        long_samples.append(time.perf_counter() - t)
    # Both again with no word remembered from earlier messages (as for a process's first messages).
    loaded = models()

    def cold(batch: list[str]) -> list[float]:
        samples = []
        for text in batch:
            loaded.forget_words()
            t = time.perf_counter()
            classify(text)
            samples.append(time.perf_counter() - t)
        return samples

    cold_samples = cold(texts)
    cold_long_samples = cold(long_texts)
    against = _against(args.against, texts, long_texts) if args.against else None
    figures = {
        "bench": "assist",
        "models_load_s": round(load_seconds, 3),
        "message_chars_mean": round(sum(len(t) for t in texts) / len(texts)),
        "classify": _quantiles(classify_samples),
        "classify_2000_chars": _quantiles(long_samples),
        "classify_cold": _quantiles(cold_samples),
        "classify_2000_chars_cold": _quantiles(cold_long_samples),
        "coach": _quantiles(coach_samples),
        "bars": {"classify_p95_ms": 5, "coach_p95_ms": 50},
    }
    if against is not None:
        figures["against"] = against
    if not args.json:
        print(f"classify: {figures['classify']}", file=sys.stderr)
        print(f"coach:    {figures['coach']}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
