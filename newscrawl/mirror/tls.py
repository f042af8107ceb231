"""A throwaway self-signed TLS identity for the mirrored hosts (made with trustme).

Scrapy does not verify certificates by default, so the CONNECT tunnel's TLS needs no trust
store; trustme makes a CA and a leaf certificate for all hostnames in milliseconds.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable

import trustme


def server_context(hostnames: Iterable[str]) -> ssl.SSLContext:
    ca = trustme.CA(organization_name="newscrawl offline mirror")
    cert = ca.issue_cert(*hostnames)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context
