"""Inventory: warehouses, stock per variant and warehouse, reservations and the stock ledger."""
