"""Errors of the store, with messages that say what to do."""


class StoreError(RuntimeError):
    """The store cannot be reached, started or migrated."""
