"""Settings from the environment (and `.env`), validated once at start.

Every problem is reported as one line a person can act on (`ConfigError`).
Secrets (`BOT_TOKEN`, `BADGE_SECRET`, `WEBHOOK_SECRET`) have no built-in
defaults and are never part of `repr()`, so they cannot reach a log by accident.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import i18n


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


TOKEN_HELP = (
    "BOT_TOKEN is not set. Create a bot with @BotFather in Telegram (/newbot), "
    "then put BOT_TOKEN=<the token> in .env (see .env.example) or the environment."
)
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")
TOKEN_SHAPE = (
    "BOT_TOKEN does not look like a BotFather token: it must be digits, a colon, then 20 or more letters, "
    "digits, _ or - (no spaces or quotes). Copy it again from @BotFather (/mybots → API Token)."
)
MAX_PORT = 65535
# Every setting `load_settings` reads. Child processes started by the tests and the
# demo set each of them (empty = the default), because `load_dotenv()` never overrides
# a variable that is already set: that keeps a developer's .env out of them.
SETTING_NAMES = (
    "BOT_TOKEN",
    "ADMIN_IDS",
    "DATABASE_PATH",
    "BADGE_SECRET",
    "EVENT_TIMEZONE",
    "EVENT_NAME",
    "EVENT_LANGUAGE",
    "OPEN_REGISTRATION",
    "TELEGRAM_API_URL",
    "BOT_USERNAME",
    "PIN_ATTEMPT_LIMIT",
    "PIN_ATTEMPT_WINDOW_MINUTES",
    "QR_DECODER",
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_LISTEN",
    "WEBHOOK_PORT",
    "PUBLIC_URL",
    "WEB_LISTEN",
    "WEB_PORT",
    "INIT_DATA_MAX_AGE_MINUTES",
    "RATE_LIMIT",
    "TRUSTED_PROXIES",
    "CERTIFICATE_PKCS12",
    "CERTIFICATE_PKCS12_PASSWORD",
    "CERTIFICATE_ISSUER",
    "CERTIFICATE_STATEMENT",
)
SECRETS = ("BOT_TOKEN", "BADGE_SECRET", "WEBHOOK_SECRET", "CERTIFICATE_PKCS12_PASSWORD")  # never printed
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = field(default=None, repr=False)
    admin_ids: frozenset[int] = frozenset()
    database_path: Path = Path("attendance.db")
    badge_secret: str | None = field(default=None, repr=False)
    event_timezone: ZoneInfo | None = None  # None: the event database's own zone (UTC for a new event)
    event_name: str | None = None
    event_language: str = "en"
    open_registration: bool = True
    telegram_api_url: str | None = None
    bot_username: str | None = None
    pin_attempt_limit: int = 5
    pin_attempt_window: timedelta = timedelta(minutes=10)
    qr_decoder: str = "zxing"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    public_url: str | None = None  # https root that Telegram clients reach; None: no Mini App
    web_listen: str = "127.0.0.1"  # the one web server (webhook, Mini App, its API)
    web_port: int = 8080
    init_data_max_age: timedelta = timedelta(minutes=60)
    rate_limit: bool = True
    # Peers whose X-Forwarded-For / X-Real-IP the web server believes: the reverse proxy's address.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Certificates of attendance: the organiser's signing identity (checked at start), and the
    # issuer and accreditation statement printed on them (None: the event's name, no statement).
    certificate_pkcs12: Path | None = None
    certificate_pkcs12_password: str | None = field(default=None, repr=False)
    certificate_issuer: str | None = None
    certificate_statement: str | None = None

    @property
    def scanner_app_url(self) -> str | None:
        """The address /scan's "Open scanner" button opens; None when the Mini App is off (no PUBLIC_URL)."""
        return f"{self.public_url}/miniapp/scanner/" if self.public_url else None

    @property
    def base_url(self) -> str | None:
        """python-telegram-bot's `base_url`: `<root>/bot` (it appends the token)."""
        return f"{self.telegram_api_url.rstrip('/')}/bot" if self.telegram_api_url else None

    @property
    def base_file_url(self) -> str | None:
        return f"{self.telegram_api_url.rstrip('/')}/file/bot" if self.telegram_api_url else None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a yes/no value: use true or false.")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}.")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={value} is out of range: use a number from {minimum} to {maximum}.")
    return value


def _unquoted(env: Mapping[str, str]) -> None:
    """A value inside quotes reached us with its quotes (a .env file strips them; systemd's
    EnvironmentFile, docker --env-file and a shell's export of '"x"' may not): say so, once."""
    for name in SETTING_NAMES:
        raw = env.get(name, "").strip()
        if name != "EVENT_NAME" and len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
            shown = name if name in SECRETS else f"{name}={raw}"
            raise ConfigError(f"{shown} is written in quotes that reached the bot: remove them.")


def zone_named(name: str, setting: str = "The time zone") -> ZoneInfo:
    """An IANA zone from its name; a ConfigError naming `setting` otherwise."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a directory of zones
        raise ConfigError(f"{setting}={name!r} is not an IANA time zone name such as Europe/Paris.") from None


def load_settings(env: Mapping[str, str] | None = None, *, require_token: bool = True) -> Settings:
    """Read and check every setting. `require_token=False` serves the command line."""
    env = os.environ if env is None else env
    _unquoted(env)

    token = env.get("BOT_TOKEN", "").strip() or None
    if require_token and not token:
        raise ConfigError(TOKEN_HELP)
    if token and not _TOKEN_RE.match(token):
        raise ConfigError(TOKEN_SHAPE)

    admin_ids: set[int] = set()
    for part in re.split(r"[,\s]+", env.get("ADMIN_IDS", "").strip()):
        if not part:
            continue
        if not re.fullmatch(r"\d{1,20}", part):
            raise ConfigError(
                f"ADMIN_IDS contains {part!r}: list numeric Telegram user ids separated by commas "
                "(ask @userinfobot for yours)."
            )
        admin_ids.add(int(part))

    tz_name = env.get("EVENT_TIMEZONE", "").strip()
    tz = zone_named(tz_name, "EVENT_TIMEZONE") if tz_name else None
    event_name = " ".join(env.get("EVENT_NAME", "").split())[:80] or None
    language_code = env.get("EVENT_LANGUAGE", "").strip() or i18n.SOURCE_LANGUAGE
    event_language = i18n.supported(language_code)
    if event_language is None:
        raise ConfigError(
            f"EVENT_LANGUAGE={language_code!r}: choose one of {', '.join(i18n.LANGUAGES)} "
            "(README, Languages, says how to add one)."
        )

    secret = env.get("BADGE_SECRET", "").strip() or None
    if secret is not None and len(secret) < 16:
        raise ConfigError(
            "BADGE_SECRET is too short: use at least 16 random characters, or leave it unset "
            "and one is generated and kept in the database."
        )

    api_url = env.get("TELEGRAM_API_URL", "").strip() or None
    if api_url and not re.match(r"^https?://[^\s/]+", api_url):
        raise ConfigError(f"TELEGRAM_API_URL={api_url!r} must be a URL such as http://127.0.0.1:8081.")

    decoder = env.get("QR_DECODER", "").strip().lower() or "zxing"
    if decoder not in {"zxing", "pyzbar"}:
        raise ConfigError(f"QR_DECODER={decoder!r}: choose zxing or pyzbar.")

    webhook_url = env.get("WEBHOOK_URL", "").strip() or None
    webhook_secret = env.get("WEBHOOK_SECRET", "").strip() or None
    if webhook_url:
        if not re.match(r"^https://[^\s/]+", webhook_url):
            raise ConfigError(
                f"WEBHOOK_URL={webhook_url!r} must be an https:// address (Telegram sends webhooks over https only), "
                "or leave it empty to poll instead."
            )
        if not webhook_secret or not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", webhook_secret):
            raise ConfigError(
                "WEBHOOK_URL is set, so WEBHOOK_SECRET must be 16-256 characters of A-Z, a-z, 0-9, _ and -."
            )

    username = env.get("BOT_USERNAME", "").strip().lstrip("@") or None

    public_url = env.get("PUBLIC_URL", "").strip().rstrip("/") or None
    if public_url and not re.match(r"^https://[^\s/]+(/[^\s]*)?$", public_url):
        raise ConfigError(
            f"PUBLIC_URL={public_url!r} must be the https:// address Telegram users reach this bot's web server at, "
            "e.g. https://attendance.example.org (Telegram opens Mini Apps over https only)."
        )

    proxies = tuple(p for p in re.split(r"[,\s]+", env.get("TRUSTED_PROXIES", "").strip()) if p)
    if proxies == ("none",):
        proxies = ()
    elif not proxies:
        proxies = ("127.0.0.1", "::1")
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(
                f"TRUSTED_PROXIES contains {proxy!r}: list your reverse proxy's IP addresses (or networks such as "
                "10.0.0.0/8) separated by commas, or none; the default is 127.0.0.1,::1."
            ) from None

    pkcs12, pkcs12_password = _certificate_pkcs12(env)

    return Settings(
        bot_token=token,
        admin_ids=frozenset(admin_ids),
        database_path=Path(env.get("DATABASE_PATH", "").strip() or "attendance.db").expanduser(),
        badge_secret=secret,
        event_timezone=tz,
        event_name=event_name,
        event_language=event_language,
        open_registration=_bool(env, "OPEN_REGISTRATION", True),
        telegram_api_url=api_url,
        bot_username=username,
        pin_attempt_limit=_int(env, "PIN_ATTEMPT_LIMIT", 5),
        pin_attempt_window=timedelta(minutes=_int(env, "PIN_ATTEMPT_WINDOW_MINUTES", 10)),
        qr_decoder=decoder,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        public_url=public_url,
        # WEBHOOK_LISTEN / WEBHOOK_PORT name the same server, from before it served more than the webhook.
        web_listen=env.get("WEB_LISTEN", "").strip()
        or env.get("WEBHOOK_LISTEN", "").strip()
        or ("0.0.0.0" if webhook_url else "127.0.0.1"),
        web_port=_int(env, "WEB_PORT", 0, maximum=MAX_PORT)
        or _int(env, "WEBHOOK_PORT", 8443 if webhook_url else 8080, maximum=MAX_PORT),
        init_data_max_age=timedelta(minutes=_int(env, "INIT_DATA_MAX_AGE_MINUTES", 60)),
        rate_limit=_bool(env, "RATE_LIMIT", True),
        trusted_proxies=proxies,
        certificate_pkcs12=pkcs12,
        certificate_pkcs12_password=pkcs12_password,
        certificate_issuer=env.get("CERTIFICATE_ISSUER", "").strip() or None,
        certificate_statement=env.get("CERTIFICATE_STATEMENT", "").strip() or None,
    )


def _certificate_pkcs12(env: Mapping[str, str]) -> tuple[Path | None, str | None]:
    """CERTIFICATE_PKCS12 (a .p12/.pfx file) and its password, opened once now so a missing file or a
    wrong password stops the start in one line (which never shows the password)."""
    raw = env.get("CERTIFICATE_PKCS12", "").strip()
    password = env.get("CERTIFICATE_PKCS12_PASSWORD", "") or None
    if not raw:
        return None, None
    path = Path(raw).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"CERTIFICATE_PKCS12={raw!r}: there is no such file.") from None
    except OSError as problem:
        raise ConfigError(f"CERTIFICATE_PKCS12={raw!r} cannot be read ({problem.strerror or problem}).") from None
    from bot.files.certificate_signing import IdentityProblem, load_pkcs12

    try:
        load_pkcs12(data, password)
    except IdentityProblem as problem:
        raise ConfigError(
            f"CERTIFICATE_PKCS12={raw!r} {problem}; check the file and CERTIFICATE_PKCS12_PASSWORD."
        ) from None
    return path, password
