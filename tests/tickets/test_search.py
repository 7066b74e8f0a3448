"""tickets.search.ticket_search on the database the suite runs on (SQLite FTS5 or PostgreSQL).

CI runs this file on both; every expectation is written once, so both engines must give the same
answers, and ``test_matches_the_reference_definition`` compares each engine with a plain-Python
reading of what a match is.
"""

from __future__ import annotations

import random

import pytest
from django.db import connection

from tanggap.core.text import query_terms
from tanggap.tickets import search
from tanggap.tickets.models import SearchEntry
from tanggap.tickets.search import ticket_search
from tanggap.tickets.services import note_add, reply_send, ticket_assign, ticket_merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_team(receive, admin, team):
    """Receive a message and put its ticket in ``team`` (the default), through the services."""

    def make(text: str, *, subject: str = "Halo", to_team=None, sender: str = "siti@example.com"):
        ticket = receive(text, subject=subject, sender=sender).ticket
        return ticket_assign(actor=admin, ticket=ticket, assignee=None, team=to_team or team)

    return make


def subjects(tickets):
    return [t.subject for t in tickets]


def test_finds_an_indonesian_word_by_another_inflection(in_team, agent):
    ticket = in_team("Kapan pesanan saya dikirim? Sudah seminggu.", subject="Tanya")
    in_team("Terima kasih atas bantuannya.", subject="Lain")
    assert ticket_search(user=agent, query="pengiriman") == [ticket]
    assert ticket_search(user=agent, query="KIRIM") == [ticket]


def test_finds_an_english_word_by_another_inflection(in_team, agent):
    ticket = in_team("The parcel was shipped but I still want my refunds.", subject="Parcel")
    assert ticket_search(user=agent, query="shipping refund") == [ticket]


def test_finds_by_subject(in_team, agent):
    ticket = in_team("Isi pesan biasa.", subject="Tagihan ganda bulan Mei")
    assert ticket_search(user=agent, query="tagihan") == [ticket]


def test_finds_agent_replies_and_notes(in_team, agent):
    ticket = in_team("Halo, tolong dibantu.", subject="Bantuan")
    reply_send(actor=agent, ticket=ticket, text="Kami sudah menukar voucher Anda.")
    note_add(actor=agent, ticket=ticket, text="Escalated to warehouse")
    assert ticket_search(user=agent, query="penukaran") == [ticket]
    assert ticket_search(user=agent, query="warehouse") == [ticket]


def test_every_word_is_required(in_team, agent):
    both = in_team("Paket rusak dan kurir terlambat.", subject="A")
    in_team("Paket rusak saat sampai.", subject="B")
    assert ticket_search(user=agent, query="rusak terlambat") == [both]


def test_words_may_match_different_messages_only_within_one_entry(in_team, agent, receive):
    # A match is per entry (subject or one message): the words of a query describe one message.
    ticket = in_team("Paket rusak.", subject="C")
    receive("Kurir terlambat.", ticket_id=ticket.pk)
    assert ticket_search(user=agent, query="rusak terlambat") == []
    assert ticket_search(user=agent, query="terlambat") == [ticket]


def test_newest_matching_activity_first(in_team, agent, receive):
    old = in_team("Voucher tidak bisa dipakai.", subject="Old")
    new = in_team("Voucher kedaluwarsa.", subject="New")
    assert ticket_search(user=agent, query="voucher") == [new, old]
    receive("Voucher masih belum bisa.", ticket_id=old.pk)
    assert ticket_search(user=agent, query="voucher") == [old, new]


def test_another_teams_ticket_is_never_returned(in_team, agent, make_team, admin):
    other = make_team("Billing")
    mine = in_team("Refund belum masuk.", subject="Mine")
    theirs = in_team("Refund belum masuk juga.", subject="Theirs", to_team=other)
    assert ticket_search(user=agent, query="refund") == [mine]
    assert ticket_search(user=admin, query="refund") == [theirs, mine]


def test_a_ticket_assigned_to_the_agent_is_visible_outside_their_teams(in_team, agent, make_team, admin):
    other = make_team("Logistics")
    theirs = in_team("Resi tidak ditemukan.", subject="Resi", to_team=other)
    assert ticket_search(user=agent, query="resi") == []
    agent.teams.add(other)
    ticket_assign(actor=admin, ticket=theirs, assignee=agent)
    agent.teams.remove(other)
    assert ticket_search(user=agent, query="resi") == [theirs]


def test_anonymous_and_inactive_users_see_nothing(in_team, agent):
    from django.contrib.auth.models import AnonymousUser

    in_team("Refund belum masuk.")
    assert ticket_search(user=AnonymousUser(), query="refund") == []
    agent.is_active = False
    assert ticket_search(user=agent, query="refund") == []


def test_merged_ticket_is_excluded_and_its_words_find_the_target(in_team, agent, admin):
    source = in_team("Nomor resi XK123 tidak aktif.", subject="Resi mati")
    target = in_team("Paket belum sampai.", subject="Belum sampai")
    ticket_merge(actor=admin, source=source, target=target)
    assert ticket_search(user=agent, query="xk123") == [target]
    assert ticket_search(user=agent, query="resi mati") == [target]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""refund',
        "*",
        "refund*",
        "NEAR(refund kirim)",
        "refund OR kirim",
        "refund AND NOT kirim",
        "stems:refund",
        "a:b",
        "'",
        "refund'); DROP TABLE tickets_ticket; --",
        "\\",
        "&|!",
        "refund & | ! <-> :*",
        "^refund",
        "(",
        ")",
        "{stems}: refund",
        "-refund",
        "+refund",
        "",
        "   ",
        "\x00",
    ],
)
def test_hostile_queries_do_not_error(in_team, agent, query):
    ticket = in_team("Refund kirim near drop table tickets_ticket stems.", subject="Refund")
    result = ticket_search(user=agent, query=query)
    # Operators and syntax are plain words or nothing: the ticket holds every word of the queries
    # that name "refund", and the others hold no word at all.
    assert result == ([ticket] if "refund" in query else [])


def test_limit_and_offset_page_through_results(in_team, agent):
    made = [in_team(f"Garansi produk nomor {i}.", subject=f"T{i}") for i in range(7)]
    newest_first = list(reversed(made))
    assert ticket_search(user=agent, query="garansi", limit=3) == newest_first[:3]
    assert ticket_search(user=agent, query="garansi", limit=3, offset=3) == newest_first[3:6]
    assert ticket_search(user=agent, query="garansi", limit=3, offset=6) == newest_first[6:]
    assert ticket_search(user=agent, query="garansi", limit=0) == []


def test_walks_past_invisible_matches_in_chunks(in_team, agent, make_team, monkeypatch):
    monkeypatch.setattr(search, "FIRST_CHUNK", 2)
    monkeypatch.setattr(search, "CHUNK_GROWTH", 2)
    other = make_team("Other")
    visible = in_team("Kupon diskon.", subject="Visible")
    for i in range(6):
        in_team(f"Kupon diskon {i}.", subject=f"Hidden {i}", to_team=other)
    # The first chunks hold only another team's tickets: the walk goes on until it finds one.
    assert ticket_search(user=agent, query="kupon", limit=1) == [visible]
    monkeypatch.setattr(search, "MAX_SCANNED", 4)
    assert ticket_search(user=agent, query="kupon", limit=1) == []


def test_query_count_is_bounded(in_team, agent, django_assert_max_num_queries):
    for i in range(30):
        in_team(f"Alamat pengiriman salah {i}.", subject=f"Alamat {i}")
    # One chunk: the team ids, the matches (on PostgreSQL the planner's estimate of how many match,
    # the newest id, then a first id window), the visibility check, the page of tickets.
    # Independent of how many tickets match.
    with django_assert_max_num_queries(6 if connection.vendor == "postgresql" else 4):
        assert len(ticket_search(user=agent, query="alamat", limit=25)) == 25


def _words(text: str) -> list[str]:
    return text.split()


VOCABULARY = _words(
    "pesanan dikirim pengiriman kirim bayar pembayaran refund refunds shipped shipping barang rusak "
    "kurir terlambat voucher diskon garansi invoice tagihan akun login password alamat cancel cancelled "
    "ukuran warna tukar menukar penukaran kembali dikembalikan paket resi lacak tracking delivered"
)


@pytest.mark.parametrize("plan", ["chosen", "windows"])
def test_matches_the_reference_definition(receive, admin, make_team, make_agent, monkeypatch, plan):
    """Both engines must agree with the plain reading: a ticket matches when one of its entries
    holds, for every query word, one of the word's stems; newest matching entry first.
    On PostgreSQL a small table always looks rare to the planner; ``windows`` forces the other plan."""
    if plan == "windows":
        if connection.vendor != "postgresql":
            pytest.skip("the id windows are PostgreSQL's plan")
        monkeypatch.setattr(search, "PG_RARE_MATCHES", -1)
    rng = random.Random(20261122)
    teams = [make_team("North"), make_team("South")]
    viewer = make_agent("viewer", teams=[teams[0]])
    for i in range(40):
        words = rng.sample(VOCABULARY, 4)
        ticket = receive(
            " ".join(words), subject=" ".join(rng.sample(VOCABULARY, 2)), sender=f"c{i}@x.io"
        ).ticket
        ticket_assign(actor=admin, ticket=ticket, assignee=None, team=teams[i % 2])
        if i % 3 == 0:
            receive(" ".join(rng.sample(VOCABULARY, 3)), ticket_id=ticket.pk, sender=f"c{i}@x.io")
    entries = list(SearchEntry.objects.select_related("ticket").order_by("-id"))
    queries = [*VOCABULARY, "kirim barang", "refund shipping", "pembayaran invoice", "tukar resi", "zzz"]
    for user in (admin, viewer):
        for query in queries:
            terms = query_terms(query)
            expected: list[int] = []
            for entry in entries:
                words = set(entry.stems.split())
                ticket = entry.ticket
                if not all(words & set(alts) for alts in terms) or ticket.pk in expected:
                    continue
                if user is viewer and ticket.team_id != teams[0].pk:
                    continue
                expected.append(ticket.pk)
            got = [t.pk for t in ticket_search(user=user, query=query, limit=100)]
            assert got == expected, (user.username, query)
