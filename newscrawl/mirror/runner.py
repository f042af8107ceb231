"""Run `scrapy crawl` through a mirror, as a user would: a child process with the proxy set.

Used by the demo, the tests and the benchmark. The spider gets no mirror-specific argument:
only the standard proxy variables and the throttle-free settings of MIRROR_CRAWL_SETTINGS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscrawl.mirror import MIRROR_CRAWL_SETTINGS

PROJECT_DIR = Path(__file__).parents[2]


@dataclass
class CrawlResult:
    returncode: int
    report: dict[str, Any]
    log: str

    @property
    def stats(self) -> dict[str, Any]:
        return self.report.get("stats", {})

    def newscrawl_stats(self) -> dict[str, int]:
        return {k: v for k, v in self.stats.items() if k.startswith("newscrawl/")}


def crawl_command(
    proxy_url: str,
    out_dir: Path,
    spider: str = "finews",
    spider_args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The `scrapy crawl` command line and environment for a crawl through the mirror."""
    out_dir.mkdir(parents=True, exist_ok=True)
    all_settings = {
        **MIRROR_CRAWL_SETTINGS,
        "NEWSCRAWL_DB": str(out_dir / "newscrawl.db"),
        "NEWSCRAWL_JSONL": str(out_dir / "articles.jsonl"),
        "NEWSCRAWL_REPORT": str(out_dir / "last-run.json"),
        **(settings or {}),
    }
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    for key, value in (spider_args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "all_proxy")}
    env.update(http_proxy=proxy_url, https_proxy=proxy_url, SCRAPY_SETTINGS_MODULE="newscrawl.settings")
    return cmd, env


def crawl_through_mirror(
    proxy_url: str,
    out_dir: Path,
    spider: str = "finews",
    spider_args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    log_file: Path | None = None,
) -> CrawlResult:
    """Crawl with the archive, JSONL and report in `out_dir`; returns the report and log."""
    cmd, env = crawl_command(proxy_url, out_dir, spider, spider_args, settings)
    report_path = Path((settings or {}).get("NEWSCRAWL_REPORT") or out_dir / "last-run.json")
    report_path.unlink(missing_ok=True)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=PROJECT_DIR)
    log = proc.stdout + proc.stderr
    if log_file is not None:
        log_file.write_text(log, encoding="utf-8")
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else {}
    return CrawlResult(proc.returncode, report, log)


def worker_command(proxy_url: str, out_dir: Path, redis_url: str, spider: str = "finews",
                   spider_args: dict[str, str] | None = None,
                   settings: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """A distributed worker's `scrapy crawl` through the mirror: its report in `out_dir`, and
    NEWSCRAWL_DB naming a file that does not exist (a worker has no archive)."""
    return crawl_command(proxy_url, out_dir, spider, spider_args, {
        "NEWSCRAWL_REDIS_URL": redis_url, "NEWSCRAWL_DB": str(out_dir / "no-archive-here" / "newscrawl.db"),
        **(settings or {})})


def archiver_command(out_dir: Path, redis_url: str, wait: float = 60.0,
                     settings: dict[str, str] | None = None) -> tuple[list[str], dict[str, str]]:
    """`scrapy archiver` writing the archive, JSONL and report into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    all_settings = {**MIRROR_CRAWL_SETTINGS, "NEWSCRAWL_REDIS_URL": redis_url,
                    "NEWSCRAWL_DB": str(out_dir / "newscrawl.db"), "NEWSCRAWL_JSONL": str(out_dir / "articles.jsonl"),
                    "NEWSCRAWL_REPORT": str(out_dir / "last-run.json"), **(settings or {})}
    cmd = [sys.executable, "-m", "scrapy", "archiver", "--wait", str(wait)]
    for key, value in all_settings.items():
        cmd += ["-s", f"{key}={value}"]
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"}
    return cmd, env


def start(command: tuple[list[str], dict[str, str]], log: Path) -> subprocess.Popen[bytes]:
    """A command of the above in its own process, its output in `log`."""
    cmd, env = command
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, cwd=PROJECT_DIR, stdout=out, stderr=subprocess.STDOUT)


def start_redis(directory: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """A redis-server on 127.0.0.1:`port` keeping nothing on disk (its working directory
    `directory`), once it answers: the process and its URL. RuntimeError if it does not start."""
    import socket
    import time

    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")
