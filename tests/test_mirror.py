"""The offline mirror: a proxy that answers for the real hostnames, over http and https."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import pytest

from newscrawl.mirror.generator import GeneratedSite
from newscrawl.mirror.snapshot import SnapshotBackend
from newscrawl.mirror.sources import backend_from_options


def _proxy_get(port: int, url: str) -> tuple[int, bytes]:
    """GET an http URL through the proxy in absolute form, as Scrapy does for http_proxy."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        host = url.split("/")[2]
        sock.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return _read_response(sock)


def _read_response(sock: socket.socket | ssl.SSLSocket) -> tuple[int, bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _tunnel(port: int, host: str) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode())
    return sock, sock.recv(4096)


def _https_get(port: int, host: str, path: str) -> tuple[int, bytes, ssl.SSLSocket]:
    raw, answer = _tunnel(port, host)
    assert answer.startswith(b"HTTP/1.1 200")
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    tls = context.wrap_socket(raw, server_hostname=host)
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    status, body = _read_response(tls)
    return status, body, tls


@pytest.fixture
def site() -> GeneratedSite:
    return GeneratedSite(articles=30, seed=3)


def test_http_request_for_the_site_host_is_answered(serve, site: GeneratedSite) -> None:
    proxy = serve(site)
    status, body = _proxy_get(proxy.port, "http://finews.withounder.com/")
    assert status == 200 and "金融消息" in body.decode()


def test_https_through_connect_presents_a_certificate_for_the_real_host(serve, site: GeneratedSite) -> None:
    proxy = serve(site)
    status, body, tls = _https_get(proxy.port, "finews.withounder.com", "/feed.xml")
    cert = tls.getpeercert(binary_form=True)
    assert status == 200 and body.startswith(b"<?xml")
    assert cert and b"finews.withounder.com" in cert


def test_unknown_hosts_are_refused_and_logged(serve, site: GeneratedSite) -> None:
    proxy = serve(site)
    sock, answer = _tunnel(proxy.port, "www.example.com")
    sock.close()
    status, _ = _proxy_get(proxy.port, "http://www.example.com/")
    assert answer.startswith(b"HTTP/1.1 403") and status == 403
    assert [r.status for r in proxy.requests if r.host == "www.example.com"] == [403, 403]


def test_missing_pages_get_the_sites_404(serve, site: GeneratedSite) -> None:
    proxy = serve(site)
    status, body = _proxy_get(proxy.port, "http://finews.withounder.com/emnews/")
    assert status == 404 and "本站消息时效性为三天" in body.decode()


def test_share_endpoint_answers_json_for_every_article(serve, site: GeneratedSite) -> None:
    proxy = serve(site)
    article = site.articles[0]
    status, body = _proxy_get(
        proxy.port, f"http://finews.zning.xyz/NewsData/GetNewsText.do?id={article.share_id}"
    )
    answer = json.loads(body)
    assert status == 200 and answer["title"] == article.title and answer["text"]
    assert answer["showtime"] == article.published.strftime("%Y-%m-%d %H:%M:%S")
    assert _proxy_get(proxy.port, "http://finews.zning.xyz/NewsData/GetNewsText.do?id=NW1")[0] == 404


def test_generated_site_is_deterministic_from_its_seed() -> None:
    a, b, c = GeneratedSite(50, seed=5), GeneratedSite(50, seed=5), GeneratedSite(50, seed=6)
    assert a.site_page("/").body == b.site_page("/").body != c.site_page("/").body
    assert a.expected() == b.expected() != c.expected()


def test_generated_site_has_every_content_shape_and_quirk() -> None:
    site = GeneratedSite(400, seed=1)
    valid = [a for a in site.articles if not a.planted]
    assert {a.shape for a in valid} == {"A", "B", "C"}
    assert {a.nav for a in valid} == {"relative", "bare", "bare_joined", "category"}
    assert any(a.shifted for a in valid) and any(not a.shifted for a in valid)
    assert any(" " in a.slug for a in valid) and any(a.digest for a in valid)
    assert any("\u3000" in p for a in valid for p in a.paragraphs)
    assert any("&" in a.title for a in valid)
    split = next(a for a in valid if " " in a.slug)
    assert split.path.startswith("/" + "/".join(split.slug.lower().split()) + "/")
    own_page = site.site_page(f"/category/{split.slug}.html").body.decode()
    assert split.path not in own_page
    assert len(site.expected()) == 400


def test_article_count_is_bounded() -> None:
    with pytest.raises(ValueError):
        backend_from_options(None, None, 9, 1)
    with pytest.raises(ValueError):
        backend_from_options(None, None, 100_001, 1)


def test_snapshot_resolves_paths_like_github_pages(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text("home", encoding="utf-8")
    (tmp_path / "a" / "index.html").write_text("dir", encoding="utf-8")
    (tmp_path / "page.html").write_text("page", encoding="utf-8")
    (tmp_path / "404.html").write_text("gone", encoding="utf-8")
    backend = SnapshotBackend(tmp_path)
    assert backend.site_page("/").body == b"home"
    assert backend.site_page("/a/").body == b"dir"
    assert backend.site_page("/page").body == b"page"
    missing = backend.site_page("/../../etc/passwd")
    assert (missing.status, missing.body) == (404, b"gone")


def test_some_generated_pages_are_served_in_gbk(small_site: GeneratedSite) -> None:
    article = next(a for a in small_site.articles if a.gbk and not a.planted)
    response = small_site.site_page(article.path)
    assert response.content_type == "text/html; charset=gbk"
    assert article.title in response.body.decode("gb18030")


def test_unreadable_requests_get_400_and_backend_failures_500(serve, site: GeneratedSite) -> None:
    proxy = serve(site)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        assert _read_response(sock)[0] == 400

    class Broken:
        def site_page(self, path: str):
            raise RuntimeError("bug")

        def share_answer(self, share_id: str):
            raise RuntimeError("bug")

    broken = serve(Broken())
    assert _proxy_get(broken.port, "http://finews.withounder.com/")[0] == 500


def test_scrapy_mirror_serves_a_repository_as_github_does(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    from newscrawl.mirror.runner import PROJECT_DIR
    from newscrawl.parsing.github import blob_sha

    source = "---\ntitle: \"标题\"\n---\n正文\n"
    (tmp_path / "_posts").mkdir()
    (tmp_path / "_posts" / "2022-05-26-202205262200011681.md").write_text(source, encoding="utf-8")
    mirror = subprocess.Popen([sys.executable, "-m", "scrapy", "mirror", "--port", "0", "--articles", "10",
                               "--repo", str(tmp_path)], cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True)
    try:
        assert mirror.stdout is not None
        port = next(int(m[1]) for line in mirror.stdout if (m := re.search(r"127\.0\.0\.1:(\d+)", line)))
        status, body = _proxy_get(port, "http://api.github.com/repos/zning1994/finews/git/trees/HEAD?recursive=1")
        tree = json.loads(body)
        assert status == 200 and not tree["truncated"]
        assert {"path": "_posts/2022-05-26-202205262200011681.md", "mode": "100644", "type": "blob",
                "sha": blob_sha(source.encode()), "size": len(source.encode())} in tree["tree"]
        status, body = _proxy_get(port, "http://raw.githubusercontent.com/zning1994/finews/HEAD/_posts/"
                                        "2022-05-26-202205262200011681.md")
        assert status == 200 and body.decode() == source
        assert _proxy_get(port, "http://raw.githubusercontent.com/zning1994/finews/HEAD/../secret")[0] == 404
    finally:
        mirror.terminate()
        mirror.wait(10)
