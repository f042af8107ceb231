"""Datasette and headless Chromium on loopback: what the reading room's tests and screenshots use.

`serve_datasette(db)` starts `datasette serve` on 127.0.0.1 (a free port) and stops it;
`load(url)` is a page's DOM after Chromium ran its scripts, and `screenshot(url, png)` the page
as a reader sees it. Chromium is Debian's package (`make install` installs it, and
fonts-noto-cjk for the Chinese text). It is told that no host but 127.0.0.1 exists, so a page
that refers to the internet (an article's images) fetches nothing, and it keeps its profile in a
temporary directory.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WINDOW = (1400, 1000)


class BrowserMissing(RuntimeError):
    pass


def chromium() -> str:
    """The Chromium executable; BrowserMissing says how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise BrowserMissing("Chromium is not installed: `make install` installs Debian's chromium and fonts-noto-cjk")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_datasette(db: Path, timeout: float = 30.0) -> Iterator[str]:
    """`datasette serve db` on 127.0.0.1 while the block runs: its base URL."""
    port = _free_port()
    # Its log goes to a file: a pipe nobody reads would stop a talkative server once full.
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([sys.executable, "-m", "datasette", "serve", str(db), "-h", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"datasette did not start: {log.read().decode(errors='replace')[-2000:]}") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _run(url: str, *arguments: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="newscrawl-chromium-") as profile:
        command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                   "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
                   # No host but 127.0.0.1 resolves, and a literal address goes to a proxy that is not there.
                   "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                   "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1",
                   f"--window-size={WINDOW[0]},{WINDOW[1]}", "--virtual-time-budget=3000", *arguments, url]
        env = {"HOME": profile, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=profile)


def load(url: str) -> str:
    """The page's DOM (serialized) once it loaded and its scripts ran."""
    done = _run(url, "--dump-dom")
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"chromium could not load {url}: {done.stderr[-1000:]}")
    return done.stdout


def screenshot(url: str, png: Path) -> Path:
    """A PNG of the page's first screen (WINDOW)."""
    png.parent.mkdir(parents=True, exist_ok=True)
    done = _run(url, f"--screenshot={png.resolve()}")
    if not png.exists():
        raise RuntimeError(f"chromium made no screenshot of {url}: {done.stderr[-1000:]}")
    return png
