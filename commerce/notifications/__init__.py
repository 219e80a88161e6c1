"""Email (SMTP) and SMS adapters, and the message templates."""
