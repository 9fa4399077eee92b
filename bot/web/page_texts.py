"""Every sentence the web pages show: the scanner Mini App, room displays, the organiser dashboard.

The verdicts and refusals are keyed by the same codes as the chat's (`bot.chat_texts`).
The scanner's cards are read at arm's length at a door, so they are short; the
API sends them with each answer, and the page shows them as they come (names and
session titles are data, never translated).

Every sentence is English marked with `N_` and translated with `_()` where it is
used, in the reader's language (`bot.i18n`). Pages are rendered by the server
with their labels in place (`SCANNER_PAGE`, `DISPLAY_PAGE`, `DASHBOARD_PAGE`);
the sentences their scripts need are sent along as JSON (`page_words`), so no
script holds a word of English of its own. Placeholders in `{braces}` are filled
in by the script.

Which language a page speaks:

- the scanner Mini App follows the viewer's Telegram language
  (`user.language_code` in the verified `initData`; unsupported: the event
  language). The page itself is first rendered in the language its link asks
  for (`?lang=`) or the event language, and the first API answer carries the
  viewer's words, with which the page relabels itself;
- a room display speaks the event language, or the `lang` parameter on its link
  (`?lang=de`; an unknown value: the event language). The parameter is not part
  of the signed token, so anybody holding the link may change the display's
  language, which is harmless;
- the organiser dashboard: the same `lang` parameter (the chat's /dashboard adds
  the organiser's language to the link), else the event language; the report
  files it downloads speak the dashboard's language;
- a certificate's verification page: the `lang` parameter, else the event language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache

from babel import Locale

from bot import i18n
from bot.domain.rules import ActionRefusal, Reason, undo_window_minutes
from bot.i18n import N_, _, ngettext

# The big word on the card, and the line under it.
VERDICTS = {
    # Translators: the big word on the door scanner's green card; keep it short (read at arm's length).
    Reason.OK: N_("Checked in"),
    # Translators: the big word on the door scanner's yellow card; keep it short.
    Reason.ALREADY_CHECKED_IN: N_("Already checked in"),
    Reason.NOT_REGISTERED: N_("Not registered for this session"),
    Reason.SESSION_FULL: N_("Session full"),
    # Translators: {window_at} is a time of day, e.g. 09:45.
    Reason.TOO_EARLY: N_("Too early: check-in opens at {window_at}"),
    # Translators: {window_at} is a time of day, e.g. 10:30.
    Reason.CLOSED: N_("Check-in closed at {window_at}"),
    Reason.INVALID_CODE: N_("Not a badge of this event"),
    Reason.REVOKED: N_("Revoked badge: a newer one was issued"),
    Reason.SCANNER_NOT_PERMITTED: N_("You may not scan for this session"),
}
# Translators: the door scanner's yellow card; {earlier} is the time of day of the first check-in, e.g. 09:12.
ALREADY_SINCE = N_("Already checked in since {earlier}")
# Translators: the big word on the door scanner's card after door staff let someone in despite a refusal.
ADMITTED_ANYWAY = N_("Admitted anyway")

REFUSALS = {
    ActionRefusal.NOT_SCANNER: N_("You are not a door scanner for this event. Ask an organiser."),
    ActionRefusal.NO_SESSION_CHOSEN: N_("Choose a session first."),
    ActionRefusal.UNKNOWN_SESSION: N_("There is no such session."),
    ActionRefusal.SCANNER_NOT_PERMITTED: N_("You may not scan for this session."),
    ActionRefusal.NOT_OVERRIDABLE: N_("This verdict cannot be overridden."),
    ActionRefusal.ALREADY_OVERRIDDEN: N_("Already admitted."),
    ActionRefusal.CANNOT_UNDO: N_("You can only undo your own check-ins."),
    ActionRefusal.UNDO_TOO_LATE: N_("Too late to undo: scans can be undone within {minutes} minutes."),
    ActionRefusal.ALREADY_UNDONE: N_("Already undone."),
}

# What the page says when a request itself is refused (no verdict).
ERRORS = {
    400: N_("The scanner sent something the server cannot read. Reload the page."),
    # Translators: /scan is the bot's command; keep it as it is.
    401: N_("This scanner page has expired or was not opened from Telegram. Close it and open it again from /scan."),
    403: N_("You may not scan here. Ask an organiser."),
    404: N_("Not found."),
    405: N_("Not allowed."),
    409: N_("That is not possible any more."),
    429: N_("Too many requests at once: wait a moment."),
    500: N_("Something went wrong on the server. Try again in a moment."),
}


def verdict(reason: Reason, window_at: str, earlier: str = "") -> str:
    """The card's headline; "already checked in" says since when, when the time is known."""
    if reason is Reason.ALREADY_CHECKED_IN and earlier:
        return _(ALREADY_SINCE).format(earlier=earlier)
    return _(VERDICTS[reason]).format(window_at=window_at)


def refusal(reason: ActionRefusal) -> str:
    """Why a scanner's action is not done, with the rule engine's numbers filled in."""
    return _(REFUSALS[reason]).format(minutes=undo_window_minutes())


def error(status: int) -> str:
    return _(ERRORS.get(status, ERRORS[500]))


def undone(name: str) -> str:
    # Translators: on the door scanner's card after an undo; {name} is the attendee's name.
    return _("Undone: {name} is no longer checked in").format(name=name)


# ---------------------------------------------------------------- the scanner Mini App

# Labels in scanner.html (by key) and sentences scanner.js shows; `{placeholders}` are filled in by the script.
SCANNER_PAGE = {
    "title": N_("Door scanner"),
    # Translators: a button that goes back to the list of sessions; keep it short.
    "back": N_("‹ Sessions"),
    # Translators: the big word on the door scanner's card before the first scan; keep it short.
    "ready": N_("Ready"),
    "admit": N_("Admit anyway"),
    "undo": N_("Undo"),
    "scan": N_("Scan badges"),
    "typed_label": N_("Type a code (damaged badge)"),
    "typed_placeholder": N_("Badge code or attendee id"),
    # Translators: the button that checks a typed badge code.
    "check": N_("Check"),
    "unreadable": N_("The server's answer could not be read."),
    "no_connection": N_("No connection to the server. Check the network and reopen the scanner."),
    "cannot_start": N_("The scanner cannot start."),
    # Translators: {name} is the door scanner's own name.
    "hello": N_("Scanning as {name}. Running sessions first."),
    "no_sessions": N_("There are no sessions you may scan for yet."),
    # Translators: shown in Telegram's QR scanner window; {session} is a session id such as S12.
    "popup": N_("Badges for {session}"),
    "refused": N_("Refused."),
    # Shown only for sessions with access control, where registration decides who comes in.
    "registered_yes": N_("Registered: yes"),
    "registered_no": N_("Registered: no"),
    # Translators: whether the session was aimed at this attendee's group.
    "targeted_yes": N_("Targeted: yes"),
    "targeted_no": N_("Targeted: no"),
    # Translators: {inside} is how many people are in the room now.
    "inside": N_("Inside: {inside}"),
    # Translators: {inside} is how many people are in the room now, {capacity} how many it holds.
    "inside_of": N_("Inside: {inside} / {capacity}"),
    # Translators: /scan is the bot's command and “Open scanner” its button; keep them as the bot says them.
    "open_from_telegram": N_("Open the door scanner from the bot in Telegram: send /scan and tap “Open scanner”."),
    # Translators: on the door scanner's card above a verdict the phone gave without a connection;
    # {time} is when its list of attendees was last updated, e.g. 09:42. Keep it short.
    "provisional": N_("Offline — provisional (guest list as of {time})"),
    # Translators: above a list of scans the phone judged offline and the server judged otherwise.
    "differences_title": N_("The server decided differently:"),
    # Translators: one scan in that list: {time} when it was read, {who} the person (or the code),
    # {phone} what the phone showed, {server} the final verdict.
    "difference": N_("{time} {who}: phone “{phone}”, server “{server}”"),
    # Translators: the button that closes the list of differences.
    "differences_ok": N_("OK"),
}


def scanner_words() -> dict:
    """Everything scanner.html and scanner.js show, in the current language."""
    words = {key: _(text) for key, text in SCANNER_PAGE.items()}
    # The card's headlines, for the verdicts the phone gives itself while offline.
    words["verdicts"] = {reason.value: _(text) for reason, text in VERDICTS.items()}
    words["already_since"] = _(ALREADY_SINCE)
    words["offline"] = plural_forms(
        # Translators: {count} is how many scans wait on the phone while it has no connection.
        lambda n: ngettext(
            "Offline — {count} scan waiting; it is sent when the connection is back.",
            "Offline — {count} scans waiting; they are sent when the connection is back.",
            n,
        )
    )
    return words


# ---------------------------------------------------------------- room displays

DISPLAY_PAGE = {
    "title": N_("Check-in"),
    # Translators: on a big screen in the session's room, above the PIN; keep it to one line.
    "send_pin": N_("Send this PIN to the bot to check in"),
    "qr_alt": N_("QR code: scan with your phone camera to check in"),
    # Translators: under the QR code on a big screen, after the PIN; keep it short.
    "or_scan": N_("or scan with your phone camera"),
    # Translators: a small label under a number on a big screen; keep it short (about 15 characters).
    "inside": N_("inside now"),
    # Translators: a small label under a number on a big screen; keep it short (about 20 characters).
    "checked_in": N_("checked in so far"),
    # Translators: a small label under a number on a big screen; keep it short.
    "capacity": N_("capacity"),
    # Translators: a small label under a time span (09:45–10:30) on a big screen; keep it short.
    "window": N_("check-in open"),
    "stale": N_("Connection lost: the numbers may be out of date."),
    # Translators: in place of the PIN on a big screen when the session has none; keep it short.
    "no_pin": N_("no PIN"),
    # Translators: in place of a number under "capacity" on a big screen; keep it short.
    "no_limit": N_("no limit"),
    "no_longer_valid": N_("This display link is no longer valid."),
    "refused_title": N_("Display link not valid"),
    "refused_heading": N_("This display link is not valid"),
    # Translators: /display is the bot's command; keep it as it is.
    "refused_text": N_("It may have expired or been replaced. Ask an organiser for a new one (/display in the bot)."),
}


def rotation(seconds: int) -> str:
    # Translators: on a big screen under a PIN that changes; "s" is seconds.
    return ngettext("A new PIN every {seconds} s", "A new PIN every {seconds} s", seconds).format(seconds=seconds)


# ---------------------------------------------------------------- the organiser dashboard

DASHBOARD_PAGE = {
    "title": N_("Attendance dashboard"),
    # Translators: a download button; XLSX is the spreadsheet format.
    "checkins_xlsx": N_("Check-ins (XLSX)"),
    # Translators: a download button; XLSX is the spreadsheet format.
    "checkouts_xlsx": N_("Check-outs (XLSX)"),
    # Translators: a download link (the check-ins as CSV); usually kept as it is.
    "csv": N_("CSV"),
    "sessions": N_("Sessions"),
    # Translators: a column heading in the dashboard's table of sessions.
    "session": N_("Session"),
    # Translators: a column heading: when the session takes place.
    "when": N_("When"),
    # Translators: a column heading.
    "room": N_("Room"),
    # Translators: a column heading: how many people have checked in so far.
    "checked_in": N_("Arrivals"),
    # Translators: a column heading: how many people are in the room now.
    "inside": N_("Inside"),
    # Translators: a column heading: how many people the room holds.
    "capacity": N_("Capacity"),
    "chart_alt": N_("Arrivals per 5 minutes and people inside over time"),
    # Translators: the chart's heading; {session} is "S1 · Opening keynote" (the session's id and title).
    "chart_title": N_("{session}: arrivals per 5 minutes and people inside"),
    "refusals": N_("Latest refused attempts"),
    # Translators: a column heading: the time of day of an attempt.
    "time": N_("Time"),
    # Translators: a column heading: who tried to check in.
    "who": N_("Who"),
    # Translators: a column heading: how they tried (PIN, scan, …).
    "method": N_("Method"),
    # Translators: a column heading: why the attempt was refused.
    "reason": N_("Reason"),
    # Translators: next to the heading "Sessions"; {time} is the time of day of the last refresh.
    "updated": N_("updated {time}"),
    "connection_lost": N_("connection lost: retrying"),
    # Translators: the label of the event's four numbers at the top of the dashboard.
    "totals": N_("Today"),
    # Translators: a number on the dashboard: people (each counted once) who checked in today.
    "people_in": N_("People checked in"),
    # Translators: a number on the dashboard: the share of expected (registered) people who came.
    "showup": N_("Show-up"),
    # Translators: under the show-up rate, e.g. "412 of 500 registered arrived".
    "showup_of": N_("{arrived} of {expected} registered arrived"),
    # Translators: a number on the dashboard: people in a room now, all rooms together.
    "inside_now": N_("Inside now"),
    "last_15": N_("Last 15 minutes"),
    # Translators: e.g. "34 in · 3 refused": check-ins and refused attempts in the last 15 minutes.
    "recent": N_("{checkins} in · {refusals} refused"),
    "day_chart": N_("Arrivals per 5 minutes and people inside, all sessions"),
    # Translators: the legend of a chart's bars.
    "arrivals_legend": N_("Arrivals / 5 min"),
    # Translators: the legend of a chart's line.
    "inside_legend": N_("People inside"),
    # Translators: the text alternative of the day's chart; {time} is a time of day, e.g. 09:05.
    "day_chart_alt": N_(
        "{arrivals} arrivals so far; busiest 5 minutes: {peak} arrivals at {time}; {inside} people inside now."
    ),
    # Translators: the text alternative of a session's small chart of arrivals.
    "spark_alt": N_("{arrivals} arrivals; at most {peak} in 5 minutes"),
    # Translators: a column heading: upcoming, check-in open, running or closed.
    "status": N_("Status"),
    # Translators: a session's status: its check-in has not opened yet.
    "status_upcoming": N_("upcoming"),
    # Translators: a session's status: people may check in, it has not started.
    "status_open": N_("open for check-in"),
    # Translators: a session's status: it is taking place now.
    "status_running": N_("running"),
    # Translators: a session's status: it has ended.
    "status_closed": N_("closed"),
    # Translators: a column heading: people inside compared with the room's capacity.
    "fill": N_("Inside / capacity"),
    # Translators: the text alternative of a fill bar.
    "fill_alt": N_("{inside} inside of {capacity}"),
    # Translators: in place of a fill bar when the room has no capacity set.
    "inside_no_limit": N_("{inside} inside"),
    # Translators: a column heading: registered people who arrived, of those registered.
    "showup_column": N_("Registered: came"),
    # Translators: a column heading: registered people who never arrived.
    "no_shows": N_("No-shows"),
    "search": N_("Find a person"),
    "search_placeholder": N_("Name, attendee id or @handle"),
    # Translators: the search button.
    "search_button": N_("Find"),
    "search_none": N_("Nobody matches."),
    "search_many": N_("Several people match:"),
    # Translators: {groups} is a list of group names.
    "groups": N_("Groups: {groups}"),
    "telegram_linked": N_("Telegram: linked"),
    "telegram_not": N_("Telegram: not linked yet"),
    # Translators: an attendee who was not on the list and was added at the door.
    "walk_in": N_("walk-in"),
    "registered_sessions": N_("Registered sessions"),
    "visits": N_("Visits"),
    # Translators: how a visit ended: the person sent the check-out PIN.
    "ended_out_pin": N_("checked out"),
    # Translators: how a visit ended: the person checked in to another room at the same time; {session} is its id.
    "ended_moved": N_("moved to {session}"),
    # Translators: how a visit ended: the session ended.
    "ended_session_end": N_("session ended"),
    # Translators: a visit that has not ended.
    "ended_open": N_("still inside"),
    "none": N_("none"),
    "close": N_("Close"),
    # Translators: a heading above the list of people in the room now.
    "inside_list": N_("Inside now"),
    # Translators: a heading, for a session that has ended: people whose last record there is a check-in.
    "inside_list_closed": N_("Never checked out"),
    # Translators: a heading: people the session expected (registered or targeted) who never arrived.
    "no_shows_list": N_("No-shows: expected, never arrived"),
    # Translators: a download button; CSV is the file format.
    "download_no_shows": N_("No-shows (CSV)"),
    "session_refusals": N_("Refused attempts"),
    # Translators: {time} is when the person last checked in, e.g. 09:12.
    "since": N_("since {time}"),
    # Translators: the only line of an empty list of people.
    "nobody": N_("Nobody."),
    # Translators: a column heading of the no-shows file.
    "attendee_id": N_("Attendee id"),
    # Translators: a column heading of the no-shows file.
    "name": N_("Name"),
    # Translators: a column heading of the no-shows file; after a name: the person registered for the session.
    "registered": N_("Registered"),
    # Translators: a column heading of the no-shows file; after a name: the person is in a group the session targets.
    "targeted": N_("Targeted"),
    # Translators: a cell of the no-shows file under "Registered" or "Targeted".
    "yes": N_("yes"),
    "no_longer_valid": N_("This dashboard link is no longer valid."),
    "refused_title": N_("Dashboard link not valid"),
    "refused_heading": N_("This dashboard link is not valid"),
    # Translators: /dashboard and /dashboard revoke are the bot's commands; keep them as they are.
    "refused_text": N_(
        "Links last 12 hours, or until /dashboard revoke ends them early. Send /dashboard to the bot for a new one."
    ),
}

# Why an attempt was refused, in a few words: the dashboard's tables and its "last 15 minutes".
# (Reports keep the codes themselves.)
REFUSAL_REASONS = {
    # Translators: why an attempt was refused, a few words in a table cell.
    Reason.CHECKED_OUT_WITHOUT_CHECK_IN: N_("check-out without check-in"),
    Reason.SCANNER_NOT_PERMITTED: N_("scanner not allowed"),
    Reason.INVALID_CODE: N_("not a badge of this event"),
    Reason.REVOKED: N_("revoked badge"),
    Reason.TOO_MANY_ATTEMPTS: N_("too many attempts"),
    Reason.UNKNOWN_PIN: N_("unknown PIN"),
    Reason.PIN_EXPIRED: N_("expired PIN"),
    Reason.TOO_EARLY: N_("too early"),
    # Translators: why an attempt was refused: the session's check-in had closed.
    Reason.CLOSED: N_("check-in closed"),
    Reason.NOT_REGISTERED: N_("not registered"),
    Reason.SESSION_FULL: N_("session full"),
    Reason.ALREADY_CHECKED_IN: N_("already checked in"),
    Reason.ALREADY_CHECKED_OUT: N_("already checked out"),
}


def refusal_reasons() -> dict[str, str]:
    """Code -> its few words in the current language, for a page's script."""
    return {reason.value: _(text) for reason, text in REFUSAL_REASONS.items()}


# ---------------------------------------------------------------- certificate verification

VERIFY_PAGE = {
    "title": N_("Certificate verification"),
    # Translators: a label before the certificate's number, e.g. 7KQ2-M9XD-4TPA.
    "number": N_("Certificate number"),
    # Translators: a label before the attendee's name on the verification page.
    "attendee": N_("Attendee"),
    # Translators: a label before the event's name.
    "event": N_("Event"),
    # Translators: a label before the date the certificate was issued.
    "issued": N_("Issued"),
    # Translators: a label before the total number of credits, e.g. 2.25.
    "total": N_("Total credits"),
    # Translators: a column heading in the table of sessions attended.
    "session": N_("Session"),
    # Translators: a column heading: when the session took place.
    "when": N_("When"),
    # Translators: a column heading: minutes attended.
    "minutes": N_("Minutes"),
    # Translators: a column heading: credits earned for the session.
    "credits": N_("Credits"),
    "valid": N_("Valid: this certificate was issued by the event and is current."),
    # Translators: {number} is the newer certificate's number, e.g. 7KQ2-M9XD-4TPA.
    "superseded": N_(
        "Superseded: the attendance changed after this certificate was issued; the current one is {number}."
    ),
    "withdrawn": N_(
        "Superseded: the attendance changed after this certificate was issued and no longer earns credits. "
        "It is not valid."
    ),
    "revoked": N_("Revoked: the organisers withdrew this certificate. It is not valid."),
    "unknown_title": N_("Certificate not found"),
    "unknown_heading": N_("There is no such certificate"),
    "unknown_text": N_("Check that the link was copied whole, or ask the event's organisers."),
    "too_many_title": N_("Too many requests"),
    "too_many_heading": N_("Too many requests"),
    "too_many_text": N_("Wait a minute before checking another certificate."),
}

# Translators: the whole page when a web page cannot be shown; {status} is an HTTP status such as 404.
NOT_AVAILABLE = N_("Not available ({status}).")


# ---------------------------------------------------------------- shared


def page_words(page: dict[str, str]) -> dict[str, str]:
    """A page's words (`SCANNER_PAGE`, `DISPLAY_PAGE`, `DASHBOARD_PAGE`, `VERIFY_PAGE`) in the current language."""
    return {key: _(text) for key, text in page.items()}


def page_language(requested: str | None, fallback: str) -> str:
    """The language a page speaks: `requested` (a `lang` parameter, a Telegram `language_code`)
    when it names a supported language, else `fallback` (the event language). Anything else a
    link may carry (`../../etc`, 2,000 characters) is simply not a language."""
    return i18n.supported((requested or "")[:35]) or i18n.supported(fallback) or i18n.SOURCE_LANGUAGE


@cache
def _samples(language: str) -> dict[str, int]:
    """A number for each plural category (CLDR: one, few, many, other) of `language`."""
    rule = Locale.parse(i18n.babel_locale(language)).plural_form
    samples: dict[str, int] = {}
    for n in range(0, 200):
        samples.setdefault(rule(n), n)
    return samples


def plural_forms(sentence: Callable[[int], str]) -> dict[str, str]:
    """A sentence with a count the browser fills in (`sentence(n)` calls `ngettext`), as one form
    per plural category of the current language: the page picks one with
    `Intl.PluralRules(lang).select(count)`, which follows the same CLDR rules (a French 0 takes
    the singular, as the catalogue's plural formula does)."""
    return {category: sentence(n) for category, n in _samples(i18n.current()).items()}


def script_json(words: dict) -> str:
    """`words` as JSON that is safe inside a `<script type="application/json">` element."""
    return json.dumps(words, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
