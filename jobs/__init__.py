"""Background work: event handlers by name, the outbox relay, the RQ worker and the schedule."""
