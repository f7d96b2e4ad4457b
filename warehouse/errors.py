"""Warehouse errors.

WarehouseError
 ├── SchemaError        the file is newer than this program, or not a minyi warehouse
 ├── InputFileError     an input file cannot be read at all (wrong columns, encoding…);
 │                      nothing from it is loaded
 └── WarehouseBusy      another process holds the live file
"""

from __future__ import annotations

from minyi.errors import MinyiError, Terminal, Transient


class WarehouseError(MinyiError):
    """Base of every warehouse error."""


class SchemaError(WarehouseError, Terminal):
    def __init__(self, found: int, supported: int) -> None:
        self.found = found
        self.supported = supported
        super().__init__(
            f"warehouse schema version {found} is newer than this program supports "
            f"({supported}); upgrade minyi"
        )


class InputFileError(WarehouseError, Terminal):
    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}; nothing was loaded")


class WarehouseBusy(WarehouseError, Transient):
    def __init__(self, path: str, detail: str) -> None:
        self.path = path
        super().__init__(
            f"{path} is open in another process ({detail}); staff should query "
            "the published copy instead"
        )
