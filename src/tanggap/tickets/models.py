"""Tickets and their timeline."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tanggap.tickets.workflow import ACTIVE_VALUES
from tanggap.tickets.workflow import Status as WorkflowStatus


class Status(models.TextChoices):
    NEW = WorkflowStatus.NEW.value, _("New")
    OPEN = WorkflowStatus.OPEN.value, _("Open")
    PENDING = WorkflowStatus.PENDING.value, _("Pending (customer)")
    ON_HOLD = WorkflowStatus.ON_HOLD.value, _("On hold (third party)")
    SOLVED = WorkflowStatus.SOLVED.value, _("Solved")
    CLOSED = WorkflowStatus.CLOSED.value, _("Closed")


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    SOCIAL = "social", _("Social")
    API = "api", _("API")


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=64, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


# Active and not merged away: what the queue shows by default.
ACTIVE_CONDITION = Q(merged_into__isnull=True, status__in=ACTIVE_VALUES)
# Of those, the ones whose customer wrote last (no reply since): customers waiting for an answer.
_CUSTOMER_WROTE_LAST = Q(last_customer_message_at__isnull=False) & (
    Q(last_agent_reply_at__isnull=True) | Q(last_agent_reply_at__lt=F("last_customer_message_at"))
)
WAITING_CONDITION = ACTIVE_CONDITION & _CUSTOMER_WROTE_LAST
# Active and nobody has it: the routing queue.
UNASSIGNED_CONDITION = ACTIVE_CONDITION & Q(assignee__isnull=True)
UNASSIGNED = Q(merged_into__isnull=True, status__literal_in=ACTIVE_VALUES, assignee__isnull=True)
# The same as a query writes it, with the statuses in the SQL text (``literal_in``): SQLite uses a
# partial index only for a condition it can match term by term, and a bound parameter matches none.
WAITING = Q(merged_into__isnull=True, status__literal_in=ACTIVE_VALUES) & _CUSTOMER_WROTE_LAST


class Ticket(models.Model):
    subject = models.CharField(_("subject"), max_length=250)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="tickets")
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    # Pointers followed by id only, so no index: an index on a column that is almost always NULL
    # lures SQLite's planner into reading every row for "merged_into IS NULL".
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Set by every write of a ticket service, in the same transaction; what is worked out from a
    # ticket's history elsewhere (its response clocks) recomputes the tickets that have it and
    # clears it in the transaction that stores the result, so no change is ever missed.
    derived_stale = models.BooleanField(default=True, db_default=True)
    # The earliest instant a running response clock runs out (``sla`` writes it with the clocks, without
    # flagging the ticket); what the queue's "due soonest" order reads. Null: no clock running.
    due_at = models.DateTimeField(null=True, blank=True)
    # When the current assignee was given the ticket (routing does not take a ticket away from an
    # agent sooner than its team's reassignment time after this).
    assigned_at = models.DateTimeField(null=True, blank=True)
    # What assist read in the customer's latest message (sentiment, emotion, anger 0..1) and every intent
    # it found in their messages so far (",cancel,refund,"): plain columns, so the queue, routing,
    # triggers and response-target policies filter on them without knowing assist.
    sentiment = models.CharField(_("sentiment"), max_length=8, blank=True, default="")
    emotion = models.CharField(_("emotion"), max_length=8, blank=True, default="")
    anger = models.FloatField(_("anger"), null=True, blank=True)
    intents = models.CharField(_("intents"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # The queue's filters are status, team and assignee; its sorts are recency and priority.
            models.Index(fields=["status", "updated_at"], name="ticket_status_updated_idx"),
            models.Index(fields=["team", "status", "updated_at"], name="ticket_team_status_idx"),
            models.Index(fields=["assignee", "status", "updated_at"], name="ticket_assignee_status_idx"),
            models.Index(fields=["customer", "created_at"], name="ticket_customer_idx"),
            models.Index(fields=["updated_at"], name="ticket_updated_idx"),
            # Most tickets are solved or closed; the queue's views read only the active ones, in one of
            # three orders. Each order has a small partial index that also holds the two columns deciding
            # who may see a ticket, so a page or a capped count reads the index alone until it has enough.
            # Queries write the condition exactly as here (``status__literal_in``) so SQLite uses them.
            models.Index(
                fields=["-updated_at", "-id", "team", "assignee"],
                condition=ACTIVE_CONDITION,
                name="ticket_active_updated_idx",
            ),
            models.Index(
                fields=["-created_at", "-id", "team", "assignee"],
                condition=ACTIVE_CONDITION,
                name="ticket_active_created_idx",
            ),
            models.Index(
                fields=["-priority", "-updated_at", "-id", "team", "assignee"],
                condition=ACTIVE_CONDITION,
                name="ticket_active_priority_idx",
            ),
            models.Index(
                fields=["due_at", "id", "team", "assignee"],
                condition=ACTIVE_CONDITION,
                name="ticket_active_due_idx",
            ),
            # Customers waiting, by how long (the dashboards' age bands count ranges of it).
            models.Index(
                fields=["last_customer_message_at", "team", "assignee", "channel"],
                condition=WAITING_CONDITION,
                name="ticket_waiting_idx",
            ),
            # The routing queue: each team's active tickets that nobody has, in the order they are given out.
            models.Index(
                fields=["team", "-priority", "created_at", "id"],
                condition=UNASSIGNED_CONDITION,
                name="ticket_unassigned_idx",
            ),
            models.Index(fields=["-priority", "-updated_at", "-id"], name="ticket_priority_recent_idx"),
            models.Index(fields=["id"], condition=Q(derived_stale=True), name="ticket_derived_stale_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.derived_stale = True
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "derived_stale" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "derived_stale"]
        super().save(*args, **kwargs)

    @property
    def number(self) -> int:
        return self.pk


class MessageKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer message")
    REPLY = "reply", _("Reply")
    NOTE = "note", _("Internal note")
    EVENT = "event", _("Event")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not applicable")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    """One entry on a ticket's timeline."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True, default="")
    body_text = models.TextField(_("text"), blank=True, default="")
    body_html = models.TextField(_("HTML (sanitised)"), blank=True, default="")
    # System events store a stable code and data; the label is translated when shown.
    event_code = models.CharField(max_length=64, blank=True, default="")
    event_data = models.JSONField(default=dict, blank=True)
    # Channel idempotency: the same inbound message stored twice is stored once.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    external_id = models.CharField(max_length=998, blank=True, default="")
    delivery_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, blank=True, default="")
    # Machine mail (auto-reply, bounce …; the kind from ``inboxes.email.loops``), "" when a person wrote it.
    automatic = models.CharField(_("automatic"), max_length=32, blank=True, default="")
    # How much of ``body_text`` is the sender's own reply; the rest is quoted history or a signature.
    # Set once at intake (``InboundMessage.visible_length``); null shows the whole text.
    visible_length = models.PositiveIntegerField(_("visible length"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"

    @property
    def visible_text(self) -> str:
        """The sender's own reply: the whole text unless quoted history was found at intake."""
        if self.visible_length is None:
            return self.body_text
        return self.body_text[: self.visible_length]

    @property
    def hidden_text(self) -> str:
        """What follows the visible reply (quoted history, signature), without the blank lines that
        separated them; "" when nothing was cut."""
        if self.visible_length is None:
            return ""
        return self.body_text[self.visible_length :].lstrip("\n")


class Attachment(models.Model):
    """A file on a message. The bytes are a content-addressed blob (``core.blobs``)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    sha256 = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_id = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class SearchEntry(models.Model):
    """The stemmed text of a ticket's subject or one message, indexed by SQLite FTS5 or, on PostgreSQL,
    a GIN index on a stored ``search_vector`` column the migration adds (``0002_search_index``).
    Written by the services. A migration that alters this table must re-create the SQLite triggers
    of ``0002`` (SQLite rebuilds the table and drops them)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    stems = models.TextField()

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return f"search entry of #{self.ticket_id}"


class TicketPresence(models.Model):
    """Which agents have a ticket open, and whether they are writing a reply (collision warning)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_seen_at = models.DateTimeField()
    is_replying = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="presence_ticket_user_unique")]

    def __str__(self) -> str:
        return f"agent {self.user_id} on #{self.ticket_id}"
