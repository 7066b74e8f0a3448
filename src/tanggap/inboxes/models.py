"""Inboxes, the raw mail they received (stored before anything is parsed) and the Message-IDs that thread
replies back to their tickets."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tanggap.core.models import OutboxRow

MAX_REASON_DETAIL = 500


class InboxLanguage(models.TextChoices):
    INDONESIAN = "id", _("Indonesian")
    ENGLISH = "en", _("English")


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (loopback only)")


class Inbox(models.Model):
    """One advertised address (support@…, billing@…) and the team its new tickets go to.

    Mail reaches it over IMAP (``imap_*``, polled), SMTP (``tanggap smtp``), the importer or its web form;
    replies leave over the inbox's outgoing SMTP server (``smtp_*``). Passwords are stored encrypted with
    ``core.crypto`` (purposes ``inbox.imap`` and ``inbox.smtp``), never logged and never shown again.
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
    # Incoming: an IMAP mailbox polled for new mail ("" host = no polling).
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True, default="")
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    imap_security = models.CharField(
        _("IMAP security"), max_length=8, choices=Security.choices, default=Security.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=320, blank=True, default="")
    imap_password = models.TextField(blank=True, default="")  # core.crypto, purpose "inbox.imap"
    imap_folder = models.CharField(_("IMAP folder"), max_length=255, blank=True, default="INBOX")
    # After a mail is stored: moved to this folder, or (blank) flagged \Seen where it is.
    imap_done_folder = models.CharField(
        _("folder for processed mail"), max_length=255, blank=True, default=""
    )
    # Outgoing: the SMTP server replies are sent through ("" host = the site's default server).
    smtp_host = models.CharField(_("SMTP server"), max_length=255, blank=True, default="")
    smtp_port = models.PositiveIntegerField(_("SMTP port"), null=True, blank=True)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=8, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_username = models.CharField(_("SMTP user"), max_length=320, blank=True, default="")
    smtp_password = models.TextField(blank=True, default="")  # core.crypto, purpose "inbox.smtp"
    # The public web form (``/form/<form_key>/``); "" = no form.
    form_key = models.CharField(max_length=32, blank=True, default="")
    form_enabled = models.BooleanField(_("web form enabled"), default=False)
    # The canary (``inboxes.canary``): probes of an advertised inbox, how long one may take to arrive,
    # and since when the inbox is dead (a probe did not arrive in time; None while healthy).
    canary_enabled = models.BooleanField(_("canary probes"), default=True)
    canary_minutes = models.PositiveSmallIntegerField(_("canary deadline (minutes)"), null=True, blank=True)
    dead_since = models.DateTimeField(null=True, blank=True)
    # The acknowledgement (``automations.acknowledge``, docs/acknowledgement.md): when a customer opens
    # a ticket, a receipt with its number, how the team works and an honest estimate of the first
    # answer. On for new inboxes; inboxes that existed before the feature keep quiet until switched on.
    ack_enabled = models.BooleanField(_("send an acknowledgement"), default=True)
    # Two sentences on how the team works, per language; blank: the built-in text.
    ack_how_id = models.TextField(_("how we work (Indonesian)"), blank=True, default="")
    ack_how_en = models.TextField(_("how we work (English)"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")
        constraints = [
            models.UniqueConstraint(
                fields=["form_key"], condition=~Q(form_key=""), name="inbox_form_key_unique"
            )
        ]

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
            # The dead-zone audit reads each inbox's latest mail.
            models.Index(fields=["inbox", "-received_at"], name="rawmail_inbox_received_idx"),
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


class ImapState(models.Model):
    """Where polling of one inbox's IMAP folder stands, and how it went (the dead-zone audit reads it).

    ``uidvalidity`` and ``last_uid`` say which UIDs were already stored: a mail is fetched with PEEK,
    stored, committed, and only then moved or flagged on the server and ``last_uid`` advanced. A new
    UIDVALIDITY means the server renumbered the folder: every mail is read again and the content hash
    (``RawMail`` is unique per inbox and sha256) keeps what was already stored from being stored twice.
    """

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="imap_state")
    folder = models.CharField(max_length=255, default="INBOX")
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    last_poll_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=MAX_REASON_DETAIL, blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    stored_total = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("IMAP state")
        verbose_name_plural = _("IMAP states")

    def __str__(self) -> str:
        return f"IMAP {self.inbox_id} {self.uidvalidity}:{self.last_uid}"


class OutboundMail(OutboxRow):
    """One reply leaving by e-mail: written in the same transaction as the reply, sent by the outbox.

    The headers that thread it (``mail_message_id`` ours and unique, ``in_reply_to``, ``references``) are
    fixed when the row is written, so a retry sends the very same mail and the customer's answer
    threads back through ``MailMessageId`` (recorded with the row, direction ``out``).

    A reply that cannot leave (no inbox to send from, no address to send to) still gets its row, failed
    with a ``reason`` code, so the agent sees why and can retry once it is fixed. An automatic mail
    (``auto_submitted`` set: an acknowledgement) has no timeline message; its text is ``body_text``.
    """

    inbox = models.ForeignKey(
        Inbox, null=True, blank=True, on_delete=models.PROTECT, related_name="outbound_mails"
    )
    message = models.OneToOneField(
        "tickets.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="outbound_mail"
    )
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    body_text = models.TextField(blank=True, default="")  # only for automatic mail
    auto_submitted = models.CharField(max_length=16, blank=True, default="")  # RFC 3834 value or ""
    # Why the mail did not go, a stable code (``inboxes.delivery.FAILURE_REASONS``); "" while all is well.
    reason = models.CharField(max_length=32, blank=True, default="")
    to_address = models.CharField(max_length=320)
    to_name = models.CharField(max_length=255, blank=True, default="")
    cc = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=998)
    mail_message_id = models.CharField(max_length=255, unique=True)  # ours, without <>
    in_reply_to = models.CharField(max_length=998, blank=True, default="")
    references = models.JSONField(default=list, blank=True)
    # The server's answer to the last attempt ("250 2.0.0 Ok: queued as …", "550 5.1.1 …").
    smtp_response = models.CharField(max_length=MAX_REASON_DETAIL, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outboundmail_due_idx"),
            # The automatic-mail limiter reads what one address got lately.
            models.Index(
                fields=["to_address", "created_at"],
                condition=~Q(auto_submitted=""),
                name="outboundmail_automatic_to_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"<{self.mail_message_id}> to {self.to_address} ({self.status})"


# ---------------------------------------------------------------- the dead-zone audit and the canary


class AdvertKind(models.TextChoices):
    SITE_PAGE = "site_page", _("Site page")
    PACKAGING = "packaging", _("Packaging")
    MANUAL = "manual", _("Manual")
    SOCIAL_PROFILE = "social_profile", _("Social profile")
    OTHER = "other", _("Other")


class InboxAdvert(models.Model):
    """One place an inbox (its address or its web form) is advertised to customers: a page of the
    site, the packaging, a manual, a social profile. The dead-zone audit lists them, and only an
    advertised inbox gets the canary's probes."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="adverts")
    kind = models.CharField(_("where"), max_length=16, choices=AdvertKind.choices)
    url = models.URLField(_("URL"), max_length=500, blank=True, default="")
    notes = models.CharField(_("notes"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["inbox", "kind", "id"]
        verbose_name = _("advertised at")
        verbose_name_plural = _("advertised at")

    def __str__(self) -> str:
        return f"{self.kind} {self.url or self.notes} for inbox {self.inbox_id}"


class CanaryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    FORM = "form", _("Web form")


class CanaryStatus(models.TextChoices):
    SENT = "sent", _("Sent, waiting")
    ARRIVED = "arrived", _("Arrived")
    LATE = "late", _("Late")
    FAILED = "failed", _("Could not be sent")


class CanaryRun(models.Model):
    """One probe: a real mail sent to an advertised address (or a submission of its web form) carrying
    a unique ``token``, and whether it came back as a ticket through the normal intake before
    ``deadline``. The probe's ticket is deleted once it is recognised; ``ticket_number`` keeps its
    number for the record."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="canary_runs")
    channel = models.CharField(max_length=8, choices=CanaryChannel.choices)
    token = models.CharField(max_length=40, unique=True)
    mail_message_id = models.CharField(max_length=255, blank=True, default="")  # without <>
    status = models.CharField(max_length=8, choices=CanaryStatus.choices, default=CanaryStatus.SENT)
    trigger = models.CharField(max_length=16, default="schedule")  # schedule, manual, cli
    requested_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()
    deadline = models.DateTimeField()
    arrived_at = models.DateTimeField(null=True, blank=True)
    raw_mail = models.ForeignKey(RawMail, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket_number = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=MAX_REASON_DETAIL, blank=True, default="")

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("canary probe")
        verbose_name_plural = _("canary probes")
        indexes = [
            # The check every minute reads the probes still waiting for their mail.
            models.Index(
                fields=["deadline"],
                condition=Q(arrived_at__isnull=True, status__in=["sent", "late"]),
                name="canaryrun_waiting_idx",
            ),
            models.Index(fields=["inbox", "channel", "-sent_at"], name="canaryrun_inbox_latest_idx"),
        ]

    def __str__(self) -> str:
        return f"canary {self.token} to inbox {self.inbox_id} ({self.status})"


class CanaryAlert(models.Model):
    """The admins' alert that an inbox is dead: a probe did not arrive in time. Shown as a banner in the
    workspace until the inbox is healthy again (``resolved_at``) or an admin acknowledges it."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="canary_alerts")
    run = models.ForeignKey(CanaryRun, on_delete=models.CASCADE, related_name="alerts")
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dead inbox alert")
        verbose_name_plural = _("dead inbox alerts")
        constraints = [models.UniqueConstraint(fields=["run"], name="canaryalert_one_per_run")]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(resolved_at__isnull=True, acknowledged_at__isnull=True),
                name="canaryalert_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"dead inbox {self.inbox_id} ({self.created_at})"
