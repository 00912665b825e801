"""Logging for a plugin: one JSON object per line on stderr, with ``level``
and ``message``, which vk-host forwards into its own log at that level.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import TextIO


class JsonFormatter(logging.Formatter):
    """Formats a record as ``{"time", "level", "target", "message"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "target": record.name,
            "message": message,
        }
        return json.dumps(entry, ensure_ascii=False)


class LossyStreamHandler(logging.StreamHandler[TextIO]):
    """A stream handler that drops what it cannot write.

    Once the host is gone stderr is a broken pipe; a failed log write must
    not raise into (or print tracebacks from) the code that logged.
    """

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        """Drop the record silently."""


def configure_logging(level: int | str = logging.INFO) -> None:
    """Send the root logger's records to stderr as JSON lines, at ``level`` and above."""
    handler = LossyStreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
