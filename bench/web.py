"""Web benchmark: bulk-load N tickets, start the real server, measure pages over loopback.

    python bench/web.py --tickets 10000 --json
    python bench/web.py --tickets 1000000 --reuse --json
    python bench/web.py --tickets 10000 --database-url postgresql://postgres@127.0.0.1:5432/tanggap_bench

Prints one JSON object: n_tickets, n_messages, backend, per-endpoint latency {p50, p95, p99, mean,
count, errors} in ms, the server's peak RSS and the load time. Any response other than 200
(including a redirect to the sign-in page) counts as an error, never as a fast answer.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

COMMON_WORDS = ("pesanan", "refund", "pengiriman", "dikirim", "order", "voucher", "pembayaran", "paket")
MID_WORDS = ("powerbank", "blender", "webcam", "makassar", "garansi", "sicepat", "faktur", "locked")
PHRASES = ("refund belum masuk", "paket rusak", "shipping address", "tukar ukuran kaos")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _peak_rss_mb(pid: int) -> float:
    """Peak resident memory of the server and its children (VmHWM; psutil is not needed)."""
    pids = [pid, *_children(pid)]
    peak = 0
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return round(peak / 1024, 1)


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the server and its worker processes have used so far (from /proc, s)."""
    total = 0
    for p in [pid, *_children(pid)]:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _rss_breakdown_mb(pid: int) -> dict[str, float]:
    """Resident memory now, split into anonymous (heap) and file-backed (SQLite's mmap, code)."""
    out = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in ("RssAnon", "RssFile"):
                out[key] = round(int(line.split()[1]) / 1024, 1)
    return out


class Client:
    """Keep-alive HTTP client for one thread, with the session cookie or a bearer token."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = headers
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, float]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                response.read()
                return response.status, (time.perf_counter() - started) * 1000
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    return 599, (time.perf_counter() - started) * 1000
        return 599, 0.0


def _sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the login form; returns the Cookie header ("" when it failed)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/")
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    cookies = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    token = match.group(1) if match else cookies.get("csrftoken", "")
    form = f"username={quote(username)}&password={quote(password)}&csrfmiddlewaretoken={quote(token)}"
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request(
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-CSRFToken": cookies.get("csrftoken", ""),
            "Referer": f"http://127.0.0.1:{port}/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            cookies[name] = rest.split(";", 1)[0]
    conn.close()
    if "sessionid" not in cookies:
        return ""
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _measure(
    port: int, headers: dict[str, str], paths: list[str], concurrency: int, time_cap: float
) -> dict[str, Any]:
    local = threading.local()
    deadline = time.monotonic() + time_cap
    results: list[tuple[int, float]] = []
    lock = threading.Lock()

    def one(path: str) -> None:
        if time.monotonic() > deadline:
            return
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = Client(port, headers)
        status, ms = client.get(path)
        with lock:
            results.append((status, ms))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, paths))
    times = [ms for _, ms in results]
    errors = sum(1 for status, _ in results if status != 200)
    return {
        "p50": round(_percentile(times, 0.50), 2),
        "p95": round(_percentile(times, 0.95), 2),
        "p99": round(_percentile(times, 0.99), 2),
        "mean": round(statistics.fmean(times), 2) if times else 0.0,
        "count": len(results),
        "errors": errors,
        "statuses": dict(sorted({str(s): sum(1 for x, _ in results if x == s) for s, _ in results}.items())),
    }


def _prepare_postgres(url: str, fresh: bool) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL; default: SQLite in the data dir")
    parser.add_argument("--data-dir", default="", help="default: a temporary folder (kept with --reuse)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the loaded database and reuse it next time"
    )
    parser.add_argument("--requests", type=int, default=300, help="measured requests per endpoint")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured requests per endpoint first")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--time-cap", type=float, default=120.0, help="seconds per endpoint at most")
    parser.add_argument("--server", choices=("uvicorn", "tanggap"), default="uvicorn")
    parser.add_argument("--workers", type=int, default=1, help="web processes (peak RSS is per process)")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    backend = "postgresql" if args.database_url.startswith(("postgres://", "postgresql://")) else "sqlite"
    if args.data_dir:
        data_dir = Path(args.data_dir)
    elif args.reuse:
        data_dir = Path(tempfile.gettempdir()) / "tanggap-bench" / f"{backend}-{args.tickets}"
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="tanggap-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    database = urlsplit(args.database_url).path.lstrip("/") if backend == "postgresql" else "sqlite"
    marker = data_dir / f"loaded-{database}-{args.tickets}.json"
    env = {
        **os.environ,
        "TANGGAP_ENV": "development",
        "TANGGAP_DEBUG": "false",
        "TANGGAP_DATA_DIR": str(data_dir),
        "TANGGAP_SECRET_KEY": secrets.token_urlsafe(40),
        "TANGGAP_QUEUE": "immediate",
        "TANGGAP_WORKER_IN_PROCESS": "false",
        "TANGGAP_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "tanggap.settings",
    }
    if backend == "postgresql":
        env["TANGGAP_DATABASE_URL"] = args.database_url
    os.environ.update(env)
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    reuse = args.reuse and marker.exists()
    if backend == "postgresql":
        _prepare_postgres(args.database_url, fresh=not reuse)
    import django

    django.setup()
    from django.db import connection

    import loader

    if reuse:
        loaded = json.loads(marker.read_text())
        log(f"reusing the database loaded in {loaded['seconds']:.0f} s")
    else:
        if backend == "sqlite":
            for leftover in data_dir.glob("tanggap.sqlite3*"):
                leftover.unlink()
        result = loader.load(args.tickets, progress=not args.json)
        loaded = result.__dict__
        marker.write_text(json.dumps(loaded))
        log(f"loaded {result.n_tickets} tickets, {result.n_messages} messages in {result.seconds:.0f} s")

    rng = random.Random(args.seed)
    token = loader.api_token()
    from tanggap.tickets.models import Ticket

    visible = list(
        Ticket.objects.filter(team_id__in=loaded["bench_user_teams"]).values_list("id", flat=True)[:200_000]
    )
    order_numbers = [f"INV{2024 + t % 3}{t:08d}" for t in rng.sample(visible, min(50, len(visible)))]
    connection.close()

    port = _free_port()
    if args.server == "tanggap":
        command = [
            str(Path(sys.executable).parent / "tanggap"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "tanggap.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--workers",
            str(args.workers),
        ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if server.poll() is not None:
                raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.1)
        cookie = _sign_in(port, loader.BENCH_USER, loader.BENCH_PASSWORD)
        if not cookie:
            log("signing in failed: the UI endpoints will count as errors")
        session = {"Cookie": cookie} if cookie else {}
        bearer = {"Authorization": f"Bearer {token}"}

        def search_paths(n: int) -> list[str]:
            out = []
            for i in range(n):
                pool = (COMMON_WORDS, MID_WORDS, order_numbers, PHRASES)[i % 4]
                out.append("/search/?q=" + quote(rng.choice(pool)))
            return out

        endpoints: dict[str, tuple[dict[str, str], Any]] = {
            "queue": (session, lambda n: ["/"] * n),
            "ticket": (session, lambda n: [f"/tickets/{rng.choice(visible)}/" for _ in range(n)]),
            "search": (session, search_paths),
            "api_tickets": (bearer, lambda n: ["/api/tickets"] * n),
        }
        measured = {}
        for name, (headers, make_paths) in endpoints.items():
            _measure(port, headers, make_paths(args.warmup), args.concurrency, args.time_cap)
            cpu_before = _cpu_seconds(server.pid)
            measured[name] = _measure(
                port, headers, make_paths(args.requests), args.concurrency, args.time_cap
            )
            # Server CPU per request: unlike latency, barely moved by other work on the machine.
            count = max(1, measured[name]["count"])
            measured[name]["server_cpu_ms"] = round((_cpu_seconds(server.pid) - cpu_before) * 1000 / count, 2)
            log(f"{name}: {measured[name]}")
        peak = _peak_rss_mb(server.pid)
        worker = server.pid if args.workers == 1 else (_children(server.pid) or [server.pid])[0]
        rss_now = _rss_breakdown_mb(worker)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    output = {
        "n_tickets": loaded["n_tickets"],
        "n_messages": loaded["n_messages"],
        "n_search_entries": loaded["n_search_entries"],
        "backend": backend,
        "server": args.server,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "endpoints": measured,
        "peak_rss_mb": peak,
        "rss_now_mb": rss_now,
        "load_seconds": round(loaded["seconds"], 1),
        "reused": reuse,
        # Other work on the machine skews every figure: the 1-minute load average at the end.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "signed_in": bool(cookie),
    }
    print(json.dumps(output, indent=None if args.json else 2))
    if not args.reuse and not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
