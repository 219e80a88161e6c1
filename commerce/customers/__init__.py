"""Customers: the people who buy from the shop."""
