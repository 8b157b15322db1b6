"""Per-user caps on long responses (CSV exports, event streams) open in this process.

A long response occupies a socket and, while it runs, a share of the process;
one user opening hundreds of them must not slow everyone else down. Over the
cap the request is refused before anything is read (429 with Retry-After).
The count is per process: with API_PROCESSES=N a user may hold N times the cap.
"""

import weakref
from collections import Counter

from service.errors import TooManyOpen


class Slot:
    """One open long response; `release` is idempotent (the response's end and its garbage collection both call it)."""

    __slots__ = ("__weakref__", "_limits", "_released", "_user_id")

    def __init__(self, limits: "PerUserSlots", user_id: str) -> None:
        self._limits = limits
        self._user_id = user_id
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._limits.give_back(self._user_id)

    def release_with(self, owner: object) -> None:
        """Release when `owner` (the response's body iterator) is garbage collected, if nothing did before:
        a body that never started (the client left first) never runs its own cleanup."""
        weakref.finalize(owner, self.release)


class PerUserSlots:
    def __init__(self, limit: int, what: str) -> None:
        self.limit = limit
        self._what = what
        self._open: Counter[str] = Counter()

    def take(self, user_id: str) -> Slot:
        """A slot for one more response of `user_id`; TooManyOpen (429) when the user is at the cap."""
        if self._open[user_id] >= self.limit:
            raise TooManyOpen(f"You already have {self.limit} {self._what} open; close one and try again")
        self._open[user_id] += 1
        return Slot(self, user_id)

    def give_back(self, user_id: str) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]

    def open_for(self, user_id: str) -> int:
        return self._open[user_id]
