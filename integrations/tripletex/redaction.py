"""Keeps tokens out of log lines written by the HTTP stack underneath the client.

urllib3 logs every request line at DEBUG, query string included, and session creation carries both the
consumer token and the employee token in its query string (Tripletex's API design, not ours). Turning on
DEBUG logging in production must not put them in the log.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAMS = re.compile(r"((?:consumerToken|employeeToken|token)=)[^&\s\"']+", re.IGNORECASE)


def redact_query(text: str) -> str:
    return _SECRET_PARAMS.sub(r"\1***", text)


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact_query(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        return True


def install() -> None:
    target = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactTokensFilter) for f in target.filters):
        target.addFilter(RedactTokensFilter())
