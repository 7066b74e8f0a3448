"""web_tags: pickers' options, relative times."""

from __future__ import annotations

from datetime import timedelta

from django.template import Context, Template
from django.utils import timezone, translation

from tanggap.web.templatetags.web_tags import options, when


def test_options_escape_and_mark_the_chosen_one():
    html = options([(1, "Budi <b>"), (2, 'Siti "S"'), ("x&y", "Amp")], 2)
    assert html == (
        '<option value="1">Budi &lt;b&gt;</option>'
        '<option value="2" selected>Siti &quot;S&quot;</option>'
        '<option value="x&amp;y">Amp</option>'
    )
    assert "selected" not in options([(1, "a")], None)
    assert 'value="" selected' in options([("", "none"), (1, "a")], "")


def test_options_in_a_template():
    rendered = Template("{% load web_tags %}<select>{% options choices chosen %}</select>").render(
        Context({"choices": [("open", "Open"), ("new", "New")], "chosen": "new"})
    )
    assert rendered == (
        '<select><option value="open">Open</option><option value="new" selected>New</option></select>'
    )


def test_when_is_relative_with_the_exact_time_on_hover():
    value = timezone.now() - timedelta(hours=5, minutes=3)
    with translation.override("en"):
        english = str(when(value))
    with translation.override("id"):
        indonesian = str(when(value))
    assert english.startswith('<time datetime="') and "5\xa0hours ago" in english
    assert "5\xa0jam yang lalu" in indonesian
    assert 'title="' in english and english != indonesian
    assert "just now" in str(when(timezone.now()))
    assert when(None) == ""


def test_ticket_rows_escape_what_customers_wrote():
    from tanggap.tickets.selectors import TicketRow
    from tanggap.web.templatetags.web_tags import ticket_row_list

    row = TicketRow(
        id=7,
        subject='<script>alert("x")</script>',
        status="open",
        priority=3,
        updated_at=timezone.now(),
        customer_name="Budi & <b>Co</b>",
        team_name="",
        assignee_name="",
        tags=('"><img src=x>',),
    )
    with translation.override("id"):
        html = str(ticket_row_list([row], selectable=True))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Budi &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert "<img" not in html
    assert 'href="/tickets/7/"' in html and 'value="7"' in html
    assert 'aria-label="Pilih tiket 7"' in html
    assert '<span class="team">—</span>' in html and "<em>" in html
    assert "row-check" not in str(ticket_row_list([row]))
