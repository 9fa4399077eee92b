"""What every answer of the web server carries, and what its logs never show.

Every handler derives from `WebHandler`, so none can forget:

- the headers (`set_default_headers`, which tornado applies again when it
  clears a response for an error page): a Content-Security-Policy allowing
  nothing but the server's own scripts, styles, images and connections; the
  page may not be framed (`frame-ancestors 'none'`, `X-Frame-Options: DENY`)
  except the scanner Mini App, which Telegram's web clients show in a frame
  and whose page loads Telegram's script; `Referrer-Policy: no-referrer`, so a
  signed display or dashboard link never leaves in a Referer; `nosniff`;
- the client's address (`client_ip`): `X-Forwarded-For` and `X-Real-IP` are
  believed only from a proxy named in `TRUSTED_PROXIES`;
- logs without credentials: `redact` hides the signed part of display,
  dashboard and certificate verification links, Mini App `initData` and the secrets `hide` was given, in
  tornado's own log lines (access, uncaught exceptions, warnings) as in ours.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import re
import time
from collections.abc import Iterable

import tornado.httputil
import tornado.web
from tornado.log import app_log, gen_log

from bot.storage.db import storage_trouble
from bot.telegram import startup_texts

# The one style block of `pages.plain_page` (a refused link's page), allowed by its hash.
PLAIN_STYLE = "body{font:24px/1.4 system-ui,sans-serif;margin:3em;max-width:40em}body.small{font-size:20px}"
_PLAIN_STYLE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(PLAIN_STYLE.encode()).digest()).decode() + "'"


def _policy(script: str, frame_ancestors: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {script}",
            f"style-src 'self' {_PLAIN_STYLE_HASH}",
            "img-src 'self' data:",  # data: for the pages' empty favicon (`<link rel="icon" href="data:,">`)
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


# Telegram Web A and K (web.telegram.org/a/, /k/) and Telegram's other web clients frame a Mini App;
# the phone and desktop apps open it in a web view of their own, not a frame.
TELEGRAM_FRAMES = "https://web.telegram.org https://*.telegram.org"
PAGE_POLICY = _policy("'self'", "'none'")
MINI_APP_POLICY = _policy("'self' https://telegram.org", TELEGRAM_FRAMES)


def set_security_headers(handler: tornado.web.RequestHandler, mini_app: bool = False) -> None:
    handler.set_header("Content-Security-Policy", MINI_APP_POLICY if mini_app else PAGE_POLICY)
    if not mini_app:
        handler.set_header("X-Frame-Options", "DENY")
    handler.set_header("Referrer-Policy", "no-referrer")
    handler.set_header("X-Content-Type-Options", "nosniff")


# ---------------------------------------------------------------- redaction

# /display/<token>/..., /dashboard/<token>/..., /verify/<token>: the token is the whole credential.
_SIGNED = re.compile(r"/(display|dashboard|verify)/[^/\s?#\"'<>]+")
# Mini App initData, as a form field, query parameter or JSON member (and the fragment Telegram opens the page with).
_INIT_DATA = re.compile(r"""\b(initData|tgWebAppData)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^"'\s&]*)""")
# What signs initData, wherever it shows up without its name.
_SIGNATURE = re.compile(r"\b(hash|signature)=[A-Za-z0-9_%-]{20,}")
_secrets: set[str] = set()


def hide(*secrets: str | None) -> None:
    """Never let these strings (the webhook secret, the bot token) reach a log."""
    _secrets.update(s for s in secrets if s and len(s) >= 8)


def _hidden_init_data(match: re.Match) -> str:
    quote = match[3][:1] if match[3][:1] in ("'", '"') else ""
    return f"{match[1]}{match[2]}{quote}…{quote}"


def redact(text: str) -> str:
    """`text` without signed links' tokens, initData or the secrets given to `hide`."""
    text = _SIGNED.sub(r"/\1/…", text)
    text = _INIT_DATA.sub(_hidden_init_data, text)
    text = _SIGNATURE.sub(r"\1=…", text)
    for secret in _secrets:
        text = text.replace(secret, "…")
    return text


class RedactingFilter(logging.Filter):
    """Redacts a record's message and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


TORNADO_LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


def redact_tornado_logs() -> None:
    """Put the filter on tornado's loggers (once): whatever tornado logs about a request is redacted."""
    for name in TORNADO_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


# ---------------------------------------------------------------- the client's address

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEFAULT_TRUSTED_PROXIES = ("127.0.0.1", "::1")


def parse_networks(addresses: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks ("10.0.0.0/8"); ValueError names the first that is neither."""
    return tuple(ipaddress.ip_network(a.strip(), strict=False) for a in addresses)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.9:51234
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def peer_address(request: tornado.httputil.HTTPServerRequest) -> str:
    """The address of the TCP peer, whatever the server was told to believe (`xheaders`)."""
    context = getattr(request.connection, "context", None)
    address = getattr(context, "address", None)
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        return address[0]
    return request.remote_ip or ""


def client_address(request: tornado.httputil.HTTPServerRequest, trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the right-most
    `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left were written by
    the client and prove nothing), else `X-Real-IP`."""
    peer = peer_address(request)

    def is_trusted(address) -> bool:
        return address is not None and any(address in network for network in trusted)

    if not is_trusted(_address(peer)):
        return peer
    forwarded = [entry for value in request.headers.get_list("X-Forwarded-For") for entry in value.split(",")]
    if forwarded:
        client = peer
        for entry in reversed(forwarded):
            address = _address(entry)
            if address is None:
                break  # a trusted proxy would not have written that: believe no further
            client = str(address)
            if not is_trusted(address):
                break
        return client
    real = _address(request.headers.get("X-Real-IP", ""))
    return str(real) if real is not None else peer


STORAGE_LINE_INTERVAL = 60.0  # seconds between the log's lines about a database that cannot store
_storage_line_at = -STORAGE_LINE_INTERVAL


class WebHandler(tornado.web.RequestHandler):
    """The base of every handler of the web server: headers, client address, redacted logs."""

    mini_app = False  # True: framed by Telegram's web clients and loading Telegram's script

    def set_default_headers(self) -> None:
        set_security_headers(self, self.mini_app)

    @property
    def client_ip(self) -> str:
        if not hasattr(self, "_client_ip"):
            trusted = self.application.settings.get("trusted_proxies")
            if trusted is None:
                trusted = parse_networks(DEFAULT_TRUSTED_PROXIES)
            self._client_ip = client_address(self.request, trusted)
        return self._client_ip

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """A query argument that is not UTF-8 reads with replacement characters (`?lang=%ff`: an
        unknown language) instead of tornado's 400, which the error page, reading `lang` again to
        choose its language, turned into an uncaught exception. A path's part is still refused."""
        if name is None:
            return super().decode_argument(value, name)
        return value.decode("utf-8", errors="replace")

    def request_summary(self) -> str:
        return redact(f"{self.request.method} {self.request.uri} ({self.client_ip})")

    def send_error(self, status_code: int = 500, **kwargs) -> None:
        """A database that cannot store right now (a full disk, a read-only file) is 503, not 500: the
        request may be sent again later (the scanner page keeps its queue and does), and nothing of it
        was kept. Every other error as tornado sends it."""
        exc_info = kwargs.get("exc_info")
        if status_code == 500 and exc_info and storage_trouble(exc_info[1]) is not None:
            status_code = 503
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb) -> None:
        """Tornado's, with the request summarised without its credentials (tornado's own prints the whole
        request, signed link included). A database that cannot store is one line a minute, not a traceback
        per request (the inbox logs the same trouble the same way)."""
        trouble = storage_trouble(value) if not isinstance(value, tornado.web.HTTPError) else None
        if trouble is not None:
            global _storage_line_at
            if time.monotonic() - _storage_line_at >= STORAGE_LINE_INTERVAL:
                _storage_line_at = time.monotonic()
                path = self.application.settings.get("database_path", "")
                app_log.error(
                    "503 %s: %s", self.request_summary(), startup_texts.cannot_store(path, trouble.kind, trouble.reason)
                )
            return
        if isinstance(value, tornado.web.HTTPError):
            if value.log_message:
                message = value.log_message % value.args if value.args else value.log_message
                gen_log.warning("%d %s: %s", value.status_code, self.request_summary(), redact(message))
        else:
            app_log.error("Uncaught exception %s", self.request_summary(), exc_info=(typ, value, tb))


class NotFound(WebHandler):
    """Any path the server does not serve: 404, with the same headers as every answer."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)
