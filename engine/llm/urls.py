"""Base URLs of model servers (synthesizers, judges, detectors, eval backends).

A key never belongs in a URL: `https://user:KEY@host/v1` or `...?api_key=KEY` would end up
in the settings file, a job's settings or a message. URLs that carry one are refused where
they are accepted (`refuse_credentials`), and stripped defensively (`without_credentials`)
before anything is stored; `safe_url` is the form fit for a message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from engine.errors import RemudError
from engine.i18n import tr
from engine.settings import looks_secret


def _host(parts) -> str:
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def safe_url(url: str) -> str:
    """The URL without user info, query or fragment: fit for a message."""
    try:
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, _host(parts), parts.path, "", ""))
    except ValueError:
        return tr("the configured endpoint")


def _secret_query(query: str) -> bool:
    return any(looks_secret(name) for name, _ in parse_qsl(query, keep_blank_values=True))


def credentials_in_url(url: str) -> bool:
    """Whether `url` carries user info (`user:key@host`) or a key-like query parameter (`?key=`, `?token=`)."""
    try:
        parts = urlsplit(url.strip())
        if not parts.netloc:
            return False
        return parts.username is not None or _secret_query(parts.query)
    except ValueError:
        return False


def without_credentials(url: str) -> str:
    """`url` with its user info and key-like query parameters removed (other parameters are kept)."""
    if not credentials_in_url(url):
        return url
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not looks_secret(k)]
    return urlunsplit((parts.scheme, _host(parts), parts.path, urlencode(query), parts.fragment))


def strip_credentials(data: Any) -> Any:
    """A copy of `data` (dicts, lists, text) with credentials removed from every URL in it."""
    if isinstance(data, str):
        return without_credentials(data)
    if isinstance(data, dict):
        return {k: strip_credentials(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [strip_credentials(v) for v in data]
    return data


def refuse_credentials(data: Any, error: type[RemudError] = RemudError) -> None:
    """Raise `error` with one sentence when any URL in `data` (text, or dicts and lists of it) carries a key."""
    if isinstance(data, str):
        if credentials_in_url(data):
            raise error(tr("The address {url} has a key or password in it: put the key in Settings → Synthesis "
                           "(or Detection) or the environment variable, not in the URL.").format(url=safe_url(data)))
    elif isinstance(data, dict):
        for value in data.values():
            refuse_credentials(value, error)
    elif isinstance(data, (list, tuple)):
        for value in data:
            refuse_credentials(value, error)
