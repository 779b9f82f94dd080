"""Prefect flows: thin wiring of newsgraph's stage functions into tasks (no logic here)."""
