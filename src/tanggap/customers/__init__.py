"""Customers, their identities (e-mail, phone, chat/social handles) and organisations."""
