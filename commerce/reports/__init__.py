"""On-demand and scheduled report files for managers: orders, sales by day, tax owed, inventory
valuation (tables.py), written as CSV or XLSX (files.py), and the weekly sales summary
(weekly.py). The jobs that run them live in jobs/reports.py."""
