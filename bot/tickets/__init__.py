"""Tickets: complaints at agencies, their lifecycle, routing and notifications."""
