"""Outbound webhooks: subscriptions to ticket events, delivered by the worker with an HMAC signature."""
