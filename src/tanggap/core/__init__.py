"""Shared kernel: base model, errors with codes, audit log, events, blobs, text, background work."""
