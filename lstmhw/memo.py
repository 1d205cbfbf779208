"""A memory of recent results, bounded by the bytes they hold: what grading remembers across a class."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class BoundedMemo:
    """Values by key, least recently used first out once they hold more than ``most_bytes``
    (each value's size is the caller's rough estimate); the newest entry always stays.
    ``get`` gives None for a key not held, so a value is never None."""

    __slots__ = ("most_bytes", "held", "_entries")

    def __init__(self, most_bytes: int) -> None:
        self.most_bytes = most_bytes
        self.held = 0  # bytes, roughly, held by the entries
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()  # key -> (value, size)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Any) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.held -= old[1]
        self._entries[key] = (value, size)
        self.held += size
        while self.held > self.most_bytes and len(self._entries) > 1:
            self.held -= self._entries.popitem(last=False)[1][1]
