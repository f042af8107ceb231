"""The archiver's lock: one writer per Redis (per NEWSCRAWL_REDIS_PREFIX).

Two archivers taking one run's messages would each release the other's from `processing`
(each counts its own sequence), so a crash could lose messages, and two writers of one
archive file wait on each other's locks. An archiver holds a key with a time to live and
renews it; a second one waits for it to be free (an archiver that was killed stops renewing
it) and gives up when it is still held after the time to live.

The key holds `host:pid:namespace:random`: an archiver on the same machine (the same boot and
PID namespace: containers share host names) whose process is gone is known to be dead at once,
so a restart after a kill -9 does not wait. The holder renews the key from a thread of its own
(`keep`), so a long migration, commit or drain cannot let it lapse; `lost` says when another
archiver took it meanwhile (Redis unreachable past the time to live).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from functools import lru_cache
from pathlib import Path

import redis

from newscrawl.distributed import Keys

logger = logging.getLogger(__name__)

TTL_SECONDS = 60
RENEW_SECONDS = 10.0

# Renew the lock, or delete it, only while this archiver holds it.
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@lru_cache(maxsize=1)
def namespace() -> str:
    """This machine's boot and this process's PID namespace: where a pid means this process."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        pids = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return "unknown"
    return f"{boot}-{pids}"


def holder_gone(holder: str) -> bool:
    """Whether the archiver `holder` names ran here (this machine's boot and PID namespace)
    and its process has ended."""
    parts = holder.rsplit(":", 3)
    if len(parts) != 4 or not parts[1].isdigit() or parts[0] != socket.gethostname():
        return False
    if parts[2] != namespace() or parts[2] == "unknown":
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


class ArchiverLock:
    """The lock of the archiver of `keys`'s prefix on `client`."""

    def __init__(self, client: redis.Redis, keys: Keys, ttl: int = TTL_SECONDS) -> None:
        self.client = client
        self.key = f"{keys.prefix}:archiver"
        self.ttl = ttl
        self.me = f"{socket.gethostname()}:{os.getpid()}:{namespace()}:{secrets.token_hex(3)}"
        self.lost: str | None = None  # who took the lock while this archiver held it
        self._stop = threading.Event()

    def acquire(self, wait: float | None = None) -> str | None:
        """Take the lock, waiting up to `wait` seconds (the time to live by default) for its
        holder to stop: None when taken, else who holds it."""
        deadline = time.monotonic() + (self.ttl + 1 if wait is None else wait)
        said = False
        while True:
            if self.client.set(self.key, self.me, nx=True, ex=self.ttl):
                return None
            holder = (self.client.get(self.key) or b"").decode()
            if holder and holder_gone(holder):
                # Compare-and-delete: another archiver may have taken it meanwhile.
                self.client.eval(_RELEASE, 1, self.key, holder)
                continue
            if time.monotonic() >= deadline:
                return holder or "an archiver that just stopped"
            if not said:
                logger.warning("Another archiver (%s) holds %s: waiting up to %.0f s for it to stop", holder, self.key,
                               deadline - time.monotonic())
                said = True
            time.sleep(0.5)

    def renew(self) -> bool:
        """Renew the lock; False when this archiver no longer holds it."""
        return bool(self.client.eval(_RENEW, 1, self.key, self.me, self.ttl))

    def keep(self, every: float = RENEW_SECONDS) -> None:
        """Renew the lock every `every` seconds from a thread (its own Redis connection) until
        released."""
        client = redis.Redis(connection_pool=redis.ConnectionPool(**self.client.connection_pool.connection_kwargs))

        def renew() -> None:
            while not self._stop.wait(every):
                try:
                    if client.eval(_RENEW, 1, self.key, self.me, self.ttl):
                        continue
                    if client.set(self.key, self.me, nx=True, ex=self.ttl):
                        continue  # it had lapsed, and nobody took it
                    self.lost = (client.get(self.key) or b"another archiver").decode()
                    logger.error("Another archiver (%s) took the lock: this one stops", self.lost)
                    return
                except redis.RedisError as exc:
                    logger.warning("The archiver's lock was not renewed in Redis: %s", exc)

        threading.Thread(target=renew, name="archiver-lock", daemon=True).start()

    def release(self) -> None:
        self._stop.set()
        self.client.eval(_RELEASE, 1, self.key, self.me)
