"""`scrapy mirror`: run the offline mirror proxy in the foreground.

    scrapy mirror [--port 8080] [--articles 300 --seed 1] [--site DIR [--share DIR]] [--faults 0.15]
                  [--repo DIR [--repo-name OWNER/NAME]]

Then crawl through it:
    http_proxy=http://127.0.0.1:8080 https_proxy=http://127.0.0.1:8080 scrapy crawl finews
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newscrawl.mirror.faults import Faults
from newscrawl.mirror.github import RepoBackend
from newscrawl.mirror.proxy import MirrorProxy
from newscrawl.mirror.sources import backend_from_options


class Command(ScrapyCommand):
    requires_project = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Serve an offline mirror of finews as an HTTP(S) proxy on 127.0.0.1"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0: any free port)")
        parser.add_argument("--articles", type=int, default=300, help="generated site: number of articles (10-100000)")
        parser.add_argument("--seed", type=int, default=1, help="generated site: random seed")
        parser.add_argument("--site", help="serve this saved static site instead of a generated one")
        parser.add_argument("--share", help="with --site: directory of share answers (<id>.json)")
        parser.add_argument("--repo", help="also serve this directory as the site's GitHub repository "
                            "(api.github.com's trees API, raw.githubusercontent.com) for `scrapy crawl history`")
        parser.add_argument("--repo-name", default="zning1994/finews", help="with --repo: OWNER/NAME it answers for")
        parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                            help="wait this long before every answer (a server far away; benchmarks)")
        parser.add_argument("--request-log", action="store_true", help="print every request served")
        parser.add_argument("--faults", type=float, default=0.0,
                            help="fault mode: this share of requests gets a 5xx, 429, timeout, reset or truncated body")
        parser.add_argument("--fault-seed", type=int, default=1, help="fault mode: the seed (runs are reproducible)")
        parser.add_argument("--fault-delay", type=float, default=60.0, help="fault mode: seconds a timeout hangs")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("mirror takes no positional arguments")
        try:
            backend, description = backend_from_options(opts.site, opts.share, opts.articles, opts.seed)
        except (ValueError, FileNotFoundError) as exc:
            raise UsageError(str(exc)) from exc
        if opts.request_log:
            logging.basicConfig(level=logging.DEBUG, format="%(message)s")
            logging.getLogger("newscrawl.mirror.proxy").setLevel(logging.DEBUG)
        if not 0 <= opts.faults <= 1:
            raise UsageError("--faults is a rate between 0 and 1")
        repo = None
        if opts.repo:
            owner, _, name = opts.repo_name.partition("/")
            if not owner or not name:
                raise UsageError("--repo-name is OWNER/NAME")
            try:
                repo = RepoBackend(opts.repo, owner, name)
            except FileNotFoundError as exc:
                raise UsageError(str(exc)) from exc
            description += f"; GitHub repository {opts.repo_name} from {opts.repo}"
        if opts.latency < 0:
            raise UsageError("--latency is seconds, 0 or more")
        proxy = MirrorProxy(backend, faults=Faults(opts.faults, opts.fault_seed, opts.fault_delay), repo=repo,
                            latency=opts.latency)

        async def main() -> None:
            port = await proxy.start("127.0.0.1", opts.port)
            print(f"newscrawl mirror: {description}")
            print(f"listening on http://127.0.0.1:{port} (http and https via CONNECT)")
            print(f"crawl it: http_proxy=http://127.0.0.1:{port} https_proxy=http://127.0.0.1:{port} "
                  "scrapy crawl finews -s AUTOTHROTTLE_ENABLED=0", flush=True)
            await asyncio.Event().wait()

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            pass
