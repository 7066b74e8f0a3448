"""web.links and the ``{% url %}`` builtin: the cached shapes give exactly what ``reverse`` gives."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from tanggap.web.links import cached_reverse


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("web:queue", []),
        ("web:ticket", [1]),
        ("web:ticket", [987654321]),
        ("web:ticket_reply", [42]),
        ("web:ticket_attachment", [7, 9]),
        ("web:customer", [3]),
    ],
)
def test_cached_reverse_equals_reverse(name, args):
    assert cached_reverse(name, args) == reverse(name, args=args)
    assert cached_reverse(name, args) == reverse(name, args=args)  # from the cache


def test_cached_reverse_follows_the_script_prefix():
    try:
        set_script_prefix("/helpdesk/")
        assert cached_reverse("web:ticket", [5]) == "/helpdesk/tickets/5/" == reverse("web:ticket", args=[5])
    finally:
        set_script_prefix("/")
    assert cached_reverse("web:ticket", [5]) == "/tickets/5/"


def test_cached_reverse_refuses_what_reverse_refuses():
    with pytest.raises(NoReverseMatch):
        cached_reverse("web:ticket", [-1])
    with pytest.raises(NoReverseMatch):
        cached_reverse("web:no-such-page", [])
    with pytest.raises(NoReverseMatch):
        cached_reverse("web:ticket", ["abc"])


def test_url_tag_is_the_cached_one_and_behaves_like_djangos():
    template = Template(
        "{% url 'web:ticket' pk %}|{% url 'web:queue' as q %}{{ q }}"
        "|{% url 'nope' as missing %}[{{ missing }}]"
    )
    assert template.render(Context({"pk": 12})) == "/tickets/12/|/|[]"
    with pytest.raises(NoReverseMatch):
        Template("{% url 'nope' %}").render(Context())
