"""Scrapy CLI commands of newscrawl (COMMANDS_MODULE): `scrapy mirror`, …"""
