"""Every sentence the bot says in the chat (plain text, no markup), so the
wording stays consistent and is translated in one place.

English is the source language (bot/i18n.py). Module-level constants and the
wording dicts only mark their text with `N_`; it is translated with `_()` when a
reply is written, in the language of whoever is being answered. Sentences are
whole, with named placeholders, so a translation can reorder them.

Reason codes are enums, and the wording for them is keyed by them (`PIN_REPLIES`,
`SCAN_HEADS`, `SCAN_REFUSALS`, `PROBLEMS`); tests fail when a code has no
wording. Sentences that name a command take a `Syntax`: the chat's (`CHAT`)
or the command line's (in the command line's own catalogue), so each front end
speaks its own syntax. Import row errors are worded in `bot.files.sheet_reader`, next to
the checks that find them: they describe the file, the same on both front ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from bot import i18n
from bot.domain.rules import ActionRefusal, Direction, Reason, undo_window_minutes
from bot.domain.times import format_local, format_span
from bot.files.credit_report import percent_text, whole_minutes, why_not_text
from bot.files.sheet_reader import pin_problem_text
from bot.i18n import N_, _, ngettext
from bot.services.errors import OrganiserError, Problem

if TYPE_CHECKING:
    from bot.services.reports import AttendeeLookup, AttendeeSummary, Report, SessionSummary


@dataclass(frozen=True)
class Syntax:
    """How a front end names its commands, for sentences that tell the organiser what to type next."""

    pins: str
    genpins_new: str
    genpins_all: str
    shortlinks: str
    shortlinkqr: str
    import_files: str
    access_usage: str
    acl_usage: str
    capacity_usage: str
    scanner_usage: str
    window_usage: str
    rotation_usage: str
    display_usage: str
    shortlink_usage: str
    attendee: str
    find_attendee: str  # how to look attendees up by name, id or @username
    reminders_usage: str
    credits_usage: str
    one_room_usage: str


# Command names stay as they are in every language: they are what the organiser types.
CHAT = Syntax(
    pins="/pins",
    genpins_new="/genpins new",
    genpins_all="/genpins all",
    shortlinks="/shortlinks",
    shortlinkqr="/shortlinkqr",
    # Translators: tells the organiser how to import the agenda in the chat.
    import_files=N_("Send a sessions file (CSV or XLSX) to import the agenda."),
    # Translators: keep /access, on and off: the organiser types them.
    access_usage=N_("Usage: /access <session> on|off"),
    # Translators: keep /acl, include and exclude: the organiser types them.
    acl_usage=N_("Usage: /acl include (registered or targeted attendees) or /acl exclude (registered attendees only)."),
    # Translators: keep /capacity and none: the organiser types them.
    capacity_usage=N_("Usage: /capacity <session> <number|none>"),
    # Translators: keep /scanner, all and off: the organiser types them.
    scanner_usage=N_("Usage: /scanner <attendee id | @username | numeric id> all | off | <session> [<session> ...]"),
    # Translators: keep /pinrotate and off: the organiser types them.
    rotation_usage=N_("Usage: /pinrotate <session> <seconds|off>, e.g. /pinrotate S12 60"),
    # Translators: keep /display and revoke: the organiser types them.
    display_usage=N_("Usage: /display <session> — its room display's link · /display <session> revoke — a new link"),
    # Translators: keep /checkinwindow and the example numbers.
    window_usage=N_(
        "Usage: /checkinwindow <minutes before the start> <minutes after the end> [<check-out minutes after the end>], "
        "e.g. /checkinwindow 30 0 60"
    ),
    # Translators: keep /shortlink and off: the organiser types them. SL001 and S12 are example codes.
    shortlink_usage=N_(
        "Usage: /shortlink <SLcode> <session> [pop-up message] · /shortlink <SLcode> off\n"
        "e.g. /shortlink SL001 S12 Welcome to the workshop!"
    ),
    attendee="/attendee",
    # Translators: keep /attendee; <name> is what the organiser types after it.
    find_attendee=N_("/attendee <name>"),
    # Translators: keep /reminders and off: the organiser types them.
    reminders_usage=N_("Usage: /reminders <minutes before a session starts> or /reminders off, e.g. /reminders 10"),
    # Translators: keep /credits, threshold and proportional: the organiser types them.
    credits_usage=N_(
        "Usage: /credits threshold 80 (a session's whole credits from 80 percent attended) or /credits proportional "
        "(credits times the share attended, rounded down to a quarter)"
    ),
    # Translators: keep /oneroom, on and off: the organiser types them.
    one_room_usage=N_("Usage: /oneroom on|off"),
)


def _syntax(syntax: Syntax) -> dict[str, str]:
    """A front end's syntax in the reader's language: its sentences translated,
    its command names unchanged (`_` gives back what it has no translation for,
    so the command line's own English sentences stay as they are)."""
    return {name: _(value) for name, value in vars(syntax).items()}


# ---------------------------------------------------------------- general

TELEGRAM_TEXT_LIMIT = 4096


def fit(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    """Cut a reply to Telegram's limit: a refusal may echo what was typed, and
    a reply that is too long is refused by Telegram and never arrives."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


NOT_ON_LIST = N_(
    "I don't have you on this event's list yet. Open the personal invite link the organisers "
    "sent you, or ask them to add you."
)
INVITE_UNKNOWN = N_("This invite link is not valid (or was replaced). Ask the organisers for your personal link.")
INVITE_TAKEN = N_(
    "This invite link is already linked to another Telegram account. If that is wrong, ask the "
    "organisers to unlink it, then open the link again."
)
# Translators: K7PX3M is an example PIN: keep it as it is.
NOT_UNDERSTOOD = N_(
    "I didn't understand that. To check in or out, send the session PIN (letters and digits, "
    "e.g. K7PX3M). /help shows everything I can do."
)
UNSUPPORTED_MESSAGE = N_("I can only read text messages here. Send the session PIN to check in or out, or /help.")
INTERNAL_ERROR = N_(
    "Sorry, something went wrong on my side while answering you. If you sent a PIN, "
    "/myattendance shows whether it was recorded; otherwise please try again in a moment."
)
# The database cannot store right now (a full disk, a read-only file): nothing of this message was kept.
CANNOT_RECORD_NOW = N_("⏳ I cannot record this right now. Nothing was recorded: please try again in a minute.")
ADMIN_ONLY = N_("Sorry, that command is for the event organisers only.")
# Translators: a short pop-up over the chat (at most 200 characters).
BUTTON_EXPIRED = N_("This button has expired.")
IMPORT_HINT = N_("To import a file, send it here as a document (CSV or XLSX).")


def welcome(name: str, linked_now: bool) -> str:
    if linked_now:
        # Translators: {name} is the attendee's name as registered.
        first = _("Welcome, {name}! Your Telegram account is now linked to your registration.").format(name=name)
    else:
        # Translators: {name} is the attendee's name as registered.
        first = _("Hello, {name}!").format(name=name)
    # Translators: every session has two PINs: the IN PIN to check in and the OUT PIN to check out.
    how = _(
        "When a session starts, send me its IN PIN to check in, and its OUT PIN when you leave. "
        "/myattendance shows your check-ins, /help everything else."
    )
    return f"{first}\n\n{how}"


# Translators: IN PIN and OUT PIN: every session has a PIN to check in (IN) and one to check out (OUT).
HELP_ATTENDEE = N_("""How to record your attendance:
• Send the session's IN PIN to check in, and its OUT PIN when you leave (any case works).
• Scanning a QR code on the wall of a room checks you in too.
• /badge — your personal badge QR code, for door staff to scan
• /myattendance — your check-ins and check-outs
• /language — the language I answer you in
• /help — this message""")

# Translators: keep the commands (/scan, /scan S12, /scan off) as they are.
HELP_SCANNER = N_("""Door staff:
• /scan — choose the session you scan for (/scan S12 picks it directly; /scan off stops)
• then send photos of badges (as photos, or as files for sharper images), or type a badge code or attendee id""")

# Translators: keep the commands and their words (new, all, IN, OUT, off, revoke, on, include, exclude, none, pdf,
# checkins, checkouts, csv) as they are: the organiser types them. S12, REG-0042 and SL001 are examples.
HELP_ADMIN = N_("""Organisers:
• send a CSV/XLSX file — import sessions, attendees or registrations
• /pins — list PINs · /genpins new|all — generate PINs · /setpin S12 IN [OUT] — set custom PINs
• /pinrotate S12 60|off — an IN PIN that changes every 60 s · /display S12 [revoke] — the room display's link
• /invites — CSV of personal invite links · /unlink REG-0042 — free an invite link
• /scanner <who> all|off|S12 S13 … · /scanners — door staff and their sessions
• /access S12 on|off · /acl include|exclude · /capacity S12 <n|none>
• /checkinwindow 30 0 60 — when check-ins open and close · /timezone Europe/Paris — the event's time zone
• /shortlink SL001 S12 [pop-up] · /shortlinks · /shortlinkqr — onsite QR codes
• /badges [pdf] — badges to print (ZIP of PNGs, or A4 sheets) · /reissuebadge REG-0042 — revoke and replace
• /dashboard — live counts and charts in a browser
• /session S12 · /attendee <id, @handle or name> · /report checkins|checkouts [csv]""")


def help_text(is_admin: bool, is_scanner: bool) -> str:
    parts = [_(HELP_ATTENDEE)]
    if is_scanner or is_admin:
        parts.append(_(HELP_SCANNER))
    if is_admin:
        parts.append(_(HELP_ADMIN))
    return "\n\n".join(parts)


def session_label(session) -> str:
    return f"{session.session_id} · {session.title}"


# ---------------------------------------------------------------- attendance by PIN

# Placeholders of the PIN replies: {session} is the session's id and title ("S12 · Keynote"); {when},
# {window_at}, {locked_until} and {earlier} are times (10:30, or with the date on another day).
PIN_REPLIES = {
    # Translators: OUT PIN: the session's PIN to check out (each session has an IN and an OUT PIN).
    Reason.OK: N_("✅ Checked in to {session} at {when}. Send the OUT PIN when you leave."),
    # Translators: IN PIN: the session's PIN to check in (each session has an IN and an OUT PIN).
    Reason.CHECKED_OUT_WITHOUT_CHECK_IN: N_(
        "👋 Checked out of {session} at {when}. I had no check-in for you there; it is noted for the organisers. "
        "Next time send the IN PIN when you arrive."
    ),
    # Translators: {locked_until} is a time.
    Reason.TOO_MANY_ATTEMPTS: N_("⏳ Too many wrong PINs. PIN entry is paused until {locked_until}; try again then."),
    Reason.UNKNOWN_PIN: N_("❌ That PIN doesn't match any session. Check it on the screen or sign and send it again."),
    # Translators: {session} is the session's id and title.
    Reason.PIN_EXPIRED: N_("⌛ That PIN has expired: use the one on the screen now ({session})."),
    # Translators: {session} is the session's id and title, {window_at} a time.
    Reason.TOO_EARLY: N_("⏳ Too early: attendance for {session} opens at {window_at}. Please try again then."),
    # Translators: {session} is the session's id and title, {window_at} a time.
    Reason.CLOSED: N_(
        "⌛ Attendance for {session} closed at {window_at}, so nothing was recorded. "
        "If you were there, please tell the organisers."
    ),
    Reason.NOT_REGISTERED: N_(
        "⛔ {session} is only open to registered participants, and you are not on its list. "
        "Please ask the staff at the door."
    ),
    Reason.SESSION_FULL: N_("⛔ {session} is full. Please ask the staff at the door."),
    # Translators: {earlier} is the time of the earlier check-in (or the word "earlier" when it is unknown).
    Reason.ALREADY_CHECKED_IN: N_(
        "You are already checked in to {session} (since {earlier}). Send the OUT PIN when you leave."
    ),
    # Translators: {earlier} is the time of the earlier check-out (or the word "earlier" when it is unknown).
    Reason.ALREADY_CHECKED_OUT: N_("You already checked out of {session} at {earlier}."),
    Reason.SCANNER_NOT_PERMITTED: N_("⛔ That scanner may not check people in to {session}."),
    Reason.INVALID_CODE: N_("❌ That code is not valid for this event."),
    Reason.REVOKED: N_("❌ That badge was replaced by a newer one."),
}
# Translators: {session} is the session's id and title, {when} a time.
CHECKED_OUT = N_("👋 Checked out of {session} at {when}. Thanks for coming!")


def _moment(moment, now, tz: ZoneInfo) -> str:
    """A time of today as 10:30; another day's with its date."""
    if moment is None:
        return ""
    same_day = moment.astimezone(tz).date() == now.astimezone(tz).date()
    return format_local(moment, tz, with_date=not same_day)


def _earlier(moment, tz: ZoneInfo) -> str:
    if moment:
        return format_local(moment, tz, False)
    # Translators: stands in for an unknown time in "since {earlier}" and "at {earlier}".
    return _("earlier")


def pin_reply(result, tz: ZoneInfo) -> str:
    """The attendee's answer to a PIN (and to a refused shortlink)."""
    verdict = result.verdict
    if verdict.reason is Reason.OK and result.direction is Direction.OUT:
        template = CHECKED_OUT
    else:
        template = PIN_REPLIES[verdict.reason]
    return _(template).format(
        session=session_label(result.session) if result.session else "",
        when=format_local(result.at, tz, with_date=False),
        window_at=_moment(verdict.window_at, result.at, tz),
        locked_until=format_local(verdict.locked_until, tz, False) if verdict.locked_until else "",
        earlier=_earlier(verdict.earlier_at, tz),
    )


def my_attendance(mine, tz: ZoneInfo) -> str:
    """`/myattendance`: the check-ins and check-outs, then each ended session's minutes and credits."""
    entries = mine.entries
    if not entries and not mine.sessions:
        return _("You have no check-ins yet. Send a session's PIN to check in.")
    lines = [_("Your attendance (newest first):")] if entries else []
    for e in entries:
        when, session = format_local(e.at, tz), session_label(e.session)
        if e.direction == "IN":
            # Translators: a check-in in the attendee's list: {when} is its date and time, {session} the session's
            # id and title. "in" is followed by two spaces so that it lines up with "out" in the next message.
            lines.append(_("• {when} — in  — {session}").format(when=when, session=session))
        else:
            # Translators: a check-out in the attendee's list: {when} is its date and time, {session} the session's
            # id and title.
            lines.append(_("• {when} — out — {session}").format(when=when, session=session))
    if mine.sessions:
        lines += [""] if lines else []
        lines.append(_("Sessions that have ended:"))
        lines += [_session_credits(line) for line in mine.sessions]
    if mine.any_credits:
        # Translators: {credits} is a number of credits, e.g. 3.5.
        lines.append(_("Total: {credits} credits").format(credits=credit_amount(mine.total)))
    return "\n".join(lines)


def _session_credits(line) -> str:
    """One ended session: "• S12 · Keynote — 45 min — 1.5 of 1.5 credits", or why none."""
    session = f"{line.session_id} · {line.title}"
    minutes = whole_minutes(line.minutes)
    if line.available <= 0:
        # Translators: an ended session in the attendee's list: {session} its id and title, {minutes} a number.
        return _("• {session} — {minutes} min").format(session=session, minutes=minutes)
    amounts = {"session": session, "minutes": minutes, "available": credit_amount(line.available)}
    if line.why_not is None:
        # Translators: {credits} and {available} are numbers of credits (earned, and what the session carries).
        text = _("• {session} — {minutes} min — {credits} of {available} credits")
        return text.format(credits=credit_amount(line.credits), **amounts)
    # Translators: {available} is a number of credits; {why} says why none were earned (e.g. "not attended").
    text = _("• {session} — {minutes} min — no credits of {available} ({why})")
    return text.format(why=why_not_text(line), **amounts)


# ---------------------------------------------------------------- organisers


def _imported(report) -> str:
    count, filename = report.imported, report.filename
    if report.kind == "attendees":
        # Translators: {filename} is the name of the file the organiser sent.
        text = ngettext(
            "✅ {filename}: imported {count} attendee.", "✅ {filename}: imported {count} attendees.", count
        )
    elif report.kind == "registrations":
        # Translators: {filename} is the name of the file the organiser sent.
        text = ngettext(
            "✅ {filename}: imported {count} registration.", "✅ {filename}: imported {count} registrations.", count
        )
    else:
        # Translators: {filename} is the name of the file the organiser sent.
        text = ngettext("✅ {filename}: imported {count} session.", "✅ {filename}: imported {count} sessions.", count)
    return text.format(filename=filename, count=count)


def import_report(report) -> str:
    if report.ok:
        return _imported(report)
    shown = report.errors[:15]
    more = len(report.errors) - len(shown)
    # Translators: {filename} is the name of the file the organiser sent; a list of its errors follows.
    refused = _("❌ {filename}: nothing was imported. Fix these rows and send the file again:")
    lines = [refused.format(filename=report.filename)]
    lines += [f"• {e}" for e in shown]
    if more:
        # Translators: after a list of the first errors of a file: how many more there are.
        lines.append(ngettext("… and {count} more.", "… and {count} more.", more).format(count=more))
    return "\n".join(lines)


def pins_table(lines, syntax: Syntax = CHAT) -> str:
    if not lines:
        # Translators: {import_files} is a sentence that says how to import the agenda.
        return _("There are no sessions yet. {import_files}").format(import_files=_(syntax.import_files))
    # Translators: the heading of the list of PINs: each session's check-in (IN) and check-out (OUT) PIN.
    out = [_("PINs (session: IN / OUT):")]
    for line in lines:
        out.append(f"• {line.session.session_id} {line.session.title}: {line.pin_in or '—'} / {line.pin_out or '—'}")
        if line.rotating_now:
            out.append(rotating_line(line))
    if any(line.pin_in is None or line.pin_out is None for line in lines):
        # Translators: {command} is the command that generates the missing PINs (/genpins new).
        out.append(_("Sessions without PINs: {command}").format(command=syntax.genpins_new))
    return "\n".join(out)


def rotating_line(line) -> str:
    # Translators: IN is the session's check-in PIN; {pin} is the PIN shown right now; "s" means seconds.
    text = _("IN also rotates every {seconds} s: now {pin} (the one on the room display)")
    return "  " + text.format(seconds=line.session.pin_rotation_seconds, pin=line.rotating_now)


def _valid_until(moment, tz: ZoneInfo) -> str:
    # Translators: {when} is a date and time.
    return _("Valid until {when}.").format(when=format_local(moment, tz))


def display_link_text(link, tz: ZoneInfo, revoked: bool) -> str:
    first = _("✅ Earlier display links of this session no longer work.") + " " if revoked else ""
    # Translators: {session_id} is a session's id, e.g. S12.
    body = _(
        "Room display for {session_id}: open it on the projector or the screen at the door "
        "(it needs no login: the link is the key, so share it only with whoever runs the screen)."
    ).format(session_id=link.session_id)
    return f"{first}{body}\n{link.url}\n{_valid_until(link.expires_at, tz)}"


# Translators: keep /dashboard and revoke: the organiser types them.
DASHBOARD_USAGE = N_("Usage: /dashboard — a link to the live dashboard · /dashboard revoke — end every earlier link")


def dashboard_link_text(link, tz: ZoneInfo, revoked: bool) -> str:
    first = _("✅ Earlier dashboard links no longer work.") + " " if revoked else ""
    body = _(
        "Live dashboard (counts, charts, refused attempts, reports). The link is the login: keep it to the organisers."
    )
    return f"{first}{body}\n{link.url}\n{_valid_until(link.expires_at, tz)}"


def chart_caption(session) -> str:
    # Translators: the caption of a session's chart; {session} is the session's id and title.
    return _("{session}: arrivals per 5 minutes, and people inside over time.").format(session=session_label(session))


def rotation_set(line) -> str:
    session = session_label(line.session)
    if line.rotating_now is None:
        # Translators: {session} is the session's id and title; the IN PIN is its check-in PIN.
        return _("✅ {session}: the IN PIN no longer rotates.").format(session=session)
    # Translators: {session} is the session's id and title; the IN PIN is its check-in PIN; "s" means seconds;
    # {pin} is the PIN shown right now.
    text = _(
        "✅ {session}: the IN PIN rotates every {seconds} s; now {pin}. The current and the previous one are "
        "accepted; older ones are refused as expired."
    )
    return text.format(session=session, seconds=line.session.pin_rotation_seconds, pin=line.rotating_now)


# Translators: keep /genpins, new and all: the organiser types them.
GENPINS_USAGE = N_("Usage: /genpins new (sessions without PINs) or /genpins all (regenerate every PIN).")
GENPINS_CONFIRM = N_("Regenerate the PINs of every session? PINs already shown on slides or signs will stop working.")
GENPINS_CANCELLED = N_("Cancelled: the PINs are unchanged.")
# Translators: a button under "Regenerate the PINs of every session?"; keep it short (it shares a row with Cancel).
YES_REGENERATE_ALL = N_("Yes, regenerate all")
# Translators: a button; keep it short.
CANCEL = N_("Cancel")
# Translators: keep /setpin; IN PIN and OUT PIN are the session's check-in and check-out PINs.
SETPIN_USAGE = N_("Usage: /setpin <session> <IN PIN> [<OUT PIN>], e.g. /setpin S12 AB12CD EF34GH")


def genpins_done(count: int, syntax: Syntax = CHAT) -> str:
    if count:
        # Translators: {pins} is the command that lists the PINs (/pins).
        text = ngettext(
            "New PINs for {count} session. {pins} lists them.",
            "New PINs for {count} sessions. {pins} lists them.",
            count,
        )
        return text.format(count=count, pins=syntax.pins)
    # Translators: {genpins_all} is the command that regenerates every PIN (/genpins all).
    return _("Every session already has PINs. {genpins_all} regenerates them.").format(genpins_all=syntax.genpins_all)


def setpin_done(line) -> str:
    # Translators: {session_id} is a session's id; IN and OUT are its check-in and check-out PINs.
    return _("✅ {session_id}: IN {pin_in} / OUT {pin_out}").format(
        session_id=line.session.session_id, pin_in=line.pin_in or "—", pin_out=line.pin_out or "—"
    )


UNKNOWN_COMMAND = N_("I don't know that command. /help lists what I can do.")


# ---------------------------------------------------------------- door scanning

NOT_A_SCANNER = N_("You are not a door scanner for this event. If you should be, ask an organiser.")
PHOTO_NOT_EXPECTED = N_(
    "I can't use photos here. To check in, send the session PIN, or show your badge (/badge) to the staff at the door."
)
PHOTO_TOO_LARGE = N_("This file is larger than 20 MB.")
CHOOSE_SESSION_FIRST = N_("Choose the session you are scanning for first: /scan")
NO_SESSIONS_TO_SCAN = N_("There are no sessions you may scan for yet. Ask an organiser.")
PICK_SESSION = N_("Which session are you scanning for? (running now first)")
# Translators: a button that opens the scanner app; keep it short.
OPEN_SCANNER = N_("📷 Open scanner (continuous scanning)")
SCAN_STOPPED = N_("Scanning stopped. /scan to start again.")
NO_CODE_FOUND = N_(
    "🔍 I couldn't find a readable QR code in this photo. Try again closer and steady, send it as a "
    "file (📎 → File) so Telegram doesn't compress it, or type the badge code or attendee id."
)
# Shown in the chat and as pop-ups over it (at most 200 characters).
SCAN_REFUSALS = {
    ActionRefusal.NOT_SCANNER: NOT_A_SCANNER,
    ActionRefusal.NO_SESSION_CHOSEN: CHOOSE_SESSION_FIRST,
    ActionRefusal.UNKNOWN_SESSION: N_("There is no such session. /scan lists yours."),
    ActionRefusal.SCANNER_NOT_PERMITTED: N_(
        "⛔ You may not scan for that session. /scan lists the sessions you may scan for."
    ),
    ActionRefusal.NOT_OVERRIDABLE: N_("This verdict cannot be overridden."),
    ActionRefusal.ALREADY_OVERRIDDEN: N_("Already admitted."),
    ActionRefusal.CANNOT_UNDO: N_("You can only undo your own check-ins."),
    ActionRefusal.UNDO_TOO_LATE: N_("Too late to undo: scans can be undone within {minutes} minutes."),
    ActionRefusal.ALREADY_UNDONE: N_("Already undone."),
}


def scan_refusal(reason: ActionRefusal) -> str:
    """Why a scanner's action is not done, with the rule engine's numbers filled in."""
    return _(SCAN_REFUSALS[reason]).format(minutes=undo_window_minutes())


def scanning_for(session) -> str:
    # Translators: {session} is the session's id and title; keep "/scan off".
    text = _(
        "📷 Scanning for {session}. Send photos of badges (several badges per photo work), "
        "or type a badge code or attendee id. /scan off to stop."
    )
    return text.format(session=session_label(session))


def _capacity_line(result) -> str:
    if result.session is None or result.inside_now is None:
        return ""
    cap = result.session.capacity
    if cap is None:
        # Translators: {inside} is how many people are in the session's room now.
        return _("Inside now: {inside}").format(inside=result.inside_now)
    left = max(cap - result.inside_now, 0)
    # Translators: {inside} people are in the room now, {capacity} may be; {count} places are left.
    text = ngettext(
        "Inside now: {inside} / {capacity} ({count} place left)",
        "Inside now: {inside} / {capacity} ({count} places left)",
        left,
    )
    return text.format(inside=result.inside_now, capacity=cap, count=left)


def _who(result) -> str:
    a = result.attendee
    # Translators: stands for the attendee's name when the code names nobody.
    return f"{a.name} ({a.attendee_id})" if a else _("unknown")


def _yes_no(value) -> str:
    if value is None:
        return "—"
    # Translators: answers in "Registered: {registered} · Targeted: {targeted}" on a scan's card.
    return _("yes") if value else _("no")


# Placeholders of the scan cards: {window_at} and {earlier} are times, {who} the attendee's name and id.
SCAN_HEADS = {
    Reason.OK: N_("🟢 GREEN — checked in"),
    Reason.NOT_REGISTERED: N_("🔴 RED — not registered for this session (access control)"),
    Reason.SESSION_FULL: N_("🔴 RED — session full"),
    # Translators: {window_at} is a time.
    Reason.TOO_EARLY: N_("🔴 RED — too early: check-in opens at {window_at}"),
    # Translators: {window_at} is a time.
    Reason.CLOSED: N_("🔴 RED — check-in closed at {window_at}"),
    # Translators: {earlier} is the time of the earlier check-in (or the word "earlier" when it is unknown).
    Reason.ALREADY_CHECKED_IN: N_("🟡 Already checked in since {earlier}"),
    Reason.INVALID_CODE: N_(
        "🔴 RED — invalid code: this is not a badge of this event (or the attendee id is unknown)."
    ),
    # Translators: {who} is the attendee's name and id, e.g. "Ada Lovelace (REG-0042)".
    Reason.REVOKED: N_("🔴 RED — revoked badge of {who}: a newer badge was issued. Ask for the new one."),
    Reason.SCANNER_NOT_PERMITTED: SCAN_REFUSALS[ActionRefusal.SCANNER_NOT_PERMITTED],
}
# These verdicts are one line: there is no attendee at the session to describe.
ONE_LINE_VERDICTS = frozenset({Reason.INVALID_CODE, Reason.REVOKED, Reason.SCANNER_NOT_PERMITTED})


def scan_verdict(result, tz: ZoneInfo) -> str:
    reason = result.verdict.reason
    head = _(SCAN_HEADS[reason]).format(
        who=_who(result),
        earlier=_earlier(result.verdict.earlier_at, tz),
        window_at=_moment(result.verdict.window_at, result.at, tz),
    )
    if reason in ONE_LINE_VERDICTS:
        return head
    if result.override:
        # Translators: {verdict} is a scan's verdict, e.g. "🔴 RED — session full", that the scanner overrode.
        head = _("{verdict} (admitted anyway)").format(verdict=head)
    lines = [head, _who(result), session_label(result.session)]
    if result.session is None or result.session.access_control:
        # Registration decides who comes in only where access control is on: elsewhere the line is left out.
        # Translators: {registered} and {targeted} are "yes", "no" or "—" (unknown).
        facts = _("Registered: {registered} · Targeted: {targeted}").format(
            registered=_yes_no(result.registered), targeted=_yes_no(result.targeted)
        )
        lines.append(facts)
    capacity = _capacity_line(result)
    if capacity:
        lines.append(capacity)
    return "\n".join(lines)


def undo_done(result) -> str:
    # Translators: {name} is the attendee's name, {session} the session's id and title, {inside} how many people
    # are in the room now.
    text = _("↩️ Undone: {name} is no longer checked in to {session}. Inside now: {inside}")
    return text.format(name=result.attendee.name, session=session_label(result.session), inside=result.inside_now)


# Translators: a button under a refused scan that lets the person in; keep it short.
ADMIT_ANYWAY = N_("Admit anyway")
# Translators: a button under an accepted scan that annuls it; keep it short.
UNDO = N_("Undo")


# ---------------------------------------------------------------- organisers: scanners, access, badges

# Translators: keep /unlink.
UNLINK_USAGE = N_("Usage: /unlink <attendee id>")
ACCESS_USAGE = CHAT.access_usage
CAPACITY_USAGE = CHAT.capacity_usage
# Translators: keep /reissuebadge.
REISSUE_USAGE = N_("Usage: /reissuebadge <attendee id>")


def import_too_large(filename: str) -> str:
    # Translators: {filename} is the name of the file the organiser sent.
    return _("❌ {filename} is larger than 10 MB; nothing was imported.").format(filename=filename)


def scanner_assigned(line) -> str:
    return "✅ " + scanner_line(line).lstrip("• ")


def _acl_meaning(mode) -> str:
    if mode == "include":
        return _("Access-controlled sessions now admit registered and targeted attendees.")
    return _("Access-controlled sessions now admit registered attendees only.")


def acl_now(mode) -> str:
    # Translators: {mode} is include or exclude, as typed after /acl (keep it); {meaning} is a sentence saying
    # whom access-controlled sessions admit.
    now = _("Now: {mode}. {meaning}").format(mode=mode.value, meaning=_acl_meaning(mode))
    return now + "\n" + _(CHAT.acl_usage)


def shortlink_removed(code: str) -> str:
    # Translators: {code} is a shortlink's code, e.g. SL001.
    return _("✅ Shortlink {code} removed; its QR code no longer checks in.").format(code=code)


SCANNER_USAGE = CHAT.scanner_usage


def scanner_line(line) -> str:
    if line.all_sessions:
        # Translators: what a door scanner may scan for, in the list of scanners.
        scope = _("all sessions")
    else:
        # Translators: what a door scanner may scan for, in the list of scanners.
        scope = ", ".join(line.session_ids) or _("no sessions")
    text = f"• {line.label} [{line.user_id}]: {scope}"
    if line.current_session_id:
        # Translators: {scanner} is a line of the list of scanners ("• Dora [42]: S12, S13"); {session_id} is the
        # session they are scanning for right now.
        text = _("{scanner} — now scanning {session_id}").format(scanner=text, session_id=line.current_session_id)
    return text


def scanners_list(lines, syntax: Syntax = CHAT) -> str:
    if not lines:
        # Translators: {usage} is the sentence that says how to add a scanner.
        return _("No door scanners yet. {usage}").format(usage=_(syntax.scanner_usage))
    return _("Door scanners:") + "\n" + "\n".join(scanner_line(line) for line in lines)


def scanner_removed(who: str) -> str:
    # Translators: {who} is the scanner as the organiser named them (attendee id, @username or Telegram id).
    return _("✅ {who} is no longer a scanner.").format(who=who)


def access_set(session) -> str:
    if session.access_control:
        # Translators: {session} is the session's id and title.
        text = _("✅ Access control for {session} is on: only allowed attendees get in.")
    else:
        # Translators: {session} is the session's id and title.
        text = _("✅ Access control for {session} is off: everyone may check in.")
    return text.format(session=session_label(session))


def acl_set(mode) -> str:
    return "✅ " + _acl_meaning(mode)


def capacity_set(session) -> str:
    if session.capacity is None:
        # Translators: {session} is the session's id and title.
        return _("✅ Capacity of {session}: no limit.").format(session=session_label(session))
    # Translators: {session} is the session's id and title.
    text = ngettext(
        "✅ Capacity of {session}: {count} person.", "✅ Capacity of {session}: {count} people.", session.capacity
    )
    return text.format(session=session_label(session), count=session.capacity)


def badge_caption(name: str) -> str:
    # Translators: {name} is the attendee's name.
    return _("Your badge, {name}. Show this QR code to the staff at the door.").format(name=name)


def badge_reissued(badge) -> str:
    # Translators: {name} and {attendee_id} name the attendee; {code} is the new badge's code.
    text = _("✅ New badge for {name} ({attendee_id}); the old one is revoked.\nCode: {code}")
    return text.format(name=badge.name, attendee_id=badge.attendee_id, code=badge.token)


def image_rejected(reason: str) -> str:
    # Translators: {reason} is a sentence saying why a photo could not be read.
    return _("{reason} You can also type the badge code or attendee id.").format(reason=reason)


# ---------------------------------------------------------------- shortlinks

SHORTLINK_UNKNOWN = N_(
    "This QR code is not (or no longer) active for attendance. Send the session PIN instead, "
    "or ask the staff at the door."
)
SHORTLINK_USAGE = CHAT.shortlink_usage


def shortlink_reply(outcome, tz: ZoneInfo) -> str:
    result = outcome.result
    if result.verdict.accepted and outcome.popup:
        return f"{pin_reply(result, tz)}\n\n{outcome.popup}"
    return pin_reply(result, tz)


# Translators: what "Pop-up:" shows for a shortlink without a pop-up message of its own.
NO_POPUP = N_("none (the check-in confirmation only)")


def shortlink_line(line) -> str:
    # Translators: a shortlink in a list: {code} is its code (SL001), {session} the session's id and title, {link}
    # its address; {popup} is the message shown after a check-in through it.
    text = _("• {code} → {session}\n  {link}\n  Pop-up: {popup}")
    return text.format(
        code=line.code, session=session_label(line.session), link=line.link, popup=line.popup or _(NO_POPUP)
    )


def shortlink_saved(line, syntax: Syntax = CHAT) -> str:
    # Translators: {shortlink} is the shortlink's description (several lines); {command} is the command that makes
    # its QR image, e.g. "/shortlinkqr SL001".
    text = _("✅ Shortlink saved:\n{shortlink}\n{command} for the QR image.")
    return text.format(shortlink=shortlink_line(line), command=f"{syntax.shortlinkqr} {line.code}")


def shortlinks_list(lines, syntax: Syntax = CHAT) -> str:
    if not lines:
        # Translators: {usage} is the sentence that says how to add a shortlink.
        return _("No shortlinks yet. {usage}").format(usage=_(syntax.shortlink_usage))
    return _("Shortlinks:") + "\n" + "\n".join(shortlink_line(line) for line in lines)


# ---------------------------------------------------------------- organisers: views and reports

# Translators: keep /report, checkins, checkouts and csv: the organiser types them.
REPORT_USAGE = N_(
    "Usage: /report checkins, /report checkouts or /report credits — an XLSX file; add csv for CSV, "
    "e.g. /report checkouts csv"
)
# Translators: keep /session.
SESSION_USAGE = N_("Usage: /session <session id>, e.g. /session S12")
# Translators: keep /attendee.
ATTENDEE_USAGE = N_("Usage: /attendee <attendee id, @handle or part of the name>, e.g. /attendee REG-0042")
REPORT_TITLES = {
    # Translators: the title of the report of check-ins.
    "checkins": N_("Check-ins"),
    # Translators: the title of the report of check-outs.
    "checkouts": N_("Check-outs"),
    # Translators: the title of the report of credits earned.
    "credits": N_("Credits"),
}


def report_caption(report: Report, tz: ZoneInfo) -> str:
    title = _(REPORT_TITLES[report.kind])
    if report.rows == 0:
        # Translators: {title} is "Check-ins" or "Check-outs".
        first = _("{title}: none recorded yet, so the file holds the column headers only.").format(title=title)
    else:
        # Translators: {title} is "Check-ins" or "Check-outs".
        first = ngettext("{title}: {count} row.", "{title}: {count} rows.", report.rows)
        first = first.format(title=title, count=report.rows)
    # Translators: {zone} is a time zone name (Europe/Paris), {offsets} its UTC offsets (UTC+02:00).
    lines = [first, _("Times in {zone} ({offsets}).").format(zone=tz.key, offsets=report.offsets)]
    if report.kind == "credits":
        lines.append(
            _("Each attendee's total is on the second sheet.")
            if report.fmt == "xlsx"
            # Translators: keep "csv": it is what the organiser types after /report.
            else _("The XLSX version (without csv) adds a sheet of each attendee's total.")
        )
        return " ".join(lines)
    lines.append(
        _("Refused attempts are on the second sheet.")
        if report.fmt == "xlsx"
        # Translators: keep "csv": it is what the organiser types after /report.
        else _("The XLSX version (without csv) adds a sheet of refused attempts.")
    )
    return " ".join(lines)


def session_summary_text(summary: SessionSummary, tz: ZoneInfo) -> str:
    s, c = summary.session, summary.counts
    lines = [
        f"{s.session_id} · {s.title}",
        format_span(s.starts_at, s.ends_at, tz) + (f" · {s.room}" if s.room else ""),
        _("Access control: on") if s.access_control else _("Access control: off"),
        "",
        _("Registered: {count}").format(count=c.registered),
        _("Targeted: {count}").format(count=c.targeted),
        _("Checked in: {count}").format(count=c.checked_in),
        _("Inside now: {count}").format(count=c.inside_now),
        _("Checked out: {count}").format(count=c.checked_out),
        _("Refused attempts: {count}").format(count=c.refused),
    ]
    if summary.places_left is None:
        lines.append(_("Capacity: none set"))
    else:
        # Translators: {capacity} is how many people the session may hold, {left} how many places are left.
        capacity = _("Capacity: {capacity} · places left: {left}")
        lines.append(capacity.format(capacity=s.capacity, left=summary.places_left))
    if summary.recent:
        lines += ["", _("Last check-ins:")]
        for r in summary.recent:
            when = format_local(r.at, tz, with_date=False)
            if r.override:
                # Translators: a check-in a scanner let through anyway: {when} is a time, {method} how it was made
                # (pin, scan, shortlink or manual: keep these as they are).
                line = _("• {when} {name} ({attendee_id}, {method}, override)")
            else:
                line = "• {when} {name} ({attendee_id}, {method})"
            lines.append(line.format(when=when, name=r.name, attendee_id=r.attendee_id, method=r.method))
    return fit("\n".join(lines))


def attendee_summary_text(summary: AttendeeSummary, tz: ZoneInfo) -> str:
    a = summary.attendee
    if a.walk_in:
        # Translators: an attendee who was not on the list and was added at the door.
        lines = [_("{attendee_id} · {name} (walk-in)").format(attendee_id=a.attendee_id, name=a.name)]
    else:
        lines = [f"{a.attendee_id} · {a.name}"]
    if a.email:
        lines.append(a.email)
    if summary.groups:
        # Translators: {groups} is a list of group names.
        lines.append(_("Groups: {groups}").format(groups=", ".join(summary.groups)))
    lines.append(_("Telegram: linked") if a.telegram_user_id else _("Telegram: not linked yet"))
    # Translators: a heading; {count} is how many sessions follow.
    lines += ["", _("Registered sessions ({count}):").format(count=len(summary.registered))]
    # Translators: the only line under "Registered sessions (0):".
    lines += [f"• {s.session_id} · {s.title}" for s in summary.registered] or [_("• none")]
    # Translators: a heading; {count} is how many sessions follow.
    lines += ["", _("Attended sessions ({count}):").format(count=len(summary.attended))]
    for session in summary.attended:
        lines.append(
            f"• {session.session_id} · {session.title}: " + ", ".join(_visit_text(v, tz) for v in session.visits)
        )
    if not summary.attended:
        # Translators: the only line under "Attended sessions (0):".
        lines.append(_("• none yet"))
    return fit("\n".join(lines))


def _visit_text(visit, tz: ZoneInfo) -> str:
    # Translators: a visit without a check-in, in "{arrived} → {left}" (the check-out time follows the arrow).
    arrived = format_local(visit.check_in, tz) if visit.check_in else _("no check-in")
    left = format_local(visit.check_out, tz, with_date=False) if visit.check_out else "…"
    return f"{arrived} → {left}"


def attendee_choices(lookup: AttendeeLookup, syntax: Syntax = CHAT) -> str:
    lines = [_("Several attendees match:")]
    lines += [f"• {a.attendee_id} · {a.name}" for a in lookup.candidates]
    if lookup.more:
        lines.append(_("… and more: narrow the search."))
    # Translators: {command} is the command to look up an attendee (/attendee).
    lines.append(_("Send {command} with one of these ids.").format(command=syntax.attendee))
    return "\n".join(lines)


# ---------------------------------------------------------------- organisers: files and refusals

INVITES_CAPTION = N_("Personal invite links, one per attendee.")
# Translators: keep BOT_USERNAME: it is a setting's name.
BOT_USERNAME_UNKNOWN = N_("The bot's @username is not known yet: start the bot once, or set BOT_USERNAME.")


def unlinked(attendee_id: str) -> str:
    # Translators: {attendee_id} is an attendee's id, e.g. REG-0042.
    text = _("✅ {attendee_id} is unlinked; their invite link can be opened again by a new account.")
    return text.format(attendee_id=attendee_id)


def badges_caption(count: int, fmt: str) -> str:
    if fmt == "pdf":
        # Translators: keep 'fit to page' as your print dialogs name it.
        text = ngettext(
            "{count} badge, five per A4 page with cut marks: print at 100 % (not 'fit to page').",
            "{count} badges, five per A4 page with cut marks: print at 100 % (not 'fit to page').",
            count,
        )
    else:
        # Translators: 4 × 3 in: four by three inches; keep "/badges pdf".
        text = ngettext(
            "{count} badge image, 4 × 3 in at 300 DPI, ready to print. /badges pdf gives A4 sheets.",
            "{count} badge images, 4 × 3 in at 300 DPI, ready to print. /badges pdf gives A4 sheets.",
            count,
        )
    return text.format(count=count)


def shortlink_qr_caption(count: int) -> str:
    text = ngettext(
        "{count} check-in poster, A4 at 300 DPI, one PNG per shortlink: print at 100 %.",
        "{count} check-in posters, A4 at 300 DPI, one PNG per shortlink: print at 100 %.",
        count,
    )
    return text.format(count=count)


# Placeholders that are commands or usage sentences ({pins}, {genpins_new}, {shortlinks}, {access_usage}, ...)
# come from the front end's `Syntax`; the others are what the organiser typed, or ids. `{x!r}` quotes it.
PROBLEMS = {
    # Translators: {session_id!r} is what the organiser typed, in quotes; {pins} is the command that lists sessions.
    Problem.UNKNOWN_SESSION: N_("There is no session {session_id!r}. {pins} lists the sessions."),
    # Translators: {attendee_id!r} is what the organiser typed, in quotes.
    # Translators: {find_attendee} is the command that looks attendees up, e.g. "/attendee <name>".
    Problem.UNKNOWN_ATTENDEE: N_("There is no attendee {attendee_id!r}. {find_attendee} finds attendees by name."),
    Problem.NOTHING_TO_UNLINK: N_("{attendee_id} has no Telegram account linked."),
    # Translators: {genpins_new} and {genpins_all} are commands (/genpins new, /genpins all).
    Problem.GENPINS_WHICH: N_(
        "Say which sessions: {genpins_new} (sessions without PINs) or {genpins_all} (regenerate every PIN)."
    ),
    # Translators: {why} says what is wrong with the PIN.
    Problem.PIN_INVALID: N_("Not changed: {why}."),
    # Translators: the IN and OUT PINs are a session's check-in and check-out PINs.
    Problem.PINS_IDENTICAL: N_("Not changed: the IN and OUT PINs must differ."),
    # Translators: {direction} is IN (the check-in PIN) or OUT (the check-out PIN); {session_id} a session's id.
    Problem.PIN_TAKEN: N_("Not changed: PIN {pin} is already the {direction} PIN of session {session_id}."),
    # Translators: keep all and off: the organiser types them.
    Problem.SCANNER_SESSIONS_MISSING: N_("Say which sessions: all, off, or session ids (e.g. S12 S13)."),
    # Translators: {who} is an @username; keep /start.
    Problem.USERNAME_NOT_SEEN: N_(
        "{who} has not written to the bot yet. Ask them to send /start, then try again "
        "(or use their numeric Telegram id)."
    ),
    # Translators: {who!r} is what the organiser typed, in quotes.
    Problem.WHO_UNKNOWN: N_("I don't know {who!r}: give an attendee id, an @username or a numeric Telegram id."),
    # Translators: {attendee_id} and {name} name the attendee; keep /start.
    Problem.ATTENDEE_NOT_LINKED: N_(
        "{attendee_id} ({name}) has not linked Telegram yet: they should open their invite link or send /start."
    ),
    # Translators: {label} names a person (their name or Telegram id).
    Problem.NOT_A_SCANNER: N_("{label} is not a scanner."),
    # The usage sentence alone (translated as part of the Syntax).
    Problem.ACCESS_STATE: "{access_usage}",
    Problem.ACL_MODE: "{acl_usage}",
    # Translators: {value!r} is what the organiser typed, in quotes; {reminders_usage} is the usage sentence.
    Problem.REMINDER_MINUTES: N_(
        "{value!r}: say how many minutes before a session starts (1 to 1440), or off. {reminders_usage}"
    ),
    Problem.CAPACITY_VALUE: "{capacity_usage}",
    # Translators: keep SL: every shortlink code starts with it; SL001 is an example.
    Problem.SHORTLINK_CODE: N_(
        "Shortlink code {code!r} must be SL followed by upper-case letters or digits "
        "(at most 64 characters), e.g. SL001."
    ),
    # Translators: {code!r} is what the organiser typed, in quotes; {shortlinks} is the command that lists them.
    Problem.UNKNOWN_SHORTLINK: N_("There is no shortlink {code!r}. {shortlinks} lists them."),
    # Worded with ngettext in problem_text (one code or several); this is the plural, for the tests' placeholders.
    Problem.UNKNOWN_SHORTLINKS: "Unknown shortlinks: {codes}. {shortlinks} lists them.",
    # Translators: keep checkins, checkouts and credits: the organiser types them.
    Problem.UNKNOWN_REPORT: N_("There is no report {kind!r}: choose checkins, checkouts or credits."),
    # Translators: keep xlsx and csv: the organiser types them.
    Problem.UNKNOWN_FORMAT: N_("Unknown format {fmt!r}: the report comes as xlsx (the default) or csv."),
    # Translators: {shortlink_usage} is the sentence that says how to add a shortlink.
    Problem.NO_SHORTLINKS: N_("No shortlinks yet, so there is nothing to print. {shortlink_usage}"),
    Problem.NO_ATTENDEES: N_("No attendees yet, so there are no badges to print. Import the participant list first."),
    # Translators: keep zip and pdf: the organiser types them.
    Problem.BADGE_FORMAT: N_(
        "Unknown format {fmt!r}: badges come as zip (one PNG each, the default) or pdf (A4 sheets)."
    ),
    Problem.EMPTY_QUERY: N_("Say whom to look up: an attendee id, an @handle or part of a name."),
    # Translators: {query!r} is what the organiser typed, in quotes.
    Problem.NO_MATCH: N_("No attendee matches {query!r}. Try their attendee id, @handle or part of the name."),
    # Translators: {value!r} is what the organiser typed, in quotes; keep off; {rotation_usage} is the usage sentence.
    Problem.ROTATION_VALUE: N_(
        "{value!r}: say how many seconds each PIN is shown (10 to 3600), or off. {rotation_usage}"
    ),
    # Translators: {value!r} is what the organiser typed, in quotes; {window_usage} is the usage sentence.
    Problem.WINDOW_VALUE: N_("{value!r} is not a number of minutes (0 to 10080). {window_usage}"),
    # Translators: {name!r} is what the organiser typed, in quotes; keep the example zone names.
    Problem.UNKNOWN_TIMEZONE: N_("{name!r} is not an IANA time zone name such as Europe/Paris or America/New_York."),
    # Translators: keep PUBLIC_URL and .env: the person running the server types them.
    Problem.NO_PUBLIC_URL: N_(
        "Room displays and the dashboard are web pages of the bot's web server: set PUBLIC_URL in .env to its "
        "https address (README: the scanner Mini App) and restart the bot, then ask again."
    ),
    # Translators: keep inside, registered, all and everyone: the organiser types them. S12 is an example.
    Problem.ANNOUNCE_AUDIENCE: N_(
        "Say who gets the announcement: a session and inside, registered or all (e.g. S12 inside), or everyone."
    ),
    Problem.ANNOUNCE_EMPTY: N_("There is nothing to announce: write the text after whom it is for."),
    # Translators: {length}, {most} and {limit} are numbers of characters.
    Problem.ANNOUNCE_TOO_LONG: N_(
        "Not sent: the text has {length} characters and at most {most} fit (Telegram allows {limit}, heading included)."
    ),
    Problem.ANNOUNCE_FILE: N_(
        "Only a photo or a PDF can go with an announcement: reply to one, or send the text alone."
    ),
    # Translators: {value!r} is what the organiser typed, in quotes; {credits_usage} is the usage sentence.
    Problem.CREDIT_RULE: N_("{value!r} is not a credit rule. {credits_usage}"),
}


def problem_text(error: OrganiserError, syntax: Syntax = CHAT) -> str:
    """An organiser's refusal, worded for the front end that asked."""
    details = dict(error.details)
    template = _(PROBLEMS[error.problem])
    if error.problem is Problem.PIN_INVALID:
        details["why"] = pin_problem_text(details["why"], details["pin"])
    if "codes" in details:
        count = len(details["codes"])
        details["codes"] = ", ".join(details["codes"])
        if error.problem is Problem.UNKNOWN_SHORTLINKS:
            # Translators: {codes} is a list of shortlink codes; {shortlinks} is the command that lists them.
            template = ngettext(
                "Unknown shortlink: {codes}. {shortlinks} lists them.",
                "Unknown shortlinks: {codes}. {shortlinks} lists them.",
                count,
            )
    return fit(template.format(**{**_syntax(syntax), **details}))


# ---------------------------------------------------------------- organisers: the event


def window_settings_text(window) -> str:
    def minutes(delta) -> int:
        return int(delta.total_seconds() // 60)

    # Translators: keep checkin_opens and checkin_closes: they are column names of the sessions file. {opens},
    # {closes} and {checkout} are numbers of minutes.
    text = _(
        "Check-in windows (every session without its own checkin_opens / checkin_closes): check-ins from "
        "{opens} min before the start until {closes} min after the end; "
        "check-outs until {checkout} min after the end."
    )
    return text.format(
        opens=minutes(window.opens_before),
        closes=minutes(window.closes_after),
        checkout=minutes(window.checkout_after),
    )


def timezone_now(zone: str) -> str:
    # Translators: {zone} is a time zone name (Europe/Paris); keep /timezone and the example.
    text = _("This event's time zone is {zone}. To change it: /timezone <IANA name>, e.g. /timezone Europe/Paris")
    return text.format(zone=zone)


def timezone_changed(change) -> str:
    if change.old == change.new:
        # Translators: {zone} is a time zone name (Europe/Paris).
        return _("The event's time zone already is {zone}; nothing changed.").format(zone=change.new)
    # Translators: {old} and {new} are time zone names (Europe/Paris); keep EVENT_TIMEZONE and .env: they are a
    # setting and its file.
    text = ngettext(
        "✅ Time zone changed from {old} to {new}. {count} session keeps its wall-clock times (09:00 stays 09:00, "
        "now {new} time), so it moved in real time. Check-ins already recorded keep their real time and are shown "
        "in {new}. Before the next restart, set EVENT_TIMEZONE={new} in .env (or remove it).",
        "✅ Time zone changed from {old} to {new}. {count} sessions keep their wall-clock times (09:00 stays 09:00, "
        "now {new} time), so they moved in real time. Check-ins already recorded keep their real time and are shown "
        "in {new}. Before the next restart, set EVENT_TIMEZONE={new} in .env (or remove it).",
        change.sessions_moved,
    )
    return text.format(old=change.old, new=change.new, count=change.sessions_moved)


def reminders_setting(setting, syntax: Syntax = CHAT, usage: bool = False) -> str:
    """Whether reminders are on, how long before a session starts and to whom (the usage line too)."""
    if setting.minutes is None:
        text = _("Reminders are off: nobody gets a message before a session starts.")
    elif setting.include_targets:
        # Translators: {minutes} is a number of minutes; targeted: in one of the session's target groups.
        text = ngettext(
            "✅ Reminders: {minutes} minute before each session starts, to its registered and targeted attendees "
            "on Telegram.",
            "✅ Reminders: {minutes} minutes before each session starts, to its registered and targeted attendees "
            "on Telegram.",
            setting.minutes,
        ).format(minutes=setting.minutes)
    else:
        # Translators: {minutes} is a number of minutes.
        text = ngettext(
            "✅ Reminders: {minutes} minute before each session starts, to its registered attendees on Telegram.",
            "✅ Reminders: {minutes} minutes before each session starts, to its registered attendees on Telegram.",
            setting.minutes,
        ).format(minutes=setting.minutes)
    return text + "\n" + _(syntax.reminders_usage) if usage else text


def one_room_setting(on: bool, syntax: Syntax = CHAT, usage: bool = False) -> str:
    """Whether a check-in ends a person's visit of every overlapping session (the usage line too)."""
    if on:
        text = _(
            "One room at a time: on. A check-in to a session ends the person's visit of any other session "
            "at the same time, so nobody's minutes count twice."
        )
    else:
        text = _(
            "One room at a time: off. A person may be counted in sessions at the same time: a visit ends with "
            "the OUT PIN or at the session's end."
        )
    return text + "\n" + _(syntax.one_room_usage) if usage else text


def credits_setting(rule, syntax: Syntax = CHAT, usage: bool = False) -> str:
    """The event's credit rule (sessions with their own credit_rule keep theirs), the usage line too."""
    if rule.kind == "proportional":
        # Translators: keep credit_rule: it is a column name of the sessions file.
        text = _(
            "✅ Credits: each session's credits times the share of it attended, rounded down to a quarter "
            "(sessions with their own credit_rule keep it)."
        )
    else:
        # Translators: {percent} is a percentage (80 %); keep credit_rule: it is a column name of the sessions file.
        text = _(
            "✅ Credits: a session's whole credits to those who attended at least {percent} of it, none to the "
            "others (sessions with their own credit_rule keep it)."
        ).format(percent=percent_text(rule.percent))
    return text + "\n" + _(syntax.credits_usage) if usage else text


def credit_amount(value) -> str:
    """A number of credits as the reader's language writes it: 1.5, 1,5."""
    return format_decimal(value, locale=i18n.babel_locale())


def reminder_text(session, tz, now) -> str:
    """The reminder an attendee gets before a session: "S12 · Keynote starts at 10:00 in Room A."
    (with the date when the session starts on another day)."""
    same_day = session.starts_at.astimezone(tz).date() == now.astimezone(tz).date()
    when = format_local(session.starts_at, tz, with_date=not same_day)
    if session.room:
        # Translators: a reminder before a session; {session} is its id and title, {time} e.g. 10:00, {room} a room.
        return _("⏰ {session} starts at {time} in {room}.").format(
            session=session_label(session), time=when, room=session.room
        )
    # Translators: a reminder before a session; {session} is its id and title, {time} e.g. 10:00.
    return _("⏰ {session} starts at {time}.").format(session=session_label(session), time=when)


# ---------------------------------------------------------------- languages


class LanguageSource(StrEnum):
    """Why someone is answered in the language they are (bot.services.languages)."""

    CHOSEN = "chosen"
    TELEGRAM = "telegram"
    EVENT = "event"


# Translators: a button under the list of languages: go back to the Telegram app's language.
TELEGRAM_LANGUAGE = N_("My Telegram app's language")
LANGUAGE_NOW = {
    # Translators: {language} is the name of a language in that language, e.g. "Deutsch".
    LanguageSource.CHOSEN: N_("I answer you in {language}, as you chose. Choose another language:"),
    LanguageSource.TELEGRAM: N_("I answer you in {language}, the language of your Telegram app. Choose another:"),
    LanguageSource.EVENT: N_(
        "I answer you in {language}, the event's language: I don't speak your Telegram app's language. Choose another:"
    ),
}


# Translators: the name of the language you translate into, as it is written inside a sentence such as
# "I answer you in {language}" (e.g. Deutsch, français, español).
THIS_LANGUAGE = N_("English")


def language_now(source: LanguageSource) -> str:
    return _(LANGUAGE_NOW[source]).format(language=_(THIS_LANGUAGE))


def language_chosen() -> str:
    return _("✅ From now on I answer you in {language}. /language changes it again.").format(language=_(THIS_LANGUAGE))


def language_automatic() -> str:
    return _("✅ From now on I answer you in your Telegram app's language: {language}.").format(
        language=_(THIS_LANGUAGE)
    )


# Translators: {asked} is what the person typed; {choices} the language codes, e.g. "de, en, es, fr".
LANGUAGE_UNKNOWN = N_('I don\'t speak "{asked}". Choose with /language, or type /language and one of: {choices}, auto.')


def language_unknown(asked: str) -> str:
    return fit(_(LANGUAGE_UNKNOWN).format(asked=asked[:40], choices=", ".join(sorted(i18n.LANGUAGES))))


# ---------------------------------------------------------------- announcements and /mute

# Translators: keep /announce, inside, registered, all, everyone and stop: the organiser types them. S12 is an
# example session id.
ANNOUNCE_USAGE = N_(
    "Usage: /announce <session> inside|registered|all <text> · /announce everyone <text> · /announce stop\n"
    "e.g. /announce S12 inside The talk starts 10 minutes late.\n"
    "Reply with it to a photo or a PDF to send that file with the text as its caption."
)
# Translators: a button under an announcement's preview; keep it short (it shares a row with Cancel).
SEND = N_("Send")
ANNOUNCE_CANCELLED = N_("Cancelled: nothing was sent.")
ANNOUNCE_NOTHING_TO_STOP = N_("No announcement of yours is being sent.")
# Translators: keep /mute off: the person types it.
MUTED = N_("🔕 No more announcements or reminders from the organisers. /mute off turns them back on.")
# Translators: keep /mute: the person types it.
UNMUTED = N_("🔔 Announcements and reminders are on again. /mute turns them off.")
# Translators: keep /mute and off: the person types them.
MUTE_USAGE = N_("Usage: /mute (no announcements or reminders) or /mute off.")


def announcement_heading(event_name: str, session) -> str:
    """The line above an organiser's announcement, in the recipient's language."""
    if event_name:
        # Translators: the first line of an announcement attendees receive; {event} is the event's name.
        heading = _("📣 From the organisers of {event}").format(event=event_name)
    else:
        # Translators: the first line of an announcement attendees receive.
        heading = _("📣 From the organisers")
    return f"{heading} · {session.session_id} {session.title}" if session is not None else heading


def _announce_audience(audience: str, session) -> str:
    name = f"{session.session_id} {session.title}" if session is not None else ""
    words = {
        # Translators: who gets an announcement; {session} is a session's id and title.
        "inside": _("checked in to {session} now"),
        # Translators: who gets an announcement; {session} is a session's id and title.
        "registered": _("registered for {session}"),
        # Translators: who gets an announcement; {session} is a session's id and title.
        "all": _("checked in to or registered for {session}"),
        # Translators: who gets an announcement.
        "everyone": _("every attendee on Telegram"),
    }
    return words[audience].format(session=name)


def _muted_line(count: int) -> str:
    return ngettext(
        "{count} other person turned announcements off with /mute and will not get it.",
        "{count} other people turned announcements off with /mute and will not get it.",
        count,
    ).format(count=count)


def announce_preview(preview, message_text: str) -> str:
    """What an announcement will say and to how many people, above Send and Cancel."""
    draft = preview.draft
    # Translators: {count} people, {audience} e.g. "checked in to S12 Keynote now".
    lines = [
        ngettext(
            "Send this announcement to {count} person ({audience})?",
            "Send this announcement to {count} people ({audience})?",
            preview.recipients,
        ).format(count=preview.recipients, audience=_announce_audience(draft.audience, preview.session))
    ]
    if preview.muted:
        lines.append(_muted_line(preview.muted))
    if draft.file_kind == "photo":
        lines.append(_("🖼 With the photo you replied to; the text is its caption."))
    elif draft.file_kind == "document":
        lines.append(_("📄 With the PDF you replied to; the text is its caption."))
    return fit("\n".join(lines) + "\n\n" + message_text)


def announce_progress(progress) -> str:
    """An announcement's progress message, edited in place while it is sent, and its summary at the end."""
    if progress.state == "done":
        head = _("📣 Announcement sent.")
    elif progress.state == "stopped":
        head = _("📣 Announcement stopped.")
    else:
        head = _("📣 Sending the announcement…")
    # Translators: counts of an announcement's messages: delivered, not yet sent, to people who blocked the
    # bot, refused by Telegram, and sent while the bot stopped (Telegram may or may not have delivered them).
    line = _("{sent} sent · {waiting} waiting · {blocked} blocked · {failed} failed · {unknown} unknown").format(
        sent=progress.count("sent"),
        waiting=progress.count("waiting", "sending"),
        blocked=progress.count("blocked"),
        failed=progress.count("failed"),
        unknown=progress.count("unknown"),
    )
    if progress.count("cancelled"):
        # Translators: how many messages of a stopped announcement were never sent.
        line += " · " + _("{cancelled} cancelled").format(cancelled=progress.count("cancelled"))
    return f"{head}\n{line}"


def announce_nobody(preview) -> str:
    """An announcement nobody would get: no buttons."""
    # Translators: {audience} e.g. "checked in to S12 Keynote now".
    text = _("Nobody would get this announcement ({audience}), so there is nothing to send.").format(
        audience=_announce_audience(preview.draft.audience, preview.session)
    )
    return text + ("\n" + _muted_line(preview.muted) if preview.muted else "")


def announce_stopped(cancelled: int) -> str:
    return ngettext(
        "⏹ Stopped: {count} message was not sent.", "⏹ Stopped: {count} messages were not sent.", cancelled
    ).format(count=cancelled)
