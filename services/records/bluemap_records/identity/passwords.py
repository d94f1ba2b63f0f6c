"""Password hashing (argon2id) in a bounded pool of threads, so a login never stalls the event loop."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bluemap_shared.problems import Busy

# Verified when the user is unknown, so a login takes as long whether the account exists or not.
_DUMMY_PASSWORD = "not-a-real-password"
# Verifications that may wait for each thread: a few hundred milliseconds of queue, not an unbounded one.
WAITING_PER_THREAD = 8


class PasswordHashing:
    """argon2 runs in at most `threads` threads (it releases the GIL); the loop serves other requests meanwhile.

    At most `waiting` more wait for a thread; past that a login is refused at once (503, Retry-After) instead
    of queueing without end.
    """

    def __init__(self, threads: int, hasher: PasswordHasher | None = None, *, waiting: int | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._capacity = threads + (waiting if waiting is not None else WAITING_PER_THREAD * threads)
        self._in_use = 0
        self._dummy_hash: str | None = None

    async def _run(self, function: object, *args: str) -> object:
        if self._in_use >= self._capacity:
            raise Busy("Too many logins are being checked right now; try again in a moment.", retry_after=1)
        self._in_use += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)  # type: ignore[arg-type]
        finally:
            self._in_use -= 1

    async def hash(self, password: str) -> str:
        return str(await self._run(self._hasher.hash, password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when password matches password_hash; None (no such user) costs the same and is False."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(_DUMMY_PASSWORD)
        try:
            await self._run(self._hasher.verify, password_hash or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return bool(password_hash)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
