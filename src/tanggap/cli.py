"""The ``tanggap`` command: run the embedded default, the web app, a worker, demo data, admin tasks.

Entry points stay thin: each command parses its options, calls one service or helper, and prints.
Django is set up only by the commands that need it, so ``tanggap --version`` and ``--help`` are quick.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import click

from tanggap import __version__
from tanggap.config import ConfigError

if TYPE_CHECKING:
    from huey.consumer import Consumer

    from tanggap.demo.generate import DemoResult

EX_TEMPFAIL = 75  # sysexits.h: try again later (a periodic job skipped because another run holds its lock)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tanggap.settings")
    import django

    try:
        django.setup()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _progress(total: int, desc: str, unit: str) -> Any:
    """A tqdm bar on stderr, silent when stderr is not a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=None, leave=False, dynamic_ncols=True)


def _box(lines: Sequence[str]) -> str:
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line.ljust(width)} |" for line in lines), rule])


# ---------------------------------------------------------------- shared steps


def _migrate() -> int:
    """Apply unapplied migrations with a progress bar. Returns how many were applied."""
    from django.core.management import call_command
    from django.core.management.commands.migrate import Command as MigrateCommand
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return 0
    with _progress(len(plan), "Migrating", "migration") as bar:

        class Migrate(MigrateCommand):
            def migration_progress_callback(
                self, action: str, migration: Any = None, fake: bool = False
            ) -> None:
                if action in ("apply_success", "unapply_success"):
                    bar.update(1)

        call_command(Migrate(), interactive=False, verbosity=0)
    return len(plan)


def _load_demo(*, seed: int, tickets: int, customers: int, force: bool) -> DemoResult:
    from tanggap.demo.generate import generate

    with _progress(tickets, "Demo data", "ticket") as bar:
        return generate(seed=seed, tickets=tickets, customers=customers, force=force, progress=bar.update)


def _signin_lines(result: DemoResult) -> list[str]:
    if result.admin_password is None:
        return [f"Demo sign-in: user {result.admin_username!r} existed already; its password is unchanged."]
    return [
        f"Demo sign-in: user {result.admin_username}, password {result.admin_password}",
        f"(demo data only; every demo agent uses the password {result.agent_password})",
    ]


def _prepare_worker() -> None:
    """Register every task a worker may receive: the ``django.tasks`` shim and each app's ``tasks``."""
    import huey.contrib.djhuey.tasks_backend  # noqa: F401  (registers the djtasks.run shim task)
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("tasks")


def _consumer_options(workers: int | None, scheduler: bool) -> dict[str, Any]:
    from django.conf import settings
    from huey.consumer_options import ConsumerConfig

    options: dict[str, Any] = (
        dict(settings.HUEY.get("consumer", {})) if isinstance(settings.HUEY, dict) else {}
    )
    if workers is not None:
        options["workers"] = workers
    options["periodic"] = scheduler
    options.setdefault("shutdown_timeout", 30)
    config = ConsumerConfig(**options)
    config.validate()
    return dict(config.values)


def _huey_is_immediate() -> bool:
    from huey.contrib.djhuey import HUEY

    return bool(HUEY.immediate)


@contextmanager
def _embedded_worker(workers: int, scheduler: bool) -> Iterator[Consumer | None]:
    """A Huey consumer on threads of this process, stopped (gracefully) when the block ends."""
    if _huey_is_immediate():
        yield None  # tasks run inline: nothing to consume
        return
    from huey.consumer import Consumer, ConsumerStopped
    from huey.contrib.djhuey import HUEY

    class EmbeddedConsumer(Consumer):
        # The web server owns the process's signals; it stops us when it stops.
        def _set_signal_handlers(self) -> None:
            pass

    _prepare_worker()
    options = _consumer_options(workers, scheduler)
    options["worker_type"] = "thread"
    consumer = EmbeddedConsumer(HUEY, **options)
    consumer.start()

    def supervise() -> None:  # the consumer's main loop: worker health checks, restarts
        health_check_at = time.monotonic()
        while True:
            try:
                health_check_at = consumer.loop(health_check_at)
            except ConsumerStopped:
                return

    supervisor = threading.Thread(target=supervise, name="huey-consumer", daemon=True)
    supervisor.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        supervisor.join(timeout=5)
        HUEY.notify_interrupted_tasks()


class _Stop(Exception):
    """SIGTERM after the web server has shut down."""


def _raise_stop(signum: int, frame: Any) -> None:
    raise _Stop


def _uvicorn_config(host: str, port: int, app: Any) -> Any:
    import uvicorn
    from django.conf import settings

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="off",  # Django's ASGI handler does not speak the lifespan protocol
        log_level=settings.CONFIG.log_level.lower(),
        server_header=False,
    )


# ---------------------------------------------------------------- commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="tanggap")
def main() -> None:
    """Tanggap: a helpdesk with a CRM view of every customer, in Indonesian and English."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.option("--demo-data", is_flag=True, help="Load the generated demo when the database has no tickets.")
def run(host: str, port: int, demo_data: bool) -> None:
    """Migrate, then serve the web app with a background worker in this process (the embedded default)."""
    import signal

    _django()
    import uvicorn
    from django.conf import settings

    from tanggap.tickets.models import Ticket

    applied = _migrate()
    if applied:
        click.echo(f"Applied {applied} migrations.")
    lines = [f"Tanggap is running at http://{_url_host(host)}:{port}/"]
    if demo_data:
        if Ticket.objects.exists():
            click.echo("The database already has tickets: demo data not loaded.")
        else:
            started = time.monotonic()
            result = _load_demo(seed=1, tickets=1000, customers=200, force=False)
            click.echo(f"Loaded the demo: {result.tickets} tickets in {time.monotonic() - started:.0f} s.")
            lines += _signin_lines(result)
    in_process = settings.CONFIG.worker_in_process
    lines.append(
        "Background worker: in this process"
        if in_process
        else "Background worker: not here (run `tanggap worker`)"
    )
    lines.append("Press Ctrl-C to stop.")

    from tanggap.asgi import application

    server = uvicorn.Server(_uvicorn_config(host, port, app=application))
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        with _embedded_worker(workers=2, scheduler=True) if in_process else _nothing():
            click.echo(_box(lines))
            # uvicorn shuts down on SIGINT/SIGTERM, then raises the signal again: that ends us cleanly.
            with suppress(KeyboardInterrupt, _Stop):
                server.run()
            click.echo("Stopping…")
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("Stopped.")


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):  # noqa: S104 (only for printing the URL)
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Web processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve only the web app (no background worker): run several behind a load balancer."""
    _django()
    import uvicorn
    from django.conf import settings

    # With several workers each process imports the app itself and the supervisor restarts those that die.
    uvicorn.run(
        "tanggap.asgi:application",
        host=host,
        port=port,
        workers=workers,
        lifespan="off",
        log_level=settings.CONFIG.log_level.lower(),
        server_header=False,
    )


@main.command()
@click.option(
    "--workers", type=click.IntRange(1, 256), default=None, help="Worker threads (default: settings, 2)."
)
@click.option(
    "--no-scheduler", is_flag=True, help="Do not run periodic jobs here (exactly one worker should)."
)
@click.option("-v", "--verbose", is_flag=True, help="Log every task.")
def worker(workers: int | None, no_scheduler: bool, verbose: bool) -> None:
    """Run a background worker (a Huey consumer) until Ctrl-C."""
    _django()
    if _huey_is_immediate():
        raise click.ClickException("TANGGAP_QUEUE=immediate runs tasks inline; there is no queue to consume.")
    from huey.contrib.djhuey import HUEY

    _prepare_worker()
    options = _consumer_options(workers, scheduler=not no_scheduler)
    logger = logging.getLogger("huey")
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    click.echo(
        f"Worker: {options['workers']} {options['worker_type']}s, scheduler "
        f"{'off' if no_scheduler else 'on'}. Press Ctrl-C to stop."
    )
    HUEY.create_consumer(**options).run()


@main.command("demo-data")
@click.option("--force", is_flag=True, help="Add the demo even though the database has tickets.")
@click.option("--seed", default=1, show_default=True, type=int, help="The same seed gives the same demo.")
@click.option("--tickets", default=1000, show_default=True, type=click.IntRange(0, 100_000))
@click.option("--customers", default=200, show_default=True, type=click.IntRange(1, 100_000))
def demo_data(force: bool, seed: int, tickets: int, customers: int) -> None:
    """Load a generated demo: 3 teams, 8 agents, customers and tickets in Indonesian and English."""
    _django()
    from tanggap.demo.generate import DemoRefused

    _migrate()
    started = time.monotonic()
    try:
        result = _load_demo(seed=seed, tickets=tickets, customers=customers, force=force)
    except DemoRefused as exc:
        raise click.ClickException(f"{exc}; add --force to load the demo anyway.") from exc
    elapsed = time.monotonic() - started
    click.echo(
        f"Loaded the demo in {elapsed:.1f} s: {result.teams} teams, {result.agents} agents, "
        f"{result.customers} customers, {result.tickets} tickets."
    )
    click.echo(_box(_signin_lines(result)))


@main.command()
@click.option("--username", default="admin", show_default=True, help="User name to sign in with.")
@click.option("--email", default="", help="E-mail address.")
@click.option("--name", "display_name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
def createadmin(username: str, email: str, display_name: str, password_stdin: bool) -> None:
    """Create an admin agent (asks for the password twice)."""
    _django()
    from tanggap.accounts.models import Role
    from tanggap.accounts.services import agent_create
    from tanggap.core.errors import ApplicationError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on stdin")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = agent_create(
            actor=None,
            username=username,
            password=password,
            email=email,
            display_name=display_name,
            role=Role.ADMIN,
        )
    except ApplicationError as exc:
        raise click.ClickException(_error_text(exc)) from exc
    click.echo(f"Created admin {user.username!r}.")


def _error_text(exc: Any) -> str:
    field = exc.details.get("field")
    return f"{field}: {exc.message}" if field else str(exc.message)


@main.group()
def jobs() -> None:
    """Background jobs: list, run by hand, status of the outboxes, ping a worker."""


@jobs.command("list")
def jobs_list() -> None:
    """The periodic jobs."""
    _django()
    from tanggap.core import tasks

    for job in tasks.jobs():
        click.echo(f"{job.name:<16} {job.description}")


@jobs.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run periodic job NAME now, in this process, under its lock."""
    _django()
    from tanggap.core import tasks

    _prepare_worker()
    try:
        result = tasks.run_job(name)
    except KeyError:
        known = ", ".join(job.name for job in tasks.jobs())
        raise click.ClickException(f"no periodic job {name!r} (known: {known})") from None
    if result is tasks.SKIPPED:
        click.echo(f"{name}: skipped, another run holds its lock.", err=True)
        sys.exit(EX_TEMPFAIL)
    click.echo(json.dumps(result, default=str, sort_keys=True))


@jobs.command("status")
def jobs_status() -> None:
    """Outbox rows per state, the task queue, and the periodic jobs' locks."""
    _django()
    from huey.contrib.djhuey import HUEY

    from tanggap.core import outbox, tasks

    _prepare_worker()
    rows = outbox.counts()
    header = ("outbox", "due", "waiting", "in progress", "stuck", "failed", "done")
    table = [header] + [
        (r.label, str(r.due), str(r.waiting), str(r.in_progress), str(r.stuck), str(r.failed), str(r.done))
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        click.echo(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
            )
        )
    if not rows:
        click.echo("(no outboxes registered)")
    click.echo("")
    click.echo(f"queue: {HUEY.pending_count()} waiting, {HUEY.scheduled_count()} scheduled")
    for job in tasks.jobs():
        held = tasks.JobLock(job.name, job.lock_ttl).is_held()
        click.echo(f"job {job.name}: {'running (locked)' if held else 'idle'}")


@jobs.command("ping")
@click.option("--timeout", default=15.0, show_default=True, type=click.FloatRange(0.1, 600), help="Seconds.")
def jobs_ping(timeout: float) -> None:
    """Enqueue a task and wait for a worker to run it: checks that a worker is consuming the queue."""
    _django()
    from django.tasks import TaskResultStatus
    from django.tasks.exceptions import TaskResultDoesNotExist

    from tanggap.core.tasks import worker_ping

    token = uuid.uuid4().hex
    result = worker_ping.enqueue(token)
    deadline = time.monotonic() + timeout
    while True:
        if result.status == TaskResultStatus.SUCCESSFUL and result.return_value.get("token") == token:
            click.echo(f"pong from {result.return_value['worker']} (task {result.id})")
            return
        if result.status == TaskResultStatus.FAILED:
            raise click.ClickException(f"the ping task failed (task {result.id})")
        if time.monotonic() > deadline:
            raise click.ClickException(f"no worker answered within {timeout:g} s (task {result.id})")
        time.sleep(0.1)
        with suppress(TaskResultDoesNotExist):  # not stored yet
            result.refresh()


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Django's management commands, e.g. `tanggap manage migrate` (`tanggap manage help` lists them)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tanggap manage", *args])


def _register_channel_commands() -> None:
    # Each channel keeps its commands beside its code; they set Django up themselves when they need it.
    from tanggap.analytics.cli import analytics
    from tanggap.assist.cli import assist
    from tanggap.automations.ack_cli import ack
    from tanggap.inboxes.canary_cli import canary
    from tanggap.inboxes.imap_cli import inbox_poll
    from tanggap.inboxes.import_cli import import_mail, inbox
    from tanggap.inboxes.mail_cli import mail
    from tanggap.inboxes.smtp_cli import smtp
    from tanggap.sla.cli import sla

    main.add_command(sla)
    main.add_command(analytics)
    main.add_command(mail)
    inbox.add_command(inbox_poll)
    main.add_command(inbox)
    main.add_command(import_mail)
    main.add_command(smtp)
    main.add_command(canary)
    main.add_command(ack)
    main.add_command(assist)


_register_channel_commands()
