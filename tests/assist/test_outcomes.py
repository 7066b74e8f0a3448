"""What agents did with the coach's findings on the replies they sent: recorded when a reply goes out
with the coach on the page, counted per rule in the report (leads: everyone; agents: their own), and
exported from the command line in the answer set's shape."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.urls import reverse
from django.utils import timezone

from tanggap import cli
from tanggap.accounts.services import api_token_create
from tanggap.assist.coach import finding_key
from tanggap.assist.models import CoachOutcome
from tanggap.assist.outcomes import MAX_KEYS, clean_keys, coach_outcomes_record
from tanggap.assist.selectors import coach_outcomes_report
from tanggap.tickets.models import Message, MessageKind
from tanggap.tickets.services import reply_send
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db(transaction=True)

QUESTIONS = "Tolong batalkan pesanan saya. Kapan uang saya dikembalikan? Apakah ongkirnya juga kembali?"
REFUND = "thoroughness|Kapan uang saya dikembalikan?"
SHIPPING = "thoroughness|Apakah ongkirnya juga kembali?"


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _send(client, ticket, text, **coach):
    form = {"text": text, "status": "pending", "coach_situation": "auto", **coach}
    return client.post(reverse("web:ticket_reply", args=[ticket.pk]), form)


def _outcomes():
    return sorted((o.rule, o.quote, o.outcome) for o in CoachOutcome.objects.all())


def test_a_sent_reply_records_each_finding_as_set_aside_or_sent(client, agent, receive, team, english):
    ticket = receive(QUESTIONS).ticket
    ticket.team = team
    ticket.save(update_fields=["team"])
    client.force_login(agent)
    response = _send(client, ticket, "Halo Siti, pesanan Anda sudah kami batalkan.", coach_dismissed=REFUND)
    assert response.status_code == 302
    assert _outcomes() == [
        ("thoroughness", "Apakah ongkirnya juga kembali?", "sent"),
        ("thoroughness", "Kapan uang saya dikembalikan?", "set_aside"),
    ]
    outcome = CoachOutcome.objects.first()
    reply = Message.objects.get(ticket=ticket, kind=MessageKind.REPLY)
    assert (outcome.message_id, outcome.agent_id, outcome.team_id) == (reply.pk, agent.pk, team.pk)


def test_a_suggestion_used_is_recorded_and_its_finding_is_not_counted_again(client, admin, ticket, english):
    Message.objects.filter(ticket=ticket).update(created_at=timezone.now() - timedelta(hours=3))
    client.force_login(admin)
    used = "thank_vs_sorry|maaf atas keterlambatannya"
    _send(
        client,
        ticket,
        "Halo Siti, terima kasih atas kesabaran Anda. Paket Anda sudah dikirim.",
        coach_used=used,
    )
    assert _outcomes() == [("thank_vs_sorry", "maaf atas keterlambatannya", "used")]


def test_nothing_is_recorded_when_the_coach_was_not_on_the_page(client, admin, receive, english):
    ticket = receive(QUESTIONS).ticket
    client.force_login(admin)
    client.post(reverse("web:ticket_reply", args=[ticket.pk]), {"text": "Halo Siti.", "status": "pending"})
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()
    assert not CoachOutcome.objects.exists()


def test_keys_from_the_form_are_bounded_and_of_known_rules() -> None:
    assert clean_keys(["thoroughness|a", "thoroughness|a", "nonsense|b", "blame|" + "x" * 900]) == [
        "thoroughness|a",
        ("blame|" + "x" * 900)[:500],
    ]
    assert len(clean_keys(f"blame|{n}" for n in range(500))) == MAX_KEYS
    assert finding_key("thoroughness", " Kapan\n uang  saya? ") == "thoroughness|Kapan uang saya?"


def test_only_the_author_of_a_reply_records_its_outcomes(admin, agent, receive):
    ticket = receive(QUESTIONS).ticket
    reply = reply_send(actor=admin, ticket=ticket, text="Halo Siti.")
    finding = type("F", (), {"rule": "blame", "code": "blame.argues", "quote": "as I said"})()
    assert coach_outcomes_record(actor=agent, message=reply, findings=[finding]) == []
    assert len(coach_outcomes_record(actor=admin, message=reply, findings=[finding])) == 1


def test_the_report_counts_per_rule_and_an_agent_sees_only_their_own(
    client, admin, agent, make_agent, receive, english
):
    ticket = receive(QUESTIONS).ticket
    client.force_login(admin)
    _send(client, ticket, "Halo Siti, pesanan Anda sudah kami batalkan.", coach_dismissed=[REFUND, SHIPPING])
    other = receive("Paketnya sudah sampai, terima kasih.", sender="budi@example.com").ticket
    _send(client, other, "Sama-sama, Pak Budi.")  # a reply with no finding is no reply with findings

    today = timezone.localdate()
    report = coach_outcomes_report(user=admin, start=today, end=today, rules=("thoroughness", "blame"))
    rows = {row.rule: row for row in report.rules}
    assert (rows["thoroughness"].set_aside, rows["thoroughness"].sent, rows["thoroughness"].shown) == (
        2,
        0,
        2,
    )
    assert rows["thoroughness"].set_aside_share == 1.0 and rows["blame"].set_aside_share is None
    assert report.replies == 1
    kinds = {row.code: row.set_aside for row in report.thoroughness if row.shown}
    assert kinds == {"thoroughness.no_time": 1, "thoroughness.unanswered": 1}
    assert {o.quote for o in report.set_aside_questions} == {
        "Kapan uang saya dikembalikan?",
        "Apakah ongkirnya juga kembali?",
    }
    mine = coach_outcomes_report(user=agent, start=today, end=today, rules=("thoroughness",))
    assert mine.agent_id == agent.pk and mine.rules[0].shown == 0 and not mine.set_aside_questions
    assert mine.thoroughness == []  # no thoroughness finding, no rows of its kinds

    body = client.get(reverse("web:reports_coach")).content.decode()
    assert 'data-rule="thoroughness"' in body and "Kapan uang saya dikembalikan?" in body
    assert "100 %" in body
    # The same findings by what the draft lacked.
    kinds = body.split("by what the draft lacked")[1].split("</table>")[0]
    assert 'data-code="thoroughness.no_time"' in kinds and "“When” with no time stated" in kinds
    client.force_login(agent)
    body = client.get(reverse("web:reports_coach")).content.decode()
    assert "Kapan uang saya dikembalikan?" not in body and "None in this period." in body


def test_the_report_refuses_a_reversed_range_with_a_message(client, admin, english):
    client.force_login(admin)
    response = client.get(reverse("web:reports_coach"), {"start": "2026-05-10", "end": "2026-05-01"})
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert client.get(reverse("web:reports_coach"), {"team": "999999"}).status_code == 404


def test_the_command_line_prints_the_figures_and_exports_the_questions(client, admin, receive, tmp_path):
    ticket = receive(QUESTIONS).ticket
    client.force_login(admin)
    _send(client, ticket, "Halo Siti, pesanan Anda sudah kami batalkan.", coach_dismissed=REFUND)
    out = tmp_path / "questions.jsonl"
    result = CliRunner().invoke(cli.main, ["assist", "outcomes", "--json", "--export-questions", str(out)])
    assert result.exit_code == 0, result.output
    figures = {(row["rule"], row.get("code")): row for row in map(json.loads, result.stdout.splitlines())}
    assert (figures["thoroughness", None]["set_aside"], figures["thoroughness", None]["sent"]) == (1, 1)
    # The same findings by what the draft lacked: no time for the "when", and words for the other.
    assert (figures["thoroughness", "thoroughness.no_time"]["set_aside"]) == 1
    assert (figures["thoroughness", "thoroughness.unanswered"]["sent"]) == 1
    assert sum(row["sent"] + row["set_aside"] for key, row in figures.items() if key[1]) == 2
    (row,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert row["customer"] == QUESTIONS
    assert row["reply"] == "Halo Siti, pesanan Anda sudah kami batalkan."
    assert sorted((q["text"], q["answered"], q["finding"]) for q in row["questions"]) == [
        ("Apakah ongkirnya juga kembali?", False, "thoroughness.unanswered"),
        ("Kapan uang saya dikembalikan?", True, "thoroughness.no_time"),
    ]
    assert row["lang"] == "id" and row["split"] == "field"
    # The export judges the rule on the team's own mail: one question flagged that the agent set aside.
    judged = CliRunner().invoke(cli.main, ["assist", "eval", "--answers", str(out), "--json"])
    assert judged.exit_code == 0, judged.output
    every = [json.loads(line) for line in judged.stdout.splitlines()][-1]
    assert every["split"] == "all/both" and every["thoroughness"]["tp"] == every["thoroughness"]["fp"] == 1
    plain = CliRunner().invoke(cli.main, ["assist", "outcomes"])
    assert "thoroughness" in plain.output and "50%" in plain.output


def test_the_api_gives_the_same_report(client, admin, agent, receive):
    ticket = receive(QUESTIONS).ticket
    client.force_login(admin)
    _send(client, ticket, "Halo Siti, pesanan Anda sudah kami batalkan.", coach_dismissed=REFUND)

    def get(user, **params):
        _, raw = api_token_create(actor=user, user=user, name="tests")
        return ApiClient(raw).get("/api/reports/coach", params or None)

    body = get(admin).json()
    rules = {row["rule"]: row for row in body["rules"]}
    assert (rules["thoroughness"]["set_aside"], rules["thoroughness"]["sent"]) == (1, 1)
    assert rules["thoroughness"]["set_aside_share"] == 0.5 and body["agent_id"] is None
    assert [q["question"] for q in body["set_aside_questions"]] == ["Kapan uang saya dikembalikan?"]
    kinds = {row["code"]: row for row in body["thoroughness"]}
    assert kinds["thoroughness.no_time"]["set_aside"] == 1 and kinds["thoroughness.no_time"]["sent"] == 0
    assert sum(row["set_aside"] + row["sent"] for row in kinds.values()) == 2
    own = get(agent).json()
    assert own["agent_id"] == agent.pk and own["replies"] == 0 and not own["set_aside_questions"]
    assert get(agent, start="2026-05-10", end="2026-05-01").status_code == 422
