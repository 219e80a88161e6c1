"""The shared core: models and services used by every face (back-office, API, dashboards, jobs).

Nothing in this package imports a face.
"""
