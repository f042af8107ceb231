"""What a run did, whether it was good enough, and whether the archive may have a gap.

Pure functions over the crawl's stats (and the previous run's), used by the run report:
- summary(): new, revised, dropped by reason, errors by kind, share failures, duration, the
  window of publication times seen; summary_lines() says it in words (`scrapy crawl`, the demo);
- failed_gates(): the quality gates a run failed (settings NEWSCRAWL_GATE_*), which make
  `scrapy crawl` exit with code 3 so cron and CI alert;
- gap(): a possible hole in the archive — the last good run is older than the site's
  retention (posts vanish after ~3 days), or the oldest post listed now is newer than the
  newest post the last run saw — with the window that may be missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newscrawl.crawling.share_retries import NEVER_ASKED, OK

P = "newscrawl/"
FIRST_SEEN, LAST_SEEN = f"{P}window/first_published_at", f"{P}window/last_published_at"


@dataclass(frozen=True)
class Gates:
    min_new: int = 1  # when the site listed posts the archive lacked
    max_error_rate: float = 0.2  # failed requests / requests
    max_share_failure_rate: float = 0.5  # failed share answers / share answers asked
    min_sample: int = 20  # rates are judged over at least this many requests / answers


def _with(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): v for k, v in sorted(stats.items()) if k.startswith(prefix)}


def summary(stats: dict[str, Any]) -> dict[str, Any]:
    share = _with(stats, f"{P}share/")
    return {
        "new": stats.get(f"{P}store/new", 0),
        "revised": stats.get(f"{P}store/changed", 0),
        "deduplication": _with(stats, f"{P}dedup/"),
        "dropped": {**_with(stats, f"{P}validate/"),
                    **{f"page_{k}": v for k, v in _with(stats, f"{P}finews/page_dropped/").items()},
                    **{f"source_{k}": v for k, v in _with(stats, f"{P}history/source_dropped/").items()},
                    **{f"dedup_{k}": v for k, v in _with(stats, f"{P}dedup/").items() if k in ("same_url",)}},
        # Requests that failed for good (their errback ran): a request retried, then answered,
        # is no error; it is counted in `retried`.
        "errors": {**_with(stats, f"{P}finews/fetch_error/"), **_with(stats, f"{P}history/fetch_error/"),
                   **{f"listing_{k}": v for k, v in _with(stats, f"{P}history/listing_failed/").items()}},
        "retried": stats.get("retry/count", 0),
        "share_ok": share.get("ok", 0),
        "share_failures": {k: v for k, v in share.items() if k not in ("ok", "gave_up")},
        "share_gave_up": share.get("gave_up", 0),
        "pages": stats.get("response_received_count", 0),
        "requests": stats.get("downloader/request_count", 0),
        "duration_seconds": stats.get("elapsed_time_seconds"),
        "published_window": {"first": stats.get(FIRST_SEEN), "last": stats.get(LAST_SEEN)},
        "incremental": _with(stats, f"{P}incremental/"),
        "sources": {k: v for k, v in _with(stats, f"{P}history/").items() if "/" not in k},
    }


def summary_lines(report: dict[str, Any], articles: int | None = None, stories: int | None = None) -> list[str]:
    """The run in words: the first line says how it ended, the others are indented by two.

    `report` is the run report (finish_reason, summary, failed_gates, gap); `articles` and
    `stories`, when known, are the archive's totals after the run.
    """
    s = report["summary"]
    retried = f", {s['retried']:,} retried" if s.get("retried") else ""
    lines = [f"Crawl {report['finish_reason']}: {s['pages']:,} pages fetched in {s.get('duration_seconds') or 0:.1f} s"
             f"{retried}"]
    totals = f"; {articles:,} in the archive" if articles is not None else ""
    totals += f", {stories:,} stories" if stories is not None else ""
    lines.append(f"  articles: {s['new']:,} new, {s['revised']:,} revised{totals}")
    if s.get("deduplication"):
        lines.append("  deduplication: " + ", ".join(f"{k} {v:,}" for k, v in s["deduplication"].items()))
    skipped = s.get("incremental", {})
    if skipped.get("skipped") or skipped.get("not_modified"):
        lines.append(f"  incremental: {skipped.get('skipped', 0):,} links to archived posts not followed, "
                     f"{skipped.get('not_modified', 0):,} pages unchanged (304)")
    if skipped.get("skipped_sources"):
        lines.append(f"  incremental: {skipped['skipped_sources']:,} repository sources read before, not fetched again")
    if s.get("sources"):
        lines.append("  repository sources: " + ", ".join(f"{k} {v:,}" for k, v in s["sources"].items()))
    lines += _listed("dropped, by reason", s["dropped"])
    lines.append(f"  share links: {s['share_ok']:,} answered with the source's text and time"
                 + ("; the rest, archived from the post page alone:" if s["share_failures"] else ""))
    lines += [f"    {k}: {v:,}" for k, v in s["share_failures"].items()]
    if s.get("share_gave_up"):
        lines.append(f"    given up after their last attempt: {s['share_gave_up']:,}")
    lines += _listed("failed requests", s["errors"])
    for failure in report.get("failed_gates") or []:
        lines.append(f"  QUALITY GATE FAILED: {failure}")
    if report.get("gap"):
        gap_ = report["gap"]
        lines.append(f"  POSSIBLE GAP in the archive: {gap_['reason']} ({gap_['from']} to {gap_['to']})")
    return lines


def where_lines(where: dict[str, str | None]) -> list[str]:
    """Where a run wrote (label -> path; None: not written), aligned."""
    width = max((len(label) for label in where), default=0) + 1
    return [f"{label + ':':{width}} {path}" for label, path in where.items() if path]


def _listed(title: str, counts: dict[str, int]) -> list[str]:
    if not counts:
        return [f"  {title}: none"]
    return [f"  {title}:", *(f"    {k}: {v:,}" for k, v in counts.items())]


def failed_gates(stats: dict[str, Any], gates: Gates) -> list[str]:
    """Why the run is not good enough (empty: it is)."""
    failures = []
    requests = stats.get("downloader/request_count", 0)
    errors = sum(v for k, v in stats.items() if k.startswith(P) and "/fetch_error/" in k)
    if requests >= gates.min_sample and errors / requests > gates.max_error_rate:
        failures.append(f"error rate {errors}/{requests} = {errors / requests:.0%} > {gates.max_error_rate:.0%}")
    share = _with(stats, f"{P}share/")
    # Answers that failed before and are asked again (incremental runs) often fail again:
    # only the others count.
    # A give-up is the last failure of an answer already counted by its reason.
    retried = stats.get(f"{P}incremental/share_retried", 0)
    failed_share = max(0, sum(v for k, v in share.items() if k not in (OK, "gave_up", *NEVER_ASKED)) - retried)
    asked = failed_share + share.get("ok", 0)
    if asked >= gates.min_sample and failed_share / asked > gates.max_share_failure_rate:
        failures.append(f"share failures {failed_share}/{asked} = {failed_share / asked:.0%} "
                        f"> {gates.max_share_failure_rate:.0%}")
    # robots.txt forbidding everything makes a run that archives nothing and looks fine.
    forbidden = stats.get("robotstxt/forbidden", 0)
    if forbidden and not stats.get("downloader/response_count", 0) - stats.get("robotstxt/response_count", 0):
        failures.append(f"robots.txt forbade every request ({forbidden:,}): nothing was crawled")
    # The site listed posts never seen before (their pages were fetched for the first time),
    # yet too few new articles were archived.
    if stats.get(f"{P}capture/first_post", 0) and stats.get(f"{P}store/new", 0) < gates.min_new:
        failures.append(f"{stats.get(f'{P}store/new', 0)} new articles < {gates.min_new} while the site listed new posts")
    return failures


def gap(now: datetime, stats: dict[str, Any], previous: dict[str, Any] | None, retention: timedelta) -> dict[str, Any] | None:
    """A possible gap since the previous good run (`previous`: its finished_at and stats)."""
    if previous is None:
        return None
    finished = datetime.fromisoformat(previous["finished_at"])
    if now - finished > retention:
        return {"reason": f"the last good run finished {now - finished} ago, longer than the site keeps posts "
                          f"({retention})", "from": previous["finished_at"], "to": now.isoformat(timespec="seconds")}
    newest_before = (previous.get("stats") or {}).get(LAST_SEEN)
    oldest_now = stats.get(FIRST_SEEN)
    if newest_before and oldest_now and _time(oldest_now) > _time(newest_before):
        return {"reason": "the oldest post listed now is newer than the newest post the last run saw",
                "from": newest_before, "to": oldest_now}
    return None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)
