"""newscrawl: a Scrapy crawler and SQLite archive for the finews Chinese financial news site."""

__version__ = "0.1.0"
