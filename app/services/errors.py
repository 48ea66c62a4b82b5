"""The one error type services raise for an action their rules do not allow right now."""

from __future__ import annotations

from typing import Any


class RuleError(Exception):
    """An action the rules forbid now; ``message`` says why, in words fit for the person acting.

    The view shows the message and changes nothing (the transaction is rolled back).
    """

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)
