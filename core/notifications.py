"""The words of notification: which message an alert event becomes, and how its delivery went."""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    """The message an alert event becomes (one template block each)."""

    OPENED = "opened"
    ESCALATED = "escalated"  # its severity rose: the only repeat of an alert
    REMINDER = "reminder"  # still open after the reminder delay
    RESOLVED = "resolved"  # "the flow has stopped"
    OUTAGE = "outage"  # operations: many meters of one source silent together


class DeliveryStatus(StrEnum):
    """Where one message (alert event, recipient, channel) stands, in the trade's words."""

    QUEUED = "queued"  # waiting for its time or its turn
    SENDING = "sending"  # claimed by a worker (until its lease runs out)
    SENT = "sent"  # handed to the server or the provider
    DELIVERED = "delivered"  # the receiver confirmed it (a webhook's 2xx)
    UNDELIVERED = "undelivered"  # the provider refused it for good
    BOUNCED = "bounced"  # the mail server rejected the address
    NOT_SENT = "not_sent"  # withheld by a rule: ``reason`` says which
    FAILED = "failed"  # every attempt failed: ``last_error`` says why


class NotSentReason(StrEnum):
    """Why a message was withheld."""

    OPTED_OUT = "opted_out"
    BELOW_MIN_SEVERITY = "below_min_severity"
    RATE_LIMIT = "rate_limit"
    QUIET_HOURS = "quiet_hours"
    GROUPED = "grouped"  # the same meter and type already went out in the digest window
    NO_REPEAT = "no_repeat"  # the same alert, not escalated
    ANSWERED = "answered"  # the customer said it is expected ("not a leak")
