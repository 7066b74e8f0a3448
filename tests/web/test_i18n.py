"""The interface speaks Indonesian by default and English on request, from the shipped catalogues."""

from django.urls import reverse


def test_default_language_is_indonesian(settings, agent_client):
    settings.LANGUAGE_CODE = "id"
    page = agent_client.get(reverse("web:queue")).content.decode()
    assert 'lang="id"' in page
    assert "Semua tiket" in page  # "All tickets"
    assert "All tickets" not in page


def test_switch_to_english_and_back(settings, agent_client):
    settings.LANGUAGE_CODE = "id"
    agent_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = agent_client.get(reverse("web:queue")).content.decode()
    assert 'lang="en"' in page and "All tickets" in page
    agent_client.post(reverse("set_language"), {"language": "id", "next": "/"})
    assert "Semua tiket" in agent_client.get(reverse("web:queue")).content.decode()


def _po_entries(path):
    """(msgid, msgstr values, flags) of each entry of a .po file; enough of the format for a check."""
    entries, current, field, flags = [], None, None, []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#,"):
            flags = [f.strip() for f in line[2:].split(",")]
        elif line.startswith("msgid "):
            current, field = {"msgid": line[7:-1], "msgstr": [], "flags": flags}, "msgid"
        elif line.startswith("msgid_plural "):
            current["plural"], field = True, "plural"
        elif line.startswith("msgstr"):
            current["msgstr"].append(line.split(" ", 1)[1][1:-1])
            field = "msgstr"
        elif line.startswith('"') and current is not None:
            if field == "plural":
                continue
            if field == "msgid":
                current["msgid"] += line[1:-1]
            else:
                current["msgstr"][-1] += line[1:-1]
        elif not line.strip() and current is not None:
            entries.append(current)
            current, flags = None, []
    return entries


def test_indonesian_catalogue_is_complete_and_compiled():
    import gettext
    from pathlib import Path

    import tanggap

    folder = Path(tanggap.__file__).parent / "locale" / "id" / "LC_MESSAGES"
    entries = [e for e in _po_entries(folder / "django.po") if e["msgid"]]
    assert len(entries) > 300
    missing = [e["msgid"] for e in entries if not all(e["msgstr"]) or "fuzzy" in e["flags"]]
    assert missing == []
    # The compiled catalogue shipped beside it carries every translation (no stale .mo).
    with (folder / "django.mo").open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    singular = [e for e in entries if not e.get("plural") and "%" not in e["msgid"]]
    stale = [
        e["msgid"]
        for e in singular
        if compiled.gettext(e["msgid"].encode().decode("unicode_escape")) == e["msgid"]
        and e["msgstr"][0] != e["msgid"]
    ]
    assert stale == []
