"""Scheduling through scrapyd: a real scrapyd on loopback, the project deployed as an egg,
the spider scheduled through the JSON API, and the archive filled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from newscrawl.archive import Archive
from newscrawl.mirror import MIRROR_CRAWL_SETTINGS
from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.runner import PROJECT_DIR
from tests.conftest import free_port

BIN = Path(sys.executable).parent


def _api(base: str, path: str, data: dict | list | None = None, files: dict[str, bytes] | None = None) -> dict:
    if files:  # multipart/form-data, as addversion.json wants the egg
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (data or {}).items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, content in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}.egg"\r\n'
                         "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(base + path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    elif data is not None:
        request = urllib.request.Request(base + path, urllib.parse.urlencode(data).encode())
    else:
        request = urllib.request.Request(base + path)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_scrapyd_schedules_the_spider_and_the_archive_fills(serve, small_site: GeneratedSite, tmp_path: Path) -> None:
    proxy = serve(small_site)
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {tmp_path}/eggs\n"
        f"logs_dir = {tmp_path}/logs\nitems_dir =\ndbs_dir = {tmp_path}/dbs\npoll_interval = 0.2\n")
    # The crawls scrapyd starts inherit its environment: they reach the mirror through the proxy.
    env = {**os.environ, "http_proxy": proxy.url, "https_proxy": proxy.url}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    log = (tmp_path / "scrapyd.log").open("w")
    server = subprocess.Popen([str(BIN / "scrapyd")], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _api(base, "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "scrapyd.log").read_text()
                time.sleep(0.2)
        egg = tmp_path / "newscrawl.egg"
        subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)], cwd=PROJECT_DIR, check=True,
                       capture_output=True)
        added = _api(base, "addversion.json", {"project": "newscrawl", "version": "1"}, {"egg": egg.read_bytes()})
        assert added["status"] == "ok" and added["spiders"] == 3, added
        db = tmp_path / "archive" / "newscrawl.db"
        settings = {**MIRROR_CRAWL_SETTINGS, "NEWSCRAWL_DB": str(db), "NEWSCRAWL_JSONL": str(tmp_path / "archive" / "a.jsonl"),
                    "NEWSCRAWL_REPORT": str(tmp_path / "archive" / "last-run.json")}
        form = [("project", "newscrawl"), ("spider", "finews"), *(("setting", f"{k}={v}") for k, v in settings.items())]
        request = urllib.request.Request(base + "schedule.json", urllib.parse.urlencode(form).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            job = json.loads(response.read())["jobid"]
        deadline = time.monotonic() + 120
        while not any(j["id"] == job for j in _api(base, "listjobs.json?project=newscrawl")["finished"]):
            assert time.monotonic() < deadline, (tmp_path / "scrapyd.log").read_text()[-3000:]
            time.sleep(0.5)
        assert Archive(db).count() == 120
        report = json.loads((tmp_path / "archive" / "last-run.json").read_text(encoding="utf-8"))
        assert report["finish_reason"] == "finished" and report["summary"]["new"] == 120
    finally:
        server.terminate()
        server.wait(10)
        log.close()
