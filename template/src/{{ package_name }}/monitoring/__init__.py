"""Metrics, structured logs and the signals the alert rules and dashboard are built on."""
