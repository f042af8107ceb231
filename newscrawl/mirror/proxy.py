"""An HTTP/1.1 forward proxy on loopback that answers itself for the mirrored hostnames.

Plain http arrives as absolute-form requests (`GET http://host/path`); https arrives as
`CONNECT host:443`, after which the proxy speaks TLS with its own self-signed certificate
and reads ordinary requests from the tunnel. Any other host is refused (HTTP 403) and
logged: the mirror never connects anywhere.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs, unquote, urlsplit

from newscrawl.mirror.faults import Faults
from newscrawl.mirror.github import RepoBackend
from newscrawl.mirror.http import SHARE_SHELL, Backend, MirrorResponse
from newscrawl.mirror.tls import server_context
from newscrawl.parsing.github import GITHUB_HOSTS
from newscrawl.parsing.urls import SHARE_HOSTS, SITE_HOSTS

logger = logging.getLogger(__name__)
_MAX_HEADER_LINES = 100
_MAX_BODY = 1 << 20  # the site is read-only: nothing legitimate sends a large body
_IDLE_SECONDS = 120.0


class BadRequest(ValueError):
    """A request the proxy cannot read; answered with 400 and the connection closed."""


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    scheme: str
    host: str
    target: str
    status: int
    user_agent: str = ""
    fault: str = ""  # fault mode: what was done instead of answering
    at: float = 0.0  # time.monotonic() when the request was answered


class MirrorProxy:
    """Serve `backend` for the site and share hosts (and `repo` for GitHub's); log every request
    in `requests`."""

    def __init__(self, backend: Backend, hosts: Iterable[str] = (*SITE_HOSTS, *SHARE_HOSTS),
                 faults: Faults | None = None, repo: RepoBackend | None = None, latency: float = 0.0) -> None:
        self.backend = backend
        self.faults = faults or Faults()
        self.latency = latency  # seconds before every answer: a server far away (benchmarks)
        self.repo = repo
        self.hosts = frozenset(h.lower() for h in (*hosts, *(GITHUB_HOSTS if repo is not None else ())))
        self.requests: list[LoggedRequest] = []
        self._tls: ssl.SSLContext | None = None
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    # --- running -----------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._tls = server_context(sorted(self.hosts))
        self._server = await asyncio.start_server(self._serve_connection, host, port, limit=2**20)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def serve_forever(self, host: str = "127.0.0.1", port: int = 0) -> None:
        await self.start(host, port)
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    def start_in_thread(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Run the proxy on its own event loop in a daemon thread; returns the port."""
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self.start(host, port))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="newscrawl-mirror", daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("mirror did not start")
        return self.port

    def stop(self) -> None:
        if self._loop is None:
            return

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- protocol ----------------------------------------------------------------------
    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tunnel_host: str | None = None
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await asyncio.wait_for(self._read_head(reader), _IDLE_SECONDS)
                    if head is None:
                        break
                    method, target, headers = head
                    await self._skip_body(reader, headers)
                except BadRequest as exc:
                    self._log("?", "http", "?", str(exc)[:200], 400)
                    await self._write(writer, MirrorResponse.html("bad request", 400), close=True)
                    break
                if method == "CONNECT":
                    host = target.rsplit(":", 1)[0].strip("[]").lower()
                    if host not in self.hosts:
                        self._log(method, "https", host, target, 403)
                        await self._write(writer, MirrorResponse.html("not mirrored", 403), close=True)
                        break
                    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    await writer.drain()
                    assert self._tls is not None
                    await writer.start_tls(self._tls)
                    tunnel_host = host
                    continue
                scheme, host, path = self._locate(target, headers, tunnel_host)
                fault = self.faults.draw(host, urlsplit(path).path) if host in self.hosts else None
                if fault in ("timeout", "reset"):
                    self._log(method, scheme, host, path, 0, headers.get("user-agent", ""), fault)
                    if fault == "timeout":
                        await asyncio.sleep(self.faults.delay)
                    writer.transport.abort()
                    break
                if fault in ("500", "503", "429"):
                    self._log(method, scheme, host, path, int(fault), headers.get("user-agent", ""), fault)
                    headers_out = {"Retry-After": "1"} if fault != "500" else {}
                    await self._write(writer, MirrorResponse(int(fault), b"fault", headers=headers_out))
                    continue
                response = self._respond(method, scheme, host, path, headers.get("if-none-match"),
                                         headers.get("user-agent", ""))
                if fault == "truncated" and response.body:
                    self.requests[-1] = dataclasses.replace(self.requests[-1], fault=fault)
                    # The promised length is never reached: the client sees a partial body.
                    head = response.body[: len(response.body) // 2]
                    await self._write(writer, MirrorResponse(response.status, head, response.content_type,
                                                             {**response.headers, "X-Fault": "truncated"}),
                                      close=True, declared_length=len(response.body))
                    writer.transport.abort()
                    break
                if response.delay or self.latency:
                    await asyncio.sleep(response.delay + self.latency)
                close = "close" in (headers.get("connection", "") + headers.get("proxy-connection", "")).lower()
                await self._write(writer, response, close=close, head_only=method == "HEAD")
                if close:
                    break
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            logger.debug("connection ended: %r", exc)
        except asyncio.CancelledError:  # stop(): end quietly instead of as a cancelled task
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    async def _skip_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise BadRequest("chunked request bodies are not supported")
        try:
            length = int(headers.get("content-length", "0") or 0)
        except ValueError as exc:
            raise BadRequest("bad Content-Length") from exc
        if not 0 <= length <= _MAX_BODY:
            raise BadRequest(f"Content-Length {length} out of range")
        if length:
            await reader.readexactly(length)

    @staticmethod
    async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]] | None:
        line = await reader.readline()
        while line in (b"\r\n", b"\n"):
            line = await reader.readline()
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise BadRequest(f"bad request line {line[:100]!r}")
        method, target, version = parts
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADER_LINES):
            raw = await reader.readline()
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if version == "HTTP/1.0" and "keep-alive" not in headers.get("connection", "").lower():
            headers["connection"] = "close"
        return method.upper(), target, headers

    @staticmethod
    def _locate(target: str, headers: dict[str, str], tunnel_host: str | None) -> tuple[str, str, str]:
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            path = parts.path or "/"
            return parts.scheme, (parts.hostname or "").lower(), path + (f"?{parts.query}" if parts.query else "")
        host = tunnel_host or headers.get("host", "").rsplit(":", 1)[0].lower()
        return ("https" if tunnel_host else "http"), host, target

    def _respond(self, method: str, scheme: str, host: str, target: str,
                 if_none_match: str | None = None, user_agent: str = "") -> MirrorResponse:
        parts = urlsplit(target)
        if host not in self.hosts:
            response = MirrorResponse.html("not mirrored", 403)
        elif method not in ("GET", "HEAD"):
            response = MirrorResponse.html("method not allowed", 405)
        else:
            try:
                if host in SITE_HOSTS:
                    response = self.backend.site_page(unquote(parts.path))
                elif host in GITHUB_HOSTS and self.repo is not None:
                    response = self.repo.answer(host, parts.path, parts.query)
                else:
                    response = self._share(parts.path, parts.query)
            except Exception:  # one bad page must not take the mirror's connection down
                logger.exception("mirror backend failed for %s%s", host, target)
                response = MirrorResponse.html("internal error", 500)
            if host in SITE_HOSTS and response.status == 200:
                # Like GitHub Pages: an ETag per page version, and 304 for a matching If-None-Match.
                etag = '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"'
                if if_none_match == etag:
                    response = MirrorResponse(304, b"", response.content_type, {"ETag": etag}, response.delay)
                else:
                    response = MirrorResponse(response.status, response.body, response.content_type,
                                              {**response.headers, "ETag": etag}, response.delay)
        self._log(method, scheme, host, target, response.status, user_agent)
        return response

    def _share(self, path: str, query: str) -> MirrorResponse:
        params = parse_qs(query)
        if path.endswith("/NewsShare.html"):
            return MirrorResponse.html(SHARE_SHELL)
        if path.endswith("/NewsData/GetNewsText.do") and params.get("id"):
            return self.backend.share_answer(params["id"][0])
        return MirrorResponse.html("not found", 404)

    def _log(self, method: str, scheme: str, host: str, target: str, status: int, user_agent: str = "",
             fault: str = "") -> None:
        self.requests.append(LoggedRequest(method, scheme, host, target, status, user_agent, fault, time.monotonic()))
        logger.debug("%s %s://%s%s -> %s", method, scheme, host, target, status)

    @staticmethod
    async def _write(
        writer: asyncio.StreamWriter, response: MirrorResponse, close: bool = False, head_only: bool = False,
        declared_length: int | None = None,
    ) -> None:
        reason = HTTPStatus(response.status).phrase
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body) if declared_length is None else declared_length}",
            "Server: newscrawl-mirror",
            f"Connection: {'close' if close else 'keep-alive'}",
            *(f"{k}: {v}" for k, v in response.headers.items()),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if not head_only:
            writer.write(response.body)
        await writer.drain()
