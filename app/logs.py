"""Logging without personal data: one line per record, tokens in URLs redacted (K1, K3)."""

from __future__ import annotations

import logging
import re

from flask import Flask

_TOKEN_IN_PATH = re.compile(r"(/(?:verify|notices)/)[^\s/?\"]+")


class RedactTokensFilter(logging.Filter):
    """Replace e-mailed tokens in request lines (the development server logs each path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = _TOKEN_IN_PATH.sub(r"\1[redacted]", str(record.msg))
        return True


class OneLineFormatter(logging.Formatter):
    """Escape line breaks so a crafted value can never forge a second log line."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


def init_app(app: Flask) -> None:
    logging.getLogger("werkzeug").addFilter(RedactTokensFilter())
    if not app.debug and not app.testing and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logging.basicConfig(level=logging.INFO, handlers=[handler])
