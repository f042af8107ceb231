"""Scrapy settings for newscrawl, and the NEWSCRAWL_* settings of its own components.

In the order of the data path: navigate (politeness, share links, captures, incremental
runs) -> item pipelines (validate, clean, dedup, store, jsonl) -> the run's record and report.
Defaults are polite to the live site; offline mirror runs (demo, tests, bench) override the
throttling on the command line, never in spider code.
"""

from newscrawl.parsing.urls import SHARE_HOSTS

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
COMMANDS_MODULE = "newscrawl.commands"

# === Navigate ================================================================================
# --- Politeness (the live site is a small GitHub Pages site): crawling/politeness.py ---------
# The User-Agent is `newscrawl/VERSION (+NEWSCRAWL_CONTACT_URL)`: set the URL where the site's
# operator can reach you. Setting USER_AGENT replaces the whole header.
NEWSCRAWL_CONTACT_URL = "https://github.com/newscrawl/newscrawl"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
RETRY_TIMES = 5
# Retries wait: as long as a 429/503's Retry-After asks (at most NEWSCRAWL_RETRY_MAX_WAIT), else
# 1, 2, 4 … seconds (NEWSCRAWL_RETRY_BACKOFF doubled per retry). The throttling host's download
# slot waits, not the crawl: requests of the hosts with the fewest requests in the downloader
# are handed out first, so a paused share host never fills the downloader.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
# The queue is on disk (a temporary directory, without JOBDIR): a busy category page lists
# tens of thousands of posts, and memory must not grow with the site (crawling/queue.py).
SCHEDULER = "newscrawl.crawling.queue.DiskQueueScheduler"
NEWSCRAWL_DISK_QUEUE = True
NEWSCRAWL_RETRY_BACKOFF = 1.0
NEWSCRAWL_RETRY_MAX_WAIT = 120.0
# A request that timed out is asked again this many times, not RETRY_TIMES: a page still
# coming after DOWNLOAD_TIMEOUT is dripping or hung (newscrawl/retry/timeout_not_retried).
NEWSCRAWL_TIMEOUT_RETRIES = 1
# Real pages are ~50 KB and answer in well under a second: a page still coming after 15 s is
# dripping, not slow. Bodies are capped (also after decompression: a gzip bomb stops there)
# far above any real page, and a large one is logged.
DOWNLOAD_TIMEOUT = 15
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# The site has no meta refresh, but its layout copies the post's HTML into og:description in
# <head>: a <meta http-equiv=refresh> in a post's content would redirect the post away.
METAREFRESH_ENABLED = False

# A feed or listing page longer than this is broken or hostile (jekyll-feed gives 10 entries; the
# busiest category page, 东财滚动, three days of posts — ~50,000 links for a 100,000-post site):
# only its first entries are followed (counted).
NEWSCRAWL_MAX_FEED_ENTRIES = 200
NEWSCRAWL_MAX_LISTING_LINKS = 200_000

# --- Share links: the source's full text and right publication time (spiders/sharing.py) ----
# Follow each post's share link to the JSON endpoint behind it.
NEWSCRAWL_FOLLOW_SHARE = True
# Only these hosts are ever asked for share answers; a share link elsewhere is counted
# (newscrawl/share/offsite) and never requested.
NEWSCRAWL_SHARE_HOSTS = list(SHARE_HOSTS)
# Where Eastmoney article links (…/news/1344,<id>.html, …/a/<id>.html) and bare ids are asked.
NEWSCRAWL_SHARE_DEFAULT_HOST = "finews.zning.xyz"
# A failed share answer is asked again by later runs after 1, 2, 4 … times this many seconds,
# at most this many times in all (crawling/share_retries.py); `-a refresh` starts again.
NEWSCRAWL_SHARE_RETRY_BACKOFF = 3600.0
NEWSCRAWL_SHARE_RETRY_ATTEMPTS = 5

# --- The site's repository (the `history` spider: spiders/history.py) -----------------------
# GitHub's API allows 60 requests an hour without a token, 5,000 with one (only the file
# listing uses the API; the files come from the raw host). GITHUB_TOKEN in the environment
# is used when this is empty. A rate limit that resets within NEWSCRAWL_GITHUB_MAX_WAIT
# seconds is waited for; a longer one ends the run (exit code 3) with the time to come back.
NEWSCRAWL_GITHUB_TOKEN = ""
NEWSCRAWL_GITHUB_CONCURRENCY = 4  # raw files at a time
NEWSCRAWL_GITHUB_MAX_WAIT = 600.0
# A local checkout is read where it lies and its sources built into pages in this many worker
# processes while the crawl process stores (empty: min(4, CPUs - 1); 0: all in the crawl).
NEWSCRAWL_PARSE_WORKERS = ""

# --- Downloader middlewares ----------------------------------------------------------------
# Raw captures (crawling/captures.py): every page and share answer kept in the archive, so
# articles can be re-parsed (`scrapy reparse`) after their pages vanished from the site. The
# replay middleware answers from the captures instead of the network; only `scrapy reparse`
# turns it on. Conditional requests (crawling/incremental.py) ask listings with their last
# capture's ETag / Last-Modified.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "newscrawl.crawling.politeness.ContactUserAgentMiddleware": 400,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newscrawl.crawling.politeness.BackoffRetryMiddleware": 550,
    "newscrawl.crawling.captures.ReplayMiddleware": 50,
    "newscrawl.crawling.captures.CaptureMiddleware": 500,  # after decompression and retries
    "newscrawl.crawling.incremental.ConditionalGetMiddleware": 520,  # a 304 becomes its capture before 500 sees it
}
NEWSCRAWL_CAPTURE = True
NEWSCRAWL_REPLAY = False

# --- Incremental runs (crawling/incremental.py) ----------------------------------------------
# Archived posts are not fetched again (unless `-a refresh=…` or their source text is missing),
# listings are asked conditionally (ETag / Last-Modified).
SPIDER_MIDDLEWARES = {
    "newscrawl.crawling.incremental.IncrementalSpiderMiddleware": 600,
}
NEWSCRAWL_INCREMENTAL = True

# === Item pipelines: validate -> clean -> dedup -> (times to infer) -> store -> append ==========
ITEM_PIPELINES = {
    "newscrawl.pipelines.validate.ValidateArticlePipeline": 100,
    "newscrawl.pipelines.clean.CleanArticlePipeline": 200,
    "newscrawl.pipelines.dedup.DedupArticlePipeline": 300,
    # After dedup (a story holds whole clusters), before the store (which indexes it).
    "newscrawl.pipelines.stories.StoryPipeline": 350,
    # Before the store: an article is marked pending in the transaction that stores it.
    "newscrawl.pipelines.timeline.InferTimesPipeline": 450,
    "newscrawl.pipelines.store.StoreArticlePipeline": 500,
    "newscrawl.pipelines.jsonl.AppendJsonlPipeline": 600,
}
# A post yields one article: Scrapy's default of 100 parallel item workers per response only
# costs task churn (measured: 8 is ~23 % faster on a 5,000-article mirror crawl).
CONCURRENT_ITEMS = 8

# Dedup: near-duplicates (processing/similarity.same_story) have a 3-gram Jaccard at or above
# the threshold, or the shorter text at least this contained in a longer one at most twice
# its length, with no new figure. Tuned on the real sample: bench/dedup_quality.py prints
# precision and recall.
NEWSCRAWL_NEAR_DUP_THRESHOLD = 0.6
NEWSCRAWL_NEAR_DUP_CONTAINMENT = 0.9
# Stories: write-ups of one event at most this far apart share a story (processing/stories.py).
NEWSCRAWL_STORY_WINDOW_HOURS = 36.0

# Validate: a time before this date, or more than this many days ahead, is no news's time: it
# is taken out (newscrawl/validate/implausible_date/<field>) and a plausible one used instead.
NEWSCRAWL_EARLIEST_DATE = "2000-01-01"
NEWSCRAWL_FUTURE_DAYS = 1.0

# Store: the SQLite archive (sqlite-utils); table `articles`, primary key `id`.
NEWSCRAWL_DB = "data/newscrawl.db"
# Articles are committed in groups of this many, and at least every this many seconds; a
# killed crawl loses at most the last group, which the next run fetches again.
NEWSCRAWL_COMMIT_EVERY = 1000
NEWSCRAWL_COMMIT_SECONDS = 2.0
# SQLite's page cache for the archive: the crawl grows by this much as the archive fills, and
# then stays flat. Measured (bench/pipeline_bench.py --cache-mib, 100,000 archived): 4 and 16 MiB
# store at the same rate (1,236 and 1,161 articles/s), and a no-op rerun, which reads every
# listed post's row, peaks 14 MiB lower with 4 than with 16 (bench/memory_bench.py, 20,000).
NEWSCRAWL_CACHE_MIB = 4

# Infer times: an article with its page's time only (no share answer or repository source;
# the page is 8 hours late for most posts) gets the page's time or 8 hours earlier, whichever
# its id-ordered neighbours agree with (provenance `inferred`), at the run's end; its JSONL
# line is written then.
NEWSCRAWL_INFER_TIMES = True

# Append: JSONL gets one line per article that is new or changed in the archive; optionally
# one file per fetch day (articles-YYYY-MM-DD.jsonl) and gzip (.jsonl.gz).
NEWSCRAWL_JSONL = "data/articles.jsonl"
NEWSCRAWL_JSONL_DAILY = False
NEWSCRAWL_JSONL_GZIP = False

# === The run: its row in `runs`, its report, gates and gap alarm (crawling/) =================
EXTENSIONS = {
    "scrapy.extensions.logstats.LogStats": None,
    "newscrawl.crawling.progress.ProgressExtension": 400,
    "newscrawl.crawling.report.RunReportExtension": 500,
    "newscrawl.crawling.runs.RunsExtension": 510,
    "newscrawl.crawling.sources.RepoSourcesExtension": 520,
    "newscrawl.crawling.redirects.RedirectLoopExtension": 530,
    "newscrawl.distributed.worker.WorkerExtension": 540,  # after CoreStats: leaves with its final stats
}
# A progress line in the log this often (pages, new articles, rate); it replaces LogStats's.
NEWSCRAWL_PROGRESS_SECONDS = 30.0
# JSON written when a crawl ends: finish reason, summary, gates, gap, all stats (empty: off).
NEWSCRAWL_REPORT = "data/last-run.json"
# Quality gates: a run failing one exits with code 3 (`scrapy crawl`), so cron and CI alert.
NEWSCRAWL_GATE_MIN_NEW = 1  # new articles, when the site listed posts never seen before
NEWSCRAWL_GATE_MAX_ERROR_RATE = 0.2  # failed requests / requests
NEWSCRAWL_GATE_MAX_SHARE_FAILURE_RATE = 0.5  # failed share answers / share answers asked
# How long the site keeps posts: a longer pause between good runs is flagged as a possible gap.
NEWSCRAWL_RETENTION_DAYS = 3

# Scrapy looks into every callback's source for a generator that returns a value, on every
# response: its cache is keyed by the bound method, a new one per request, so it parses the
# source each time (measured: a tenth of a backfill's time). Our callbacks return none.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Dropped items are expected (pages without articles); log them without warnings.
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Scheduled crawls need no interactive consoles listening on ports.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Distributed crawling (newscrawl/distributed/) --------------------------------------------
# A Redis URL makes a `scrapy crawl` a worker of the run on that Redis: scrapy-redis's scheduler
# and dupefilter, items handed to `scrapy archiver`, the single writer of the archive.
NEWSCRAWL_REDIS_URL = ""
NEWSCRAWL_REDIS_PREFIX = "newscrawl"  # of every key newscrawl keeps in Redis
# A worker that sends no heartbeat for this long is taken for dead (killed, its machine gone):
# the others stop waiting for it, and the archiver ends its run without it.
NEWSCRAWL_WORKER_TIMEOUT = 30
# How long `scrapy archiver` (without --follow) waits for a run to archive before it ends.
NEWSCRAWL_ARCHIVER_WAIT = 60.0
# One archiver per Redis: it holds a lock this long and renews it; a second one (or a restart
# after its machine died) waits this long for it to be free.
NEWSCRAWL_ARCHIVER_LOCK_SECONDS = 60
ADDONS = {"newscrawl.distributed.addon.WorkerAddon": 0}
