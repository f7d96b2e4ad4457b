"""Errors raised while rendering a bulletin.

Rendering is pure and deterministic, so every error here is *terminal*: running
the same call again gives the same result, and no caller should retry it.

::

    BulletinError                 base of the tree (terminal)
     ├── BulletinRefused          the month's data did not pass validation
     ├── BulletinDataError        the input does not have the promised shape
     └── BulletinFontError        the PDF fonts lack a character to print

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


class BulletinFontError(BulletinError):
    """The PDF would print characters its embedded fonts lack (as empty boxes).

    ``missing`` maps each character to where it occurs (e.g. a unit name). Add the
    characters to ``bulletins/fonts/extra_chars.txt``, rebuild the subsets with
    ``bulletins/fonts/make_subset.py`` and render again.
    """

    def __init__(self, missing: dict[str, list[str]]) -> None:
        self.missing = missing
        chars = "".join(sorted(missing))
        where = "; ".join(
            f"{ch} (U+{ord(ch):04X}) in {', '.join(p[:3])}" for ch, p in sorted(missing.items())
        )
        super().__init__(
            f"PDF 缺少字形，无法打印：{chars}；请把这些字加入 bulletins/fonts/extra_chars.txt 并运行 "
            f"make_subset.py。 The PDF fonts lack {len(missing)} character(s): {where}; add them to "
            "bulletins/fonts/extra_chars.txt and rebuild the subsets with make_subset.py"
        )
