"""Synthetic meters and labelled anomaly scenarios for tests and evaluation."""
