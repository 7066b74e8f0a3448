"""Inboxes, the raw mail they received (stored before anything is parsed) and the Message-IDs that thread
replies back to their tickets."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MAX_REASON_DETAIL = 500


class InboxLanguage(models.TextChoices):
    INDONESIAN = "id", _("Indonesian")
    ENGLISH = "en", _("English")


class Inbox(models.Model):
    """One advertised address (support@…, billing@…) and the team its new tickets go to.

    Connection settings (IMAP/SMTP host, user, secret) arrive with the adapters as one ``connection``
    JSON value whose secret fields are encrypted with ``core.crypto`` before they are stored and never
    logged or shown again; nothing here holds a secret yet.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.CharField(_("address"), max_length=320, unique=True)  # lower case
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="inboxes"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=InboxLanguage.choices, default=InboxLanguage.INDONESIAN
    )
    signature = models.TextField(_("signature"), blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class MailSource(models.TextChoices):
    IMAP = "imap", _("IMAP")
    SMTP = "smtp", _("SMTP")
    IMPORT = "import", _("Import")
    FORM = "form", _("Web form")


class MailStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not processed yet")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")


class RawMail(models.Model):
    """The bytes of one received mail, exactly as they arrived (a blob named by ``sha256``), written
    before anything is parsed. A row still ``received`` after a crash is processed again; what cannot
    be processed is ``quarantined`` with a stable ``reason`` code and kept for an admin to retry."""

    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="raw_mails")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=16, choices=MailSource.choices)
    # Where the transport found it: "imap:<uidvalidity>:<uid>", "maildir:<key>", "mbox:<file>#<n>" …
    source_ref = models.CharField(max_length=255, blank=True, default="")
    mail_message_id = models.CharField(max_length=998, blank=True, default="")  # the Message-ID header
    status = models.CharField(max_length=16, choices=MailStatus.choices, default=MailStatus.RECEIVED)
    reason = models.CharField(max_length=64, blank=True, default="")
    reason_detail = models.CharField(max_length=MAX_REASON_DETAIL, blank=True, default="")
    automatic = models.CharField(max_length=32, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("received mail")
        verbose_name_plural = _("received mail")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "sha256"], name="rawmail_inbox_sha256_unique"),
            models.UniqueConstraint(
                fields=["inbox", "source_ref"],
                condition=~Q(source_ref=""),
                name="rawmail_inbox_source_ref_unique",
            ),
        ]
        indexes = [
            # The sweep reads the few rows still received; the admin list reads the quarantine.
            models.Index(fields=["status", "received_at"], name="rawmail_status_received_idx"),
        ]

    def __str__(self) -> str:
        return f"mail {self.sha256[:12]} in {self.inbox_id} ({self.status})"


class MailDirection(models.TextChoices):
    INBOUND = "in", _("Received")
    OUTBOUND = "out", _("Sent")


class MailMessageId(models.Model):
    """A Message-ID we received or sent, and the ticket it belongs to: what In-Reply-To and References
    are looked up in.

    Unique per inbox, not globally: a mail sent to two of our addresses (support@ and billing@) is a
    ticket in each inbox, and each copy of a later reply threads to its own inbox's ticket. Our own
    outbound ids are generated unique, so a reply that reaches another inbox still finds them.
    ``message_id`` is the key of ``email.thread.message_id_key`` (long ids as their hash).
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=255)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=3, choices=MailDirection.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mail Message-ID")
        verbose_name_plural = _("mail Message-IDs")
        constraints = [
            models.UniqueConstraint(fields=["inbox", "message_id"], name="mailmessageid_inbox_id_unique")
        ]
        indexes = [models.Index(fields=["message_id", "direction"], name="mailmessageid_id_dir_idx")]

    def __str__(self) -> str:
        return f"<{self.message_id}> -> #{self.ticket_id}"
