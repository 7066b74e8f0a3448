"""Triggers' rules as plain values: which conditions a ticket meets and what a trigger's actions would
change. Pure: no Django, so the matching and the planning are tested alone.

A condition is ``{"field", "op", "value"}``, an action ``{"type", ...}``; ``clean_conditions`` and
``clean_actions`` check what a person (or an API client) sent, strictly, and return the stored form.
Refusals are ``RuleError`` with a stable code; the service turns them into translated sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tanggap.macros.render import first_name, render, unknown_variables

# Stable codes of the events a trigger waits for.
EVENTS: tuple[str, ...] = (
    "ticket_created",
    "message_received",
    "ticket_updated",
    "status_changed",
    "assigned",
    "message_classified",
)

MAX_CONDITIONS = 20
MAX_ACTIONS = 10
MAX_TEXT = 200  # a condition's text, a tag
MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_NOTICE = 300
MAX_NOTIFY_AGENTS = 20

# What assist reads in a customer message, as the ticket's plain columns hold it (``Ticket.sentiment``,
# ``emotion``, ``anger`` 0..1, ``intents``); spelled out here because triggers never import assist.
SENTIMENTS: tuple[str, ...] = ("negative", "neutral", "positive")
EMOTIONS: tuple[str, ...] = ("anger", "fear", "happy", "love", "sadness")
INTENTS: tuple[str, ...] = (
    "cancel",
    "refund",
    "complaint",
    "delivery",
    "payment",
    "account",
    "escalation",
    "question",
    "praise",
)

# field -> the operators it accepts
CONDITIONS: dict[str, tuple[str, ...]] = {
    "channel": ("is", "is_not"),
    "priority": ("is", "is_not", "at_least", "at_most"),
    "status": ("is", "is_not"),
    "team": ("is", "is_not", "is_empty", "is_not_empty"),
    "assignee": ("is", "is_not", "is_empty", "is_not_empty"),
    "tags": ("include", "exclude"),
    "language": ("is", "is_not"),
    "subject": ("contains", "not_contains"),
    "message": ("contains", "not_contains"),
    "tier": ("is", "is_not"),
    "automatic": ("is_true", "is_false"),
    "sentiment": ("is", "is_not"),
    "emotion": ("is", "is_not"),
    "anger": ("at_least", "at_most"),  # a share 0..1 (the builder shows a percentage)
    "intent": ("include", "exclude"),
}
NO_VALUE_OPS = frozenset({"is_empty", "is_not_empty", "is_true", "is_false"})

ACTIONS: tuple[str, ...] = (
    "assign",
    "add_tag",
    "remove_tag",
    "set_priority",
    "set_status",
    "send_mail",
    "notify",
    "webhook",
)


class RuleError(ValueError):
    """What a condition or action got wrong: ``code`` (stable), where (``part`` "conditions" or
    "actions", ``index``), and the offending key."""

    def __init__(self, code: str, *, part: str, index: int | None = None, key: str = "") -> None:
        self.code, self.part, self.index, self.key = code, part, index, key
        super().__init__(f"{part}[{index}].{key}: {code}")


@dataclass(frozen=True, slots=True)
class Choices:
    """What the workspace holds, for validation: the values a condition or action may name."""

    channels: Collection[str]
    statuses: Collection[str]
    priorities: Collection[int]
    team_ids: Collection[int]
    agent_ids: Collection[int]  # active agents
    webhook_ids: Collection[int]
    # team id -> ids of the agents who may take its tickets (members and admins)
    team_agents: Mapping[int, Collection[int]]
    normalise_tag: Callable[[str], str]


# ---------------------------------------------------------------- cleaning


def _int(value: Any, *, part: str, index: int, key: str) -> int:
    if isinstance(value, bool):
        raise RuleError("invalid", part=part, index=index, key=key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value < 2**62:
        raise RuleError("invalid", part=part, index=index, key=key)
    return value


def _share(value: Any, *, part: str, index: int, key: str) -> float:
    """A number from 0 to 1 (an anger threshold)."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise RuleError("invalid", part=part, index=index, key=key) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise RuleError("invalid", part=part, index=index, key=key)  # NaN fails the range too
    return round(float(value), 4)


def _text(value: Any, limit: int, *, part: str, index: int, key: str, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RuleError("invalid", part=part, index=index, key=key)
    value = value.strip()
    if required and not value:
        raise RuleError("required", part=part, index=index, key=key)
    if len(value) > limit:
        raise RuleError("too_long", part=part, index=index, key=key)
    return value


def _keys(item: Any, allowed: set[str], *, part: str, index: int) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise RuleError("invalid", part=part, index=index)
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise RuleError("unknown_key", part=part, index=index, key=str(unknown[0])[:40])
    return dict(item)


def clean_conditions(raw: Any, choices: Choices) -> list[dict[str, Any]]:
    """The conditions as stored, or ``RuleError``. All must hold for a trigger to fire."""
    if raw is None:
        return []
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise RuleError("invalid", part="conditions")
    if len(raw) > MAX_CONDITIONS:
        raise RuleError("too_many", part="conditions")
    return [_clean_condition(item, index, choices) for index, item in enumerate(raw)]


def _clean_condition(item: Any, index: int, choices: Choices) -> dict[str, Any]:
    part = "conditions"
    data = _keys(item, {"field", "op", "value"}, part=part, index=index)
    name = data.get("field")
    if not isinstance(name, str) or name not in CONDITIONS:
        raise RuleError("unknown_field", part=part, index=index, key="field")
    op = data.get("op")
    if not isinstance(op, str) or op not in CONDITIONS[name]:
        raise RuleError("unknown_op", part=part, index=index, key="op")
    if op in NO_VALUE_OPS:
        return {"field": name, "op": op, "value": None}
    raw = data.get("value")
    value: Any
    if name == "channel":
        value = raw if isinstance(raw, str) and raw in choices.channels else _bad(part, index)
    elif name == "status":
        value = raw if isinstance(raw, str) and raw in choices.statuses else _bad(part, index)
    elif name == "priority":
        value = _int(raw, part=part, index=index, key="value")
        if value not in choices.priorities:
            _bad(part, index)
    elif name == "team":
        value = _int(raw, part=part, index=index, key="value")
        if value not in choices.team_ids:
            _bad(part, index)
    elif name == "assignee":
        value = _int(raw, part=part, index=index, key="value")
        if value not in choices.agent_ids:
            _bad(part, index)
    elif name == "tags":
        value = choices.normalise_tag(_text(raw, MAX_TEXT, part=part, index=index, key="value"))
        if not value:
            _bad(part, index)
    elif name == "language":
        value = _text(raw, 8, part=part, index=index, key="value").lower()
    elif name in {"sentiment", "emotion", "intent"}:
        allowed = {"sentiment": SENTIMENTS, "emotion": EMOTIONS, "intent": INTENTS}[name]
        value = raw if isinstance(raw, str) and raw in allowed else _bad(part, index)
    elif name == "anger":
        value = _share(raw, part=part, index=index, key="value")
    elif name == "tier":
        value = " ".join(_text(raw, 32, part=part, index=index, key="value").split()).lower()
    else:  # subject, message
        value = _text(raw, MAX_TEXT, part=part, index=index, key="value")
    return {"field": name, "op": op, "value": value}


def _bad(part: str, index: int, key: str = "value") -> Any:
    raise RuleError("invalid", part=part, index=index, key=key)


def clean_actions(raw: Any, choices: Choices) -> list[dict[str, Any]]:
    """The actions as stored, in order, or ``RuleError``. At least one."""
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise RuleError("invalid", part="actions")
    if not raw:
        raise RuleError("required", part="actions")
    if len(raw) > MAX_ACTIONS:
        raise RuleError("too_many", part="actions")
    cleaned = [_clean_action(item, index, choices) for index, item in enumerate(raw)]
    singles = [a["type"] for a in cleaned if a["type"] in {"assign", "set_priority", "set_status"}]
    if len(singles) != len(set(singles)):
        raise RuleError("duplicate", part="actions", index=len(cleaned) - 1, key="type")
    return cleaned


def _clean_action(item: Any, index: int, choices: Choices) -> dict[str, Any]:
    part = "actions"
    if not isinstance(item, Mapping):
        raise RuleError("invalid", part=part, index=index)
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in ACTIONS:
        raise RuleError("unknown_type", part=part, index=index, key="type")
    if kind == "assign":
        data = _keys(item, {"type", "agent", "team"}, part=part, index=index)
        agent = data.get("agent")
        team = data.get("team")
        agent_id = None if agent in (None, "") else _int(agent, part=part, index=index, key="agent")
        team_id = None if team in (None, "") else _int(team, part=part, index=index, key="team")
        if agent_id is None and team_id is None:
            raise RuleError("required", part=part, index=index, key="agent")
        if agent_id is not None and agent_id not in choices.agent_ids:
            raise RuleError("invalid", part=part, index=index, key="agent")
        if team_id is not None and team_id not in choices.team_ids:
            raise RuleError("invalid", part=part, index=index, key="team")
        if (
            agent_id is not None
            and team_id is not None
            and agent_id not in choices.team_agents.get(team_id, ())
        ):
            raise RuleError("not_in_team", part=part, index=index, key="agent")
        return {"type": kind, "agent": agent_id, "team": team_id}
    if kind in {"add_tag", "remove_tag"}:
        data = _keys(item, {"type", "value"}, part=part, index=index)
        tag = choices.normalise_tag(_text(data.get("value"), MAX_TEXT, part=part, index=index, key="value"))
        if not tag:
            raise RuleError("invalid", part=part, index=index, key="value")
        return {"type": kind, "value": tag}
    if kind == "set_priority":
        data = _keys(item, {"type", "value"}, part=part, index=index)
        priority = _int(data.get("value"), part=part, index=index, key="value")
        if priority not in choices.priorities:
            raise RuleError("invalid", part=part, index=index, key="value")
        return {"type": kind, "value": priority}
    if kind == "set_status":
        data = _keys(item, {"type", "value"}, part=part, index=index)
        if not isinstance(data.get("value"), str) or data["value"] not in choices.statuses:
            raise RuleError("invalid", part=part, index=index, key="value")
        return {"type": kind, "value": data["value"]}
    if kind == "send_mail":
        data = _keys(item, {"type", "subject", "body"}, part=part, index=index)
        subject = _text(
            data.get("subject"), MAX_SUBJECT, part=part, index=index, key="subject", required=False
        )
        body = _text(data.get("body"), MAX_BODY, part=part, index=index, key="body")
        for key, text in (("subject", subject), ("body", body)):
            if unknown_variables(text):
                raise RuleError("unknown_variable", part=part, index=index, key=key)
        return {"type": kind, "subject": subject, "body": body}
    if kind == "notify":
        data = _keys(item, {"type", "agents", "assignee", "text"}, part=part, index=index)
        raw_agents = data.get("agents") or []
        if not isinstance(raw_agents, Sequence) or isinstance(raw_agents, str | bytes):
            raise RuleError("invalid", part=part, index=index, key="agents")
        if len(raw_agents) > MAX_NOTIFY_AGENTS:
            raise RuleError("too_many", part=part, index=index, key="agents")
        agents = sorted({_int(a, part=part, index=index, key="agents") for a in raw_agents})
        if any(a not in choices.agent_ids for a in agents):
            raise RuleError("invalid", part=part, index=index, key="agents")
        assignee = data.get("assignee", False)
        if not isinstance(assignee, bool):
            raise RuleError("invalid", part=part, index=index, key="assignee")
        if not agents and not assignee:
            raise RuleError("required", part=part, index=index, key="agents")
        text = _text(data.get("text"), MAX_NOTICE, part=part, index=index, key="text")
        return {"type": kind, "agents": agents, "assignee": assignee, "text": text}
    data = _keys(item, {"type", "endpoint"}, part=part, index=index)  # webhook
    endpoint = _int(data.get("endpoint"), part=part, index=index, key="endpoint")
    if endpoint not in choices.webhook_ids:
        raise RuleError("invalid", part=part, index=index, key="endpoint")
    return {"type": kind, "endpoint": endpoint}


# ---------------------------------------------------------------- matching


@dataclass(frozen=True, slots=True)
class Facts:
    """A ticket as a trigger sees it (and the message of the event, when there is one)."""

    channel: str
    priority: int
    status: str
    team_id: int | None
    assignee_id: int | None
    tags: frozenset[str]
    language: str
    subject: str
    message: str
    tier: str
    automatic: bool
    number: int = 0
    customer_name: str = ""
    # What assist read: the customer's latest message (sentiment, emotion, anger 0..1, None before
    # any reading) and every intent found in their messages so far.
    sentiment: str = ""
    emotion: str = ""
    anger: float | None = None
    intents: frozenset[str] = frozenset()


def _condition_holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    name, op, value = condition["field"], condition["op"], condition.get("value")
    if op == "is_empty":
        return getattr(facts, f"{name}_id") is None
    if op == "is_not_empty":
        return getattr(facts, f"{name}_id") is not None
    if op == "is_true":
        return facts.automatic
    if op == "is_false":
        return not facts.automatic
    if name == "tags":
        return (value in facts.tags) == (op == "include")
    if name in {"subject", "message"}:
        found = str(value).casefold() in getattr(facts, name).casefold()
        return found == (op == "contains")
    if name == "intent":
        return (value in facts.intents) == (op == "include")
    if name == "anger":
        # No reading yet (assist has not read the customer, or could not): neither angry nor calm.
        if facts.anger is None:
            return False
        threshold = float(value or 0)
        return facts.anger >= threshold if op == "at_least" else facts.anger <= threshold
    actual: Any = {
        "channel": facts.channel,
        "priority": facts.priority,
        "status": facts.status,
        "team": facts.team_id,
        "assignee": facts.assignee_id,
        "language": facts.language.lower(),
        "tier": facts.tier.lower(),
        "sentiment": facts.sentiment,
        "emotion": facts.emotion,
    }[name]
    if op == "at_least":
        return int(actual) >= int(value or 0)
    if op == "at_most":
        return int(actual) <= int(value or 0)
    return (actual == value) == (op == "is")


def check(conditions: Sequence[Mapping[str, Any]], facts: Facts) -> list[bool]:
    """Whether each condition holds (a dry run shows each)."""
    return [_condition_holds(condition, facts) for condition in conditions]


def matches(conditions: Sequence[Mapping[str, Any]], facts: Facts) -> bool:
    """All conditions hold (no conditions: every ticket)."""
    return all(_condition_holds(condition, facts) for condition in conditions)


# ---------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class Step:
    """One action as it would run on this ticket: ``changes`` False when it would change nothing."""

    type: str
    changes: bool
    detail: dict[str, Any] = field(default_factory=dict)


def mail_values(facts: Facts) -> dict[str, str | None]:
    """The variables an automatic mail may use (the macros' names)."""
    return {
        "customer.first_name": first_name(facts.customer_name) or None,
        "customer.name": facts.customer_name or None,
        "ticket.number": str(facts.number),
        "ticket.subject": facts.subject,
        "agent.first_name": None,
        "agent.name": None,
    }


def render_mail(text: str, facts: Facts) -> str:
    return render(
        text, mail_values(facts), language=facts.language if facts.language in {"id", "en"} else "id"
    )


def plan(actions: Sequence[Mapping[str, Any]], facts: Facts) -> tuple[list[Step], Facts]:
    """What each action would do to the ticket, in order, and the ticket as they would leave it."""
    steps: list[Step] = []
    for action in actions:
        kind = action["type"]
        if kind == "assign":
            team = facts.team_id if action.get("team") is None else action["team"]
            agent = action.get("agent")
            # Moving team without naming an agent keeps the assignee only if the services allow it;
            # the plan shows the intent.
            assignee = facts.assignee_id if agent is None else agent
            changes = (team, assignee) != (facts.team_id, facts.assignee_id)
            steps.append(Step(kind, changes, {"team": action.get("team"), "agent": agent}))
            facts = replace(facts, team_id=team, assignee_id=assignee)
        elif kind == "add_tag":
            steps.append(Step(kind, action["value"] not in facts.tags, {"tag": action["value"]}))
            facts = replace(facts, tags=facts.tags | {action["value"]})
        elif kind == "remove_tag":
            steps.append(Step(kind, action["value"] in facts.tags, {"tag": action["value"]}))
            facts = replace(facts, tags=facts.tags - {action["value"]})
        elif kind == "set_priority":
            steps.append(Step(kind, facts.priority != action["value"], {"priority": action["value"]}))
            facts = replace(facts, priority=action["value"])
        elif kind == "set_status":
            steps.append(Step(kind, facts.status != action["value"], {"status": action["value"]}))
            facts = replace(facts, status=action["value"])
        elif kind == "send_mail":
            subject = render_mail(action.get("subject") or "", facts) or facts.subject
            body = render_mail(action["body"], facts)
            steps.append(Step(kind, not facts.automatic, {"subject": subject, "body": body}))
        elif kind == "notify":
            agents = list(action.get("agents") or [])
            if action.get("assignee") and facts.assignee_id is not None and facts.assignee_id not in agents:
                agents.append(facts.assignee_id)
            steps.append(Step(kind, bool(agents), {"agents": agents, "text": action["text"]}))
        else:
            steps.append(Step(kind, True, {"endpoint": action["endpoint"]}))
    return steps, facts


# ---------------------------------------------------------------- loop safety


@dataclass(slots=True)
class Budget:
    """One cause's firings: each trigger at most once per ticket, and at most ``cap`` in all."""

    cap: int
    fired: set[tuple[int, int]] = field(default_factory=set)  # (trigger id, ticket id)
    count: int = 0
    exhausted: bool = False

    def may_fire(self, trigger_id: int, ticket_id: int) -> bool:
        return (trigger_id, ticket_id) not in self.fired

    def spend(self, trigger_id: int, ticket_id: int) -> bool:
        """Record a firing; False (and ``exhausted``) once the cap is reached."""
        if self.count >= self.cap:
            self.exhausted = True
            return False
        self.fired.add((trigger_id, ticket_id))
        self.count += 1
        return True
