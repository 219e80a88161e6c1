"""Read-side queries and rollups used by the dashboards and exports."""
