"""Errors of decoding, carrying a reason code and an actionable reason."""

from __future__ import annotations

from ingest.exceptions import StrictModeError


class DecodeError(StrictModeError):
    """One item of a payload cannot be decoded.

    Raised inside the decoders and turned into a :class:`Rejection` in lenient
    mode; raised to the caller in strict mode.
    """

    def __init__(self, reason_code: str, reason: str) -> None:
        super().__init__(reason)
        self.reason_code = reason_code
        self.reason = reason
