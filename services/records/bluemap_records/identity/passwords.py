"""Password hashing (argon2id) in a bounded pool of threads, so a login never stalls the event loop."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Verified when the user is unknown, so a login takes as long whether the account exists or not.
_DUMMY_PASSWORD = "not-a-real-password"


class PasswordHashing:
    """argon2 runs in at most `threads` threads (it releases the GIL); the loop serves other requests meanwhile."""

    def __init__(self, threads: int, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="argon2")
        self._dummy_hash: str | None = None

    async def _run(self, function: object, *args: str) -> object:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)  # type: ignore[arg-type]

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
        return password_hash is not None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
