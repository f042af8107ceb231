"""Getting articles out of the archive: the crawl's JSONL stream and `scrapy export` releases."""
