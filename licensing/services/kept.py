"""What a process keeps of answers it worked out once: the last by key, up to `size` of them (or,
given `weigh`, up to `size` of their weight, bytes say), the least recently used let go first,
safe to share between a worker's threads. Each user says why what it keeps cannot go stale (a key
that holds the state it was worked out in)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    def __init__(self, size: int, weigh: Callable[[V], int] | None = None) -> None:
        self.size = size
        self._weigh = weigh
        self._weight = 0
        self._values: OrderedDict[K, V] = OrderedDict()
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            if key in self._values:
                self._weight -= self._weight_of(self._values.pop(key))
            if self._weight_of(value) > self.size:
                return  # it would push out everything else and then itself: not kept
            self._values[key] = value  # a new key: the most recently used
            self._weight += self._weight_of(value)
            while self._weight > self.size and self._values:
                _, gone = self._values.popitem(last=False)
                self._weight -= self._weight_of(gone)

    def _weight_of(self, value: V) -> int:
        return 1 if self._weigh is None else self._weigh(value)
