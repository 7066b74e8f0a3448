"""The pure renderer: known variables only, spacing, fallbacks, and no template engine."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tanggap.macros.render import (
    VARIABLES,
    choose_variant,
    first_name,
    placeholders,
    render,
    unknown_variables,
)

VALUES = {
    "customer.first_name": "Siti",
    "customer.name": "Siti Rahmawati",
    "ticket.number": "1042",
    "ticket.subject": "Pesanan belum sampai",
    "agent.first_name": "Budi",
    "agent.name": "Budi Santoso",
}


def test_every_variable_is_replaced():
    text = " | ".join("{{ " + name + " }}" for name in VARIABLES)
    assert render(text, VALUES) == " | ".join(VALUES[name] for name in VARIABLES)


def test_spaces_inside_braces_are_optional():
    assert render("{{customer.first_name}}/{{ ticket.number }}/{{   agent.name\t}}", VALUES) == (
        "Siti/1042/Budi Santoso"
    )


def test_unknown_variables_are_found_and_left_as_written():
    text = "Halo {{ customer.first_name }} {{ customer.phone }} {{settings.SECRET_KEY}}"
    assert unknown_variables(text) == ["customer.phone", "settings.SECRET_KEY"]
    assert render(text, VALUES) == "Halo Siti {{ customer.phone }} {{settings.SECRET_KEY}}"


def test_filters_and_expressions_are_not_variables():
    text = "{{ customer.name|upper }} {{ customer.name.__class__ }} {{ 7*7 }}"
    assert unknown_variables(text) == ["customer.name|upper", "customer.name.__class__", "7*7"]
    assert render(text, VALUES) == text


def test_template_tags_are_plain_text():
    text = "{% load static %}{% debug %}{% include 'web/base.html' %} {{ ticket.number }}"
    assert unknown_variables(text) == []
    assert render(text, VALUES) == "{% load static %}{% debug %}{% include 'web/base.html' %} 1042"


def test_missing_values_get_a_fallback_in_the_language_not_none():
    values = {**VALUES, "customer.first_name": None, "customer.name": "  "}
    assert render("Halo {{ customer.first_name }}, {{ customer.name }}", values, language="id") == (
        "Halo Bapak/Ibu, Bapak/Ibu"
    )
    assert render("Hi {{ customer.first_name }},", values, language="en") == "Hi there,"
    assert "None" not in render("{{ customer.first_name }}", {}, language="en")


def test_values_are_not_rendered_again():
    values = {**VALUES, "customer.name": "{{ agent.name }} {% load x %}"}
    assert render("{{ customer.name }}", values) == "{{ agent.name }} {% load x %}"


def test_placeholders_are_listed_once_in_order():
    assert placeholders("{{ a }} {{b}} {{ a }}") == ["a", "b"]


def test_first_name():
    assert first_name("Budi Santoso") == "Budi"
    assert first_name("  Siti ") == "Siti"
    assert first_name("") == ""


def test_variant_in_the_wanted_language_else_the_other():
    both = {"id": "Halo", "en": "Hi"}
    assert choose_variant(bodies=both, wanted="en") == ("en", "Hi")
    assert choose_variant(bodies=both, wanted="id") == ("id", "Halo")
    assert choose_variant(bodies={"id": "Halo", "en": "  "}, wanted="en") == ("id", "Halo")
    assert choose_variant(bodies={"id": "", "en": "Hi"}, wanted="id") == ("en", "Hi")
    # An unknown wanted language takes the default first.
    assert choose_variant(bodies=both, wanted="fr", default="en") == ("en", "Hi")


@given(st.text(max_size=300))
def test_render_never_fails_and_text_without_placeholders_is_unchanged(text):
    out = render(text, VALUES)
    if "{{" not in text:
        assert out == text


@given(st.text(alphabet="{} abc.%", max_size=200))
def test_braces_soup_is_safe(text):
    render(text, VALUES)
    unknown_variables(text)
