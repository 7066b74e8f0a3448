"""The words for what assist reads in a customer message (the ticket's sentiment, emotion and intents),
shared by the pages that use them as conditions: the trigger builder and the response-target policies."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

SENTIMENT_LABELS: dict[str, Any] = {
    "negative": _("Negative"),
    "neutral": _("Neutral"),
    "positive": _("Positive"),
}
EMOTION_LABELS: dict[str, Any] = {
    "anger": _("Anger"),
    "fear": _("Fear"),
    "happy": _("Happiness"),
    "love": _("Love"),
    "sadness": _("Sadness"),
}
INTENT_LABELS: dict[str, Any] = {
    "cancel": _("Cancellation"),
    "refund": _("Refund"),
    "complaint": _("Complaint"),
    "delivery": _("Delivery"),
    "payment": _("Payment"),
    "account": _("Account"),
    "escalation": _("Asks for a supervisor"),
    "question": _("Question"),
    "praise": _("Praise"),
}


def percent(share: Any) -> str:
    """A share 0..1 as a whole percentage for a form ("0.7" → "70"); anything else as it came."""
    if isinstance(share, int | float) and not isinstance(share, bool):
        return f"{round(share * 100, 2):g}"
    return "" if share is None else str(share)


def share(text: Any) -> Any:
    """A percentage typed in a form as a share 0..1 ("70" → 0.7); text that is no number as it came,
    for the service to refuse."""
    try:
        return round(float(str(text).strip().rstrip("%")) / 100, 4)
    except ValueError:
        return text
