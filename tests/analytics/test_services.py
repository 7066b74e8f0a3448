"""Stored figures: worked out by the clock sweep's hook, removed with their ticket, rebuilt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tanggap.analytics.models import TicketFigure
from tanggap.analytics.services import figures_rebuild
from tanggap.analytics.stats import bucket_of
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import ticket_merge
from tests.analytics.conftest import wib

pytestmark = pytest.mark.django_db


def test_the_sweep_stores_wall_clock_times_and_whether_targets_were_met(
    make_ticket, sweep, agent, team, policy
):
    on_time = make_ticket(
        created=wib(16, 10), agent=agent, team=team, first=timedelta(minutes=30), solved=timedelta(hours=5)
    )
    late = make_ticket(created=wib(16, 11), agent=agent, team=team, first=timedelta(hours=3))
    waiting = make_ticket(created=wib(16, 12), agent=agent, team=team)
    assert not TicketFigure.objects.exists()  # nothing until the sweep works them out

    sweep()

    fig = TicketFigure.objects.get(ticket=on_time)
    assert fig.first_response_seconds == 1800 and fig.first_response_bucket == bucket_of(1800)
    assert fig.first_response_met is True
    assert fig.resolution_seconds == 5 * 3600 and fig.resolution_met is True
    assert (fig.agent_id, fig.team_id, fig.channel) == (agent.pk, team.pk, "email")
    assert str(fig.day) == "2026-11-16" and not fig.weekend and fig.in_hours

    fig = TicketFigure.objects.get(ticket=late)
    assert fig.first_response_seconds == 3 * 3600 and fig.first_response_met is False
    # Not solved, and past its resolution target already: a miss before it is solved.
    assert fig.resolution_seconds is None and fig.resolution_met is False

    fig = TicketFigure.objects.get(ticket=waiting)
    assert fig.first_response_seconds is None and fig.first_response_bucket is None
    assert fig.first_response_met is False  # ran out unanswered: on the dashboard as a miss


def test_no_policy_means_no_target_not_a_miss(make_ticket, sweep, agent, team):
    ticket = make_ticket(created=wib(16, 10), agent=agent, team=team, first=timedelta(hours=9))
    sweep()
    fig = TicketFigure.objects.get(ticket=ticket)
    assert fig.first_response_seconds == 9 * 3600 and fig.first_response_met is None


def test_weekend_and_evening_are_told_apart_in_the_local_zone(make_ticket, sweep, agent, team):
    saturday = make_ticket(created=wib(21, 10), agent=agent, team=team)
    evening = make_ticket(created=wib(17, 20), agent=agent, team=team)
    # 23:30 WIB on Sunday is 16:30 UTC: still Sunday locally, whatever UTC says.
    late_sunday = make_ticket(created=wib(22, 23, 30), agent=agent, team=team)
    sweep()
    figures = {f.ticket_id: f for f in TicketFigure.objects.all()}
    assert figures[saturday.pk].weekend and not figures[saturday.pk].in_hours
    assert not figures[evening.pk].weekend and not figures[evening.pk].in_hours
    assert str(figures[late_sunday.pk].day) == "2026-11-22" and figures[late_sunday.pk].weekend


def test_a_later_change_is_picked_up_by_the_next_sweep(make_ticket, sweep, agent, colleague, team, policy):
    from tanggap.tickets.services import ticket_assign

    ticket = make_ticket(created=wib(16, 10), agent=agent, team=team)
    sweep()
    assert TicketFigure.objects.get(ticket=ticket).agent_id == agent.pk
    ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    sweep()
    assert TicketFigure.objects.get(ticket=ticket).agent_id == colleague.pk


def test_a_deleted_ticket_leaves_no_figure_behind(make_ticket, sweep, agent, team):
    kept = make_ticket(created=wib(16, 10), agent=agent, team=team, first=timedelta(minutes=5))
    probe = make_ticket(created=wib(16, 11), agent=agent, team=team, first=timedelta(minutes=5))
    sweep()
    assert TicketFigure.objects.count() == 2
    Ticket.objects.filter(pk=probe.pk).delete()
    assert list(TicketFigure.objects.values_list("ticket_id", flat=True)) == [kept.pk]


def test_a_merged_ticket_is_counted_once(make_ticket, sweep, agent, team):
    source = make_ticket(created=wib(16, 10), agent=agent, team=team)
    target = make_ticket(created=wib(16, 11), agent=agent, team=team)
    sweep()
    ticket_merge(actor=agent, source=source, target=target)
    sweep()
    assert list(TicketFigure.objects.values_list("ticket_id", flat=True)) == [target.pk]


def test_rebuild_works_out_every_ticket_from_scratch(make_ticket, sweep, agent, team, policy):
    tickets = [
        make_ticket(created=wib(16, 9 + i), agent=agent, team=team, first=timedelta(minutes=10 * (i + 1)))
        for i in range(5)
    ]
    sweep()
    before = {f.ticket_id: f.first_response_seconds for f in TicketFigure.objects.all()}
    TicketFigure.objects.all().delete()
    seen = []
    assert figures_rebuild(batch=2, progress=seen.append) == 5
    assert seen == [2, 2, 1]
    assert {f.ticket_id: f.first_response_seconds for f in TicketFigure.objects.all()} == before
    assert set(before) == {t.pk for t in tickets}


def test_the_rebuild_command_shows_what_it_wrote(make_ticket, sweep, agent, team):
    from click.testing import CliRunner

    from tanggap.cli import main

    make_ticket(created=wib(16, 10), agent=agent, team=team)
    make_ticket(created=wib(16, 11), agent=agent, team=team)
    result = CliRunner().invoke(main, ["analytics", "rebuild", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "2 tickets' figures written." in result.output
    assert TicketFigure.objects.count() == 2
