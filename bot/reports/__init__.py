"""Supervisor reports: tickets and hand-offs over time, as charts, tables, JSON and CSV."""
