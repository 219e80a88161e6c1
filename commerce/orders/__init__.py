"""Orders and their lines: what was sold, to whom, for how much."""
