"""Staff users, roles and the permission matrix."""
