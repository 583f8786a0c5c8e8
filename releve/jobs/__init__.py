"""Batch jobs: read from the store, call the pure core, write back."""
