"""Which decoder reads which topic: MQTT topic filters compiled once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from ingest.decoders import DECODERS, Decoded, DecodeOptions

Decoder = Callable[[str, bytes, datetime, DecodeOptions], Decoded]


def filter_pattern(topic_filter: str) -> re.Pattern[str]:
    """A regular expression matching the topics of an MQTT filter (``+`` and ``#``)."""
    parts = []
    for level in topic_filter.split("/"):
        if level == "+":
            parts.append("[^/]*")
        elif level == "#":
            parts.append(".*")
        else:
            parts.append(re.escape(level))
    pattern = "/".join(parts)
    if topic_filter.endswith("/#"):
        pattern = pattern[: -len("/.*")] + "(?:/.*)?"
    return re.compile(pattern)


class Router:
    """Topic -> decoder, first matching filter wins."""

    def __init__(self, topics: dict[str, str]) -> None:
        unknown = sorted(set(topics.values()) - set(DECODERS))
        if unknown:
            raise ValueError(f"unknown decoder(s) {unknown}; use one of {sorted(DECODERS)}")
        self._routes = [(filter_pattern(f), DECODERS[name]) for f, name in topics.items()]

    def decoder(self, topic: str) -> Decoder | None:
        """The decoder of ``topic``, None when no configured filter matches it."""
        for pattern, decoder in self._routes:
            if pattern.fullmatch(topic):
                return decoder
        return None
