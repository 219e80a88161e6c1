"""The customers dashboard: new and returning customers, cohorts, lifetime value, the map."""
