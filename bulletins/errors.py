"""Errors raised while rendering a bulletin.

Rendering is pure and deterministic, so every error here is *terminal*: running
the same call again gives the same result, and no caller should retry it.

::

    BulletinError                 base of the tree (terminal)
     ├── BulletinRefused          the month's data did not pass validation
     └── BulletinDataError        the input does not have the promised shape

Each error keeps its facts as attributes and builds its own message.
"""

from __future__ import annotations

from minyi.errors import Terminal


class BulletinError(Terminal):
    """Base of all bulletin rendering errors. Never transient."""

    transient: bool = False


class BulletinRefused(BulletinError):
    """The bulletin was not rendered because its data failed validation.

    A ranking that punishes people must not be published from data that did not
    pass the expectation suites; fix the data (see the data docs) and render again.
    """

    def __init__(self, month: str, data_docs_path: str | None = None) -> None:
        self.month = month
        self.data_docs_path = data_docs_path
        where = f"; see the data docs at {data_docs_path}" if data_docs_path else ""
        super().__init__(
            f"bulletin for {month} refused: the month's data did not pass validation{where}"
        )


class BulletinDataError(BulletinError, ValueError):
    """The bulletin data does not match the model (missing columns, bad month, ...)."""

    def __init__(self, what: str, problem: str) -> None:
        self.what = what
        self.problem = problem
        super().__init__(f"bulletin data: {what}: {problem}")
