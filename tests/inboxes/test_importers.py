"""Importing mbox, Maildir and .eml folders: everything once, however often it runs."""

from __future__ import annotations

import mailbox

import pytest
from click.testing import CliRunner

from tanggap.core.errors import InvalidInput
from tanggap.inboxes.import_cli import import_mail, inbox
from tanggap.inboxes.importers import mail_import
from tanggap.inboxes.models import Inbox, MailSource, MailStatus, RawMail
from tanggap.tickets.models import Message, MessageKind, Ticket
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db


def customer_messages():
    return Message.objects.filter(kind=MessageKind.CUSTOMER)


@pytest.fixture
def mails():
    root = make_mail("Halo, pesanan saya belum sampai.", message_id="<root@x>")
    reply = make_mail("Sudah seminggu.", message_id="<reply@x>", in_reply_to="<root@x>")
    other = make_mail("Minta faktur.", sender="budi@example.com", subject="Faktur", message_id="<other@x>")
    return [root, reply, other]


def write_mbox(path, mails):
    box = mailbox.mbox(path)
    for raw in mails:
        box.add(raw)
    box.flush()
    box.close()


def write_maildir(path, mails):
    box = mailbox.Maildir(path)
    for raw in mails:
        box.add(raw)
    box.close()


def test_an_mbox_is_imported_once_and_threads(inbox, tmp_path, mails):
    path = tmp_path / "export.mbox"
    write_mbox(path, mails)
    seen = []
    report = mail_import(inbox=inbox, path=path, progress=lambda done, total, row: seen.append((done, total)))
    assert (report.total, report.new, report.processed) == (3, 3, 3)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert Ticket.objects.count() == 2  # the reply threaded to the first mail
    assert RawMail.objects.filter(source=MailSource.IMPORT, source_ref__startswith="mbox:").count() == 3
    again = mail_import(inbox=inbox, path=path)
    assert (again.new, again.already) == (0, 3)
    assert customer_messages().count() == 3


def test_a_compacted_mbox_never_takes_a_new_mail_for_an_old_one(inbox, tmp_path, mails):
    path = tmp_path / "export.mbox"
    write_mbox(path, mails[:2])
    mail_import(inbox=inbox, path=path)
    path.unlink()
    write_mbox(path, [mails[1], mails[2]])  # the first was deleted; the others moved up one place
    report = mail_import(inbox=inbox, path=path)
    assert (report.new, report.already) == (1, 1)
    assert customer_messages().count() == 3


def test_a_maildir_is_imported_once(inbox, tmp_path, mails):
    path = tmp_path / "Maildir"
    write_maildir(path, mails)
    assert mail_import(inbox=inbox, path=path).new == 3
    keys = sorted(mailbox.Maildir(path).iterkeys())
    assert sorted(RawMail.objects.values_list("source_ref", flat=True)) == [f"maildir:{k}" for k in keys]
    # A mail client reads them: new/ moves to cur/ with flags. Still the same messages.
    box = mailbox.Maildir(path)
    for key in keys:
        message = box[key]
        message.set_subdir("cur")
        message.add_flag("S")
        box[key] = message
    again = mail_import(inbox=inbox, path=path)
    assert (again.new, again.already) == (0, 3)
    assert customer_messages().count() == 3


def test_a_folder_of_eml_files_and_one_file(inbox, tmp_path, mails):
    folder = tmp_path / "export"
    folder.mkdir()
    for index, raw in enumerate(mails):
        (folder / f"{index}.eml").write_bytes(raw)
    (folder / "notes.txt").write_text("not mail")
    (folder / ".hidden.eml").write_bytes(b"skipped")
    assert mail_import(inbox=inbox, path=folder).new == 3
    assert mail_import(inbox=inbox, path=folder / "0.eml").already == 1
    assert customer_messages().count() == 3


def test_what_cannot_be_processed_is_counted_as_quarantined(inbox, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "broken.eml").write_bytes(b"\x00\x01 no headers here")
    (folder / "good.eml").write_bytes(make_mail())
    report = mail_import(inbox=inbox, path=folder)
    assert (report.processed, report.quarantined) == (1, 1)
    assert RawMail.objects.get(status=MailStatus.QUARANTINED).reason == "not_mail"


def test_a_missing_path_is_invalid_input(inbox, tmp_path):
    with pytest.raises(InvalidInput):
        mail_import(inbox=inbox, path=tmp_path / "nothing-here")


# ---------------------------------------------------------------- commands


def test_inbox_add_and_import_mail_commands(db, team, tmp_path, mails):
    runner = CliRunner()
    result = runner.invoke(inbox, ["add", "Support", "Support@Toko.example", "--team", "support"])
    assert result.exit_code == 0, result.output
    assert "Created inbox 'Support' for support@toko.example." in result.output
    created = Inbox.objects.get(name="Support")
    assert created.team == team and created.language == "id"
    assert runner.invoke(inbox, ["add", "Other", "support@toko.example"]).exit_code == 1
    assert "no team" in runner.invoke(inbox, ["add", "X", "x@toko.example", "--team", "nope"]).output
    assert "support@toko.example" in runner.invoke(inbox, ["list"]).output

    path = tmp_path / "export.mbox"
    write_mbox(path, mails)
    result = runner.invoke(import_mail, [str(path), "--inbox", "support"])
    assert result.exit_code == 0, result.output
    assert "3 messages: 3 new, 0 already imported; 3 on tickets, 0 quarantined" in result.output
    result = runner.invoke(import_mail, [str(path), "--inbox", "Support"])
    assert "3 messages: 0 new, 3 already imported" in result.output
    result = runner.invoke(import_mail, [str(path), "--inbox", "Nope"])
    assert result.exit_code == 1 and "no inbox 'Nope'" in result.output
