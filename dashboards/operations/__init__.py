"""The operations dashboard: orders waiting to ship, time to ship, returns and payment failures."""
