"""Event handlers. Each takes the event message, reloads state, calls one service, and is
idempotent."""
