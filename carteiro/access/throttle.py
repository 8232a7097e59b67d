"""How fast wrong shared passwords are refused: one store per server process, shared by every
browser session, counted per client address and for the whole server.

* **Per address**: after :attr:`LoginThrottle.limit` (10) wrong passwords from one client
  address within :attr:`~LoginThrottle.window` (15 min), that address is refused for
  :attr:`~LoginThrottle.lockout` (15 min) — refused without the password being compared, so
  a guess made while locked out says nothing about the password.
* **Per server**: after :attr:`~LoginThrottle.server_limit` (100) wrong passwords from any
  addresses within the window, every address is refused for the lock-out time, so many
  addresses (or a rotating proxy) cannot guess in parallel: at most 100 guesses per 30 min,
  about 4.800 a day, whatever the number of attackers. Sessions already logged in are not
  affected; the price is that during such an attack nobody can log in with the password.
* **Between guesses**: the page waits :func:`failure_delay` after each wrong password.

Parallel guesses: :meth:`LoginThrottle.attempt` counts the attempt as a failure *before*
the password is compared (atomically, under a lock) and :meth:`LoginThrottle.succeeded` takes it
back, so 16 sessions guessing at the same instant cannot all slip under the limit.

The address is what the web server sees (``st.context.ip_address``): behind a reverse proxy on
the same machine that sets ``X-Forwarded-For``, the client's; behind one that does not, every
user shares the proxy's address (and one bad actor locks out the whole office for 15 min).
A successful login clears the failures of its address.

Pure Python (a clock can be injected), no Streamlit: unit-tested directly.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

LOCAL: Final = "local"  # the key of connections from this machine (no address given)
_PRUNE_ABOVE: Final = 1000  # forget idle addresses once the store holds this many


@dataclass(frozen=True)
class Attempt:
    """The throttle's answer to a password attempt."""

    allowed: bool
    address: str
    stamp: float  # when it was asked (the reservation to take back on success)
    failures: int = 0  # failures of the address in the window, this attempt included
    retry_at: float | None = None  # refused: when the lock-out ends (clock time)
    scope: Literal["address", "server"] | None = None  # refused: whose lock-out


class LoginThrottle:
    """Failed password attempts per client address and per server (thread-safe)."""

    def __init__(self, *, limit: int = 10, server_limit: int = 100, window: float = 900.0,
                 lockout: float = 900.0, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.server_limit = server_limit
        self.window = window
        self.lockout = lockout
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._server_failures: deque[float] = deque()
        self._server_locked_until = 0.0

    @staticmethod
    def key(address: str | None) -> str:
        """The store's key of a client address (``None``: this machine)."""
        return address.strip() if address and address.strip() else LOCAL

    def attempt(self, address: str | None) -> Attempt:
        """May ``address`` try a password now? When it may, the attempt is counted as a
        failure until :meth:`succeeded` says otherwise."""
        key = self.key(address)
        with self._lock:
            now = self._clock()
            self._expire(now)
            if self._server_locked_until > now:
                return Attempt(False, key, now, len(self._failures.get(key, ())),
                               self._server_locked_until, "server")
            until = self._locked_until.get(key, 0.0)
            if until > now:
                return Attempt(False, key, now, len(self._failures.get(key, ())), until,
                               "address")
            failures = self._failures.setdefault(key, deque())
            failures.append(now)
            self._server_failures.append(now)
            if len(failures) >= self.limit:
                self._locked_until[key] = now + self.lockout
            if len(self._server_failures) >= self.server_limit:
                self._server_locked_until = now + self.lockout
            return Attempt(True, key, now, len(failures))

    def succeeded(self, attempt: Attempt) -> None:
        """The password of ``attempt`` was right: take its failure back and clear the
        address's record."""
        with self._lock:
            self._failures.pop(attempt.address, None)
            self._locked_until.pop(attempt.address, None)
            with contextlib.suppress(ValueError):  # already expired
                self._server_failures.remove(attempt.stamp)
            if len(self._server_failures) < self.server_limit:
                self._server_locked_until = 0.0

    def failures(self, address: str | None) -> int:
        """Failed attempts of ``address`` within the window."""
        with self._lock:
            self._expire(self._clock())
            return len(self._failures.get(self.key(address), ()))

    def _expire(self, now: float) -> None:
        """Drop failures older than the window (callers hold the lock)."""
        oldest = now - self.window
        while self._server_failures and self._server_failures[0] <= oldest:
            self._server_failures.popleft()
        if len(self._failures) > _PRUNE_ABOVE:
            for key in [k for k, v in self._failures.items()
                        if (not v or v[-1] <= oldest) and self._locked_until.get(k, 0) <= now]:
                del self._failures[key]
                self._locked_until.pop(key, None)
        for failures in self._failures.values():
            while failures and failures[0] <= oldest:
                failures.popleft()


def failure_delay(failures: int) -> float:
    """Seconds the page waits after the n-th wrong password of an address: 0.5, 1, 2, 4,
    then 8."""
    if failures <= 0:
        return 0.0
    return float(min(8.0, 0.5 * 2 ** (failures - 1)))
