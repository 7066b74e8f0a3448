"""The dashboard pages: figures with links to their tickets, the queue showing them, CSV, access."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.analytics.conftest import wib

pytestmark = pytest.mark.django_db
RANGE = "start=2026-11-16&end=2026-11-22"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def figures(make_ticket, sweep, agent, colleague, team, policy):
    made = [
        make_ticket(created=wib(16, 10), agent=agent, team=team, first=timedelta(minutes=30)),
        make_ticket(created=wib(17, 10), agent=agent, team=team, first=timedelta(hours=2)),
        make_ticket(created=wib(18, 10), agent=colleague, team=team, first=timedelta(minutes=10)),
    ]
    sweep()
    return made


def test_the_dashboard_shows_the_figures_with_links_and_chart_data(figures, admin, agent, colleague):
    client = login(admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/reports/?{RANGE}")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="report-daily"' in page and "uPlot.iife.min.js" in page and "reports.js" in page
    assert "30 mnt" in page  # the median first response of all three (10, 30 min, 2 h), in Indonesian
    assert "/reports/tickets/?" in page and 'href="/reports/"' in page  # figures link; nav link
    assert "colleague" in page  # the per-agent table, for an admin
    # A fixed number of statements whatever the number of tickets (two per table, labels, choices).
    assert len(queries) < 40


def test_an_agent_sees_their_own_dashboard_without_other_agents(figures, agent):
    page = login(agent).get(f"/reports/?{RANGE}").content.decode()
    assert "colleague" not in page
    assert ">2</a>" in page  # two tickets of their own


def test_an_agent_asking_for_a_colleague_gets_an_error_and_their_own_figures(figures, agent, colleague):
    response = login(agent).get(f"/reports/?{RANGE}&agent={colleague.pk}", follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert response.context["filters"].agent_id == agent.pk


def test_a_figure_opens_the_queue_with_its_tickets(figures, admin, agent):
    client = login(admin)
    response = client.get(f"/reports/tickets/?{RANGE}&dimension=agent&key={agent.pk}&outcome=breached")
    assert response.status_code == 302
    target = urlparse(response["Location"])
    assert target.path == "/" and parse_qs(target.query)["ids"] == [str(figures[1].pk)]
    queue = client.get(response["Location"]).content.decode()
    assert f"/tickets/{figures[1].pk}/" in queue
    assert f"/tickets/{figures[0].pk}/" not in queue and f"/tickets/{figures[2].pk}/" not in queue


def test_a_figure_with_no_tickets_goes_back_to_the_dashboard(figures, admin):
    response = login(admin).get(f"/reports/tickets/?{RANGE}&dimension=day&key=2026-11-21")
    assert response.status_code == 302 and response["Location"].startswith("/reports/?")


def test_the_queue_ignores_what_is_not_a_ticket_number_in_ids(figures, admin):
    page = login(admin).get(f"/?status=any&ids={figures[0].pk},x,-3,").content.decode()
    assert f"/tickets/{figures[0].pk}/" in page and f"/tickets/{figures[1].pk}/" not in page


def test_csv_export(figures, admin, agent):
    response = login(admin).get(f"/reports/export.csv?{RANGE}&dimension=agent")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    mine = next(r for r in rows if r["key"] == str(agent.pk))
    assert mine["tickets"] == "2" and mine["first_response_within_target"] == "1"
    assert mine["first_response_within_target_percent"] == "50.0"


def test_an_agent_cannot_export_every_agent(figures, agent):
    assert login(agent).get(f"/reports/export.csv?{RANGE}&dimension=agent").status_code == 404
    rows = list(csv.reader(io.StringIO(login(agent).get(f"/reports/export.csv?{RANGE}").content.decode())))
    assert len(rows) == 1 + 2  # header and their two days


def test_the_dashboard_needs_a_sign_in():
    response = Client().get("/reports/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_dates_out_of_range_are_an_error_not_a_crash(admin):
    for query in ("end=0001-01-02", "start=9999-12-01&end=9999-12-31"):
        response = login(admin).get(f"/reports/?{query}", follow=True)
        assert response.status_code == 200
        assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert login(admin).get("/reports/tickets/?end=0001-01-02").status_code == 302
    assert login(admin).get("/reports/export.csv?end=0001-01-02").status_code == 302


def test_a_period_without_tickets_shows_dashes(figures, admin):
    response = login(admin).get("/reports/?start=2020-01-01&end=2020-01-31")
    assert response.status_code == 200
    assert response.context["total"].tickets == 0
    assert 'data-figure="first-response-median">—</a>' in response.content.decode()
