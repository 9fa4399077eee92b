"""Every sentence the bot says in the chat (plain text, no markup), so the
wording stays consistent and can be translated later.

Reason codes are enums, and the wording for them is keyed by them (`PIN_REPLIES`,
`SCAN_HEADS`, `SCAN_REFUSALS`, `PROBLEMS`); tests fail when a code has no
wording. Sentences that name a command take a `Syntax`: the chat's (`CHAT`)
or the command line's (in the command line's own catalogue), so each front end
speaks its own syntax. Import row errors are worded in `bot.importer`, next to
the checks that find them: they describe the file, the same on both front ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.rules import ActionRefusal, Direction, Reason
from bot.domain.times import format_local, format_span
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


CHAT = Syntax(
    pins="/pins",
    genpins_new="/genpins new",
    genpins_all="/genpins all",
    shortlinks="/shortlinks",
    shortlinkqr="/shortlinkqr",
    import_files="Send a sessions file (CSV or XLSX) to import the agenda.",
    access_usage="Usage: /access <session> on|off",
    acl_usage="Usage: /acl include (registered or targeted attendees) or /acl exclude (registered attendees only).",
    capacity_usage="Usage: /capacity <session> <number|none>",
    scanner_usage="Usage: /scanner <attendee id | @username | numeric id> all | off | <session> [<session> ...]",
    rotation_usage="Usage: /pinrotate <session> <seconds|off>, e.g. /pinrotate S12 60",
    display_usage="Usage: /display <session> — its room display's link · /display <session> revoke — a new link",
    window_usage=(
        "Usage: /checkinwindow <minutes before the start> <minutes after the end> [<check-out minutes after the end>], "
        "e.g. /checkinwindow 30 0 60"
    ),
    shortlink_usage=(
        "Usage: /shortlink <SLcode> <session> [pop-up message] · /shortlink <SLcode> off\n"
        "e.g. /shortlink SL001 S12 Welcome to the workshop!"
    ),
    attendee="/attendee",
)

# ---------------------------------------------------------------- general

TELEGRAM_TEXT_LIMIT = 4096


def fit(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> str:
    """Cut a reply to Telegram's limit: a refusal may echo what was typed, and
    a reply that is too long is refused by Telegram and never arrives."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


NOT_ON_LIST = (
    "I don't have you on this event's list yet. Open the personal invite link the organisers "
    "sent you, or ask them to add you."
)
INVITE_UNKNOWN = "This invite link is not valid (or was replaced). Ask the organisers for your personal link."
INVITE_TAKEN = (
    "This invite link is already linked to another Telegram account. If that is wrong, ask the "
    "organisers to unlink it, then open the link again."
)
NOT_UNDERSTOOD = (
    "I didn't understand that. To check in or out, send the session PIN (letters and digits, "
    "e.g. K7PX3M). /help shows everything I can do."
)
UNSUPPORTED_MESSAGE = "I can only read text messages here. Send the session PIN to check in or out, or /help."
INTERNAL_ERROR = (
    "Sorry, something went wrong on my side while answering you. If you sent a PIN, "
    "/myattendance shows whether it was recorded; otherwise please try again in a moment."
)
ADMIN_ONLY = "Sorry, that command is for the event organisers only."
BUTTON_EXPIRED = "This button has expired."
IMPORT_HINT = "To import a file, send it here as a document (CSV or XLSX)."


def welcome(name: str, linked_now: bool) -> str:
    first = (
        f"Welcome, {name}! Your Telegram account is now linked to your registration."
        if linked_now
        else f"Hello, {name}!"
    )
    return (
        f"{first}\n\nWhen a session starts, send me its PIN to check in, and its OUT PIN when you leave. "
        "/myattendance shows your check-ins, /help everything else."
    )


HELP_ATTENDEE = """How to record your attendance:
• Send the session's IN PIN to check in, and its OUT PIN when you leave (any case works).
• Scanning a QR code on the wall of a room checks you in too.
• /badge — your personal badge QR code, for door staff to scan
• /myattendance — your check-ins and check-outs
• /help — this message"""

HELP_SCANNER = """Door staff:
• /scan — choose the session you scan for (/scan S12 picks it directly; /scan off stops)
• then send photos of badges (as photos, or as files for sharper images), or type a badge code or attendee id"""

HELP_ADMIN = """Organisers:
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
• /session S12 · /attendee <id, @handle or name> · /report checkins|checkouts [csv]"""


def help_text(is_admin: bool, is_scanner: bool) -> str:
    parts = [HELP_ATTENDEE]
    if is_scanner or is_admin:
        parts.append(HELP_SCANNER)
    if is_admin:
        parts.append(HELP_ADMIN)
    return "\n\n".join(parts)


def session_label(session) -> str:
    return f"{session.session_id} · {session.title}"


# ---------------------------------------------------------------- attendance by PIN


PIN_REPLIES = {
    Reason.OK: "✅ Checked in to {session} at {when}. Send the OUT PIN when you leave.",
    Reason.CHECKED_OUT_WITHOUT_CHECK_IN: (
        "👋 Checked out of {session} at {when}. I had no check-in for you there; it is noted for the organisers. "
        "Next time send the IN PIN when you arrive."
    ),
    Reason.TOO_MANY_ATTEMPTS: "⏳ Too many wrong PINs. PIN entry is paused until {locked_until}; try again then.",
    Reason.UNKNOWN_PIN: "❌ That PIN doesn't match any session. Check it on the screen or sign and send it again.",
    Reason.PIN_EXPIRED: "⌛ That PIN has expired: use the one on the screen now ({session}).",
    Reason.TOO_EARLY: "⏳ Too early: attendance for {session} opens at {window_at}. Please try again then.",
    Reason.CLOSED: (
        "⌛ Attendance for {session} closed at {window_at}, so nothing was recorded. "
        "If you were there, please tell the organisers."
    ),
    Reason.NOT_REGISTERED: (
        "⛔ {session} is only open to registered participants, and you are not on its list. "
        "Please ask the staff at the door."
    ),
    Reason.SESSION_FULL: "⛔ {session} is full. Please ask the staff at the door.",
    Reason.ALREADY_CHECKED_IN: (
        "You are already checked in to {session} (since {earlier}). Send the OUT PIN when you leave."
    ),
    Reason.ALREADY_CHECKED_OUT: "You already checked out of {session} at {earlier}.",
    Reason.SCANNER_NOT_PERMITTED: "⛔ That scanner may not check people in to {session}.",
    Reason.INVALID_CODE: "❌ That code is not valid for this event.",
    Reason.REVOKED: "❌ That badge was replaced by a newer one.",
}
CHECKED_OUT = "👋 Checked out of {session} at {when}. Thanks for coming!"


def _moment(moment, now, tz: ZoneInfo) -> str:
    """A time of today as 10:30; another day's with its date."""
    if moment is None:
        return ""
    same_day = moment.astimezone(tz).date() == now.astimezone(tz).date()
    return format_local(moment, tz, with_date=not same_day)


def pin_reply(result, tz: ZoneInfo) -> str:
    """The attendee's answer to a PIN (and to a refused shortlink)."""
    verdict = result.verdict
    if verdict.reason is Reason.OK and result.direction is Direction.OUT:
        template = CHECKED_OUT
    else:
        template = PIN_REPLIES[verdict.reason]
    return template.format(
        session=session_label(result.session) if result.session else "",
        when=format_local(result.at, tz, with_date=False),
        window_at=_moment(verdict.window_at, result.at, tz),
        locked_until=format_local(verdict.locked_until, tz, False) if verdict.locked_until else "",
        earlier=format_local(verdict.earlier_at, tz, False) if verdict.earlier_at else "earlier",
    )


def my_attendance(entries, tz: ZoneInfo) -> str:
    if not entries:
        return "You have no check-ins yet. Send a session's PIN to check in."
    lines = ["Your attendance (newest first):"]
    for e in entries:
        verb = "in " if e.direction == "IN" else "out"
        lines.append(f"• {format_local(e.at, tz)} — {verb} — {session_label(e.session)}")
    return "\n".join(lines)


# ---------------------------------------------------------------- organisers


def import_report(report) -> str:
    if report.ok:
        return f"✅ {report.filename}: imported {report.imported} {report.kind}."
    shown = report.errors[:15]
    more = len(report.errors) - len(shown)
    lines = [f"❌ {report.filename}: nothing was imported. Fix these rows and send the file again:"]
    lines += [f"• {e}" for e in shown]
    if more:
        lines.append(f"… and {more} more.")
    return "\n".join(lines)


def pins_table(lines, syntax: Syntax = CHAT) -> str:
    if not lines:
        return "There are no sessions yet. " + syntax.import_files
    out = ["PINs (session: IN / OUT):"]
    for line in lines:
        out.append(f"• {line.session.session_id} {line.session.title}: {line.pin_in or '—'} / {line.pin_out or '—'}")
        if line.rotating_now:
            out.append(rotating_line(line))
    if any(line.pin_in is None or line.pin_out is None for line in lines):
        out.append(f"Sessions without PINs: {syntax.genpins_new}")
    return "\n".join(out)


def rotating_line(line) -> str:
    seconds = line.session.pin_rotation_seconds
    return f"  IN also rotates every {seconds} s: now {line.rotating_now} (the one on the room display)"


def display_link_text(link, tz: ZoneInfo, revoked: bool) -> str:
    first = "✅ Earlier display links of this session no longer work. " if revoked else ""
    return (
        f"{first}Room display for {link.session_id}: open it on the projector or the screen at the door "
        f"(it needs no login: the link is the key, so share it only with who runs the screen).\n{link.url}\n"
        f"Valid until {format_local(link.expires_at, tz)}."
    )


DASHBOARD_USAGE = "Usage: /dashboard — a link to the live dashboard · /dashboard revoke — end every earlier link"


def dashboard_link_text(link, tz: ZoneInfo, revoked: bool) -> str:
    first = "✅ Earlier dashboard links no longer work. " if revoked else ""
    return (
        f"{first}Live dashboard (counts, charts, refused attempts, reports). The link is the login: keep it to "
        f"the organisers.\n{link.url}\nValid until {format_local(link.expires_at, tz)}."
    )


def chart_caption(session) -> str:
    return f"{session_label(session)}: arrivals per 5 minutes, and people inside over time."


def rotation_set(line) -> str:
    if line.rotating_now is None:
        return f"✅ {session_label(line.session)}: the IN PIN no longer rotates."
    return f"✅ {session_label(line.session)}: the IN PIN rotates every {line.session.pin_rotation_seconds} s; " + (
        f"now {line.rotating_now}. The current and the previous one are accepted; older ones are refused as expired."
    )


GENPINS_USAGE = "Usage: /genpins new (sessions without PINs) or /genpins all (regenerate every PIN)."
GENPINS_CONFIRM = "Regenerate the PINs of every session? PINs already shown on slides or signs will stop working."
GENPINS_CANCELLED = "Cancelled: the PINs are unchanged."
YES_REGENERATE_ALL = "Yes, regenerate all"
CANCEL = "Cancel"
SETPIN_USAGE = "Usage: /setpin <session> <IN PIN> [<OUT PIN>], e.g. /setpin S12 AB12CD EF34GH"


def genpins_done(count: int, syntax: Syntax = CHAT) -> str:
    return (
        f"New PINs for {count} session(s). {syntax.pins} lists them."
        if count
        else f"Every session already has PINs. {syntax.genpins_all} regenerates them."
    )


def setpin_done(line) -> str:
    return f"✅ {line.session.session_id}: IN {line.pin_in or '—'} / OUT {line.pin_out or '—'}"


UNKNOWN_COMMAND = "I don't know that command. /help lists what I can do."


# ---------------------------------------------------------------- door scanning

NOT_A_SCANNER = "You are not a door scanner for this event. If you should be, ask an organiser."
PHOTO_NOT_EXPECTED = (
    "I can't use photos here. To check in, send the session PIN, or show your badge (/badge) to the staff at the door."
)
PHOTO_TOO_LARGE = "This file is larger than 20 MB."
CHOOSE_SESSION_FIRST = "Choose the session you are scanning for first: /scan"
NO_SESSIONS_TO_SCAN = "There are no sessions you may scan for yet. Ask an organiser."
PICK_SESSION = "Which session are you scanning for? (running now first)"
OPEN_SCANNER = "📷 Open scanner (continuous scanning)"
SCAN_STOPPED = "Scanning stopped. /scan to start again."
NO_CODE_FOUND = (
    "🔍 I couldn't find a readable QR code in this photo. Try again closer and steady, send it as a "
    "file (📎 → File) so Telegram doesn't compress it, or type the badge code or attendee id."
)
SCAN_REFUSALS = {
    ActionRefusal.NOT_SCANNER: NOT_A_SCANNER,
    ActionRefusal.NO_SESSION_CHOSEN: CHOOSE_SESSION_FIRST,
    ActionRefusal.UNKNOWN_SESSION: "There is no such session. /scan lists yours.",
    ActionRefusal.SCANNER_NOT_PERMITTED: (
        "⛔ You may not scan for that session. /scan lists the sessions you may scan for."
    ),
    ActionRefusal.NOT_OVERRIDABLE: "This verdict cannot be overridden.",
    ActionRefusal.ALREADY_OVERRIDDEN: "Already admitted.",
    ActionRefusal.CANNOT_UNDO: "You can only undo your own check-ins.",
    ActionRefusal.UNDO_TOO_LATE: "Too late to undo: scans can be undone within 15 minutes.",
    ActionRefusal.ALREADY_UNDONE: "Already undone.",
}


def scanning_for(session) -> str:
    return (
        f"📷 Scanning for {session_label(session)}. Send photos of badges (several badges per photo work), "
        "or type a badge code or attendee id. /scan off to stop."
    )


def _capacity_line(result) -> str:
    if result.session is None or result.inside_now is None:
        return ""
    cap = result.session.capacity
    if cap is None:
        return f"Inside now: {result.inside_now}"
    return f"Inside now: {result.inside_now} / {cap} ({max(cap - result.inside_now, 0)} places left)"


def _who(result) -> str:
    a = result.attendee
    return f"{a.name} ({a.attendee_id})" if a else "unknown"


def _yes_no(value) -> str:
    return "—" if value is None else ("yes" if value else "no")


SCAN_HEADS = {
    Reason.OK: "🟢 GREEN — checked in",
    Reason.NOT_REGISTERED: "🔴 RED — not registered for this session (access control)",
    Reason.SESSION_FULL: "🔴 RED — session full",
    Reason.TOO_EARLY: "🔴 RED — too early: check-in opens at {window_at}",
    Reason.CLOSED: "🔴 RED — check-in closed at {window_at}",
    Reason.ALREADY_CHECKED_IN: "🟡 Already checked in since {earlier}",
    Reason.INVALID_CODE: "🔴 RED — invalid code: this is not a badge of this event (or the attendee id is unknown).",
    Reason.REVOKED: "🔴 RED — revoked badge of {who}: a newer badge was issued. Ask for the new one.",
    Reason.SCANNER_NOT_PERMITTED: SCAN_REFUSALS[ActionRefusal.SCANNER_NOT_PERMITTED],
}
# These verdicts are one line: there is no attendee at the session to describe.
ONE_LINE_VERDICTS = frozenset({Reason.INVALID_CODE, Reason.REVOKED, Reason.SCANNER_NOT_PERMITTED})


def scan_verdict(result, tz: ZoneInfo) -> str:
    reason = result.verdict.reason
    earlier = result.verdict.earlier_at
    head = SCAN_HEADS[reason].format(
        who=_who(result),
        earlier=format_local(earlier, tz, False) if earlier else "earlier",
        window_at=_moment(result.verdict.window_at, result.at, tz),
    )
    if reason in ONE_LINE_VERDICTS:
        return head
    if result.override:
        head += " (admitted anyway)"
    facts = f"Registered: {_yes_no(result.registered)} · Targeted: {_yes_no(result.targeted)}"
    lines = [head, _who(result), session_label(result.session), facts]
    capacity = _capacity_line(result)
    if capacity:
        lines.append(capacity)
    return "\n".join(lines)


def undo_done(result) -> str:
    return (
        f"↩️ Undone: {result.attendee_name} is no longer checked in to {session_label(result.session)}. "
        f"Inside now: {result.inside_now}"
    )


ADMIT_ANYWAY = "Admit anyway"
UNDO = "Undo"


# ---------------------------------------------------------------- organisers: scanners, access, badges

UNLINK_USAGE = "Usage: /unlink <attendee id>"
ACCESS_USAGE = CHAT.access_usage
CAPACITY_USAGE = CHAT.capacity_usage
REISSUE_USAGE = "Usage: /reissuebadge <attendee id>"


def import_too_large(filename: str) -> str:
    return f"❌ {filename} is larger than 10 MB; nothing was imported."


def scanner_assigned(line) -> str:
    return "✅ " + scanner_line(line).lstrip("• ")


def acl_now(mode) -> str:
    return f"Now: {mode.value}. " + acl_set(mode).lstrip("✅ ") + "\n" + CHAT.acl_usage


def shortlink_removed(code: str) -> str:
    return f"✅ Shortlink {code} removed; its QR code no longer checks in."


SCANNER_USAGE = CHAT.scanner_usage


def scanner_line(line) -> str:
    scope = "all sessions" if line.all_sessions else (", ".join(line.session_ids) or "no sessions")
    now = f" — now scanning {line.current_session_id}" if line.current_session_id else ""
    return f"• {line.label} [{line.user_id}]: {scope}{now}"


def scanners_list(lines, syntax: Syntax = CHAT) -> str:
    if not lines:
        return "No door scanners yet. " + syntax.scanner_usage
    return "Door scanners:\n" + "\n".join(scanner_line(line) for line in lines)


def scanner_removed(who: str) -> str:
    return f"✅ {who} is no longer a scanner."


def access_set(session) -> str:
    state = "on: only allowed attendees get in" if session.access_control else "off: everyone may check in"
    return f"✅ Access control for {session_label(session)} is {state}."


def acl_set(mode) -> str:
    return (
        "✅ Access-controlled sessions now admit registered and targeted attendees."
        if mode == "include"
        else "✅ Access-controlled sessions now admit registered attendees only."
    )


def capacity_set(session) -> str:
    cap = "no limit" if session.capacity is None else f"{session.capacity} people"
    return f"✅ Capacity of {session_label(session)}: {cap}."


def badge_caption(name: str) -> str:
    return f"Your badge, {name}. Show this QR code to the staff at the door."


def badge_reissued(badge) -> str:
    return f"✅ New badge for {badge.name} ({badge.attendee_id}); the old one is revoked.\nCode: {badge.token}"


def image_rejected(reason: str) -> str:
    return f"{reason} You can also type the badge code or attendee id."


# ---------------------------------------------------------------- shortlinks

SHORTLINK_UNKNOWN = (
    "This QR code is not (or no longer) active for attendance. Send the session PIN instead, "
    "or ask the staff at the door."
)
SHORTLINK_USAGE = CHAT.shortlink_usage


def shortlink_reply(outcome, tz: ZoneInfo) -> str:
    result = outcome.result
    if result.verdict.accepted and outcome.popup:
        return f"{pin_reply(result, tz)}\n\n{outcome.popup}"
    return pin_reply(result, tz)


NO_POPUP = "none (the check-in confirmation only)"


def shortlink_line(line) -> str:
    return f"• {line.code} → {session_label(line.session)}\n  {line.link}\n  Pop-up: {line.popup or NO_POPUP}"


def shortlink_saved(line, syntax: Syntax = CHAT) -> str:
    return f"✅ Shortlink saved:\n{shortlink_line(line)}\n{syntax.shortlinkqr} {line.code} for the QR image."


def shortlinks_list(lines, syntax: Syntax = CHAT) -> str:
    if not lines:
        return "No shortlinks yet. " + syntax.shortlink_usage
    return "Shortlinks:\n" + "\n".join(shortlink_line(line) for line in lines)


# ---------------------------------------------------------------- organisers: views and reports

REPORT_USAGE = (
    "Usage: /report checkins or /report checkouts — an XLSX file; add csv for CSV, e.g. /report checkouts csv"
)
SESSION_USAGE = "Usage: /session <session id>, e.g. /session S12"
ATTENDEE_USAGE = "Usage: /attendee <attendee id, @handle or part of the name>, e.g. /attendee REG-0042"
REPORT_TITLES = {"checkins": "Check-ins", "checkouts": "Check-outs"}


def report_caption(report: Report, tz: ZoneInfo) -> str:
    title = REPORT_TITLES[report.kind]
    if report.rows == 0:
        first = f"{title}: none recorded yet, so the file holds the column headers only."
    else:
        first = f"{title}: {report.rows} row(s)."
    lines = [first, f"Times in {tz.key} ({report.offsets})."]
    lines.append(
        "Refused attempts are on the second sheet."
        if report.fmt == "xlsx"
        else "The XLSX version (without csv) adds a sheet of refused attempts."
    )
    return " ".join(lines)


def session_summary_text(summary: SessionSummary, tz: ZoneInfo) -> str:
    s, c = summary.session, summary.counts
    lines = [
        f"{s.session_id} · {s.title}",
        format_span(s.starts_at, s.ends_at, tz) + (f" · {s.room}" if s.room else ""),
        f"Access control: {'on' if s.access_control else 'off'}",
        "",
        f"Registered: {c.registered}",
        f"Targeted: {c.targeted}",
        f"Checked in: {c.checked_in}",
        f"Inside now: {c.inside_now}",
        f"Checked out: {c.checked_out}",
        f"Refused attempts: {c.refused}",
    ]
    if summary.places_left is None:
        lines.append("Capacity: none set")
    else:
        lines.append(f"Capacity: {s.capacity} · places left: {summary.places_left}")
    if summary.recent:
        lines += ["", "Last check-ins:"]
        lines += [
            f"• {format_local(r.at, tz, with_date=False)} {r.name} ({r.attendee_id}, {r.method}"
            + (", override)" if r.override else ")")
            for r in summary.recent
        ]
    return fit("\n".join(lines))


def attendee_summary_text(summary: AttendeeSummary, tz: ZoneInfo) -> str:
    a = summary.attendee
    lines = [f"{a.attendee_id} · {a.name}" + (" (walk-in)" if a.walk_in else "")]
    if a.email:
        lines.append(a.email)
    if summary.groups:
        lines.append("Groups: " + ", ".join(summary.groups))
    lines.append("Telegram: linked" if a.telegram_user_id else "Telegram: not linked yet")
    lines += ["", f"Registered sessions ({len(summary.registered)}):"]
    lines += [f"• {s.session_id} · {s.title}" for s in summary.registered] or ["• none"]
    lines += ["", f"Attended sessions ({len(summary.attended)}):"]
    for session in summary.attended:
        lines.append(
            f"• {session.session_id} · {session.title}: " + ", ".join(_visit_text(v, tz) for v in session.visits)
        )
    if not summary.attended:
        lines.append("• none yet")
    return fit("\n".join(lines))


def _visit_text(visit, tz: ZoneInfo) -> str:
    arrived = format_local(visit.check_in, tz) if visit.check_in else "no check-in"
    left = format_local(visit.check_out, tz, with_date=False) if visit.check_out else "…"
    return f"{arrived} → {left}"


def attendee_choices(lookup: AttendeeLookup, syntax: Syntax = CHAT) -> str:
    lines = ["Several attendees match:"]
    lines += [f"• {a.attendee_id} · {a.name}" for a in lookup.candidates]
    if lookup.more:
        lines.append("… and more: narrow the search.")
    lines.append(f"Send {syntax.attendee} with one of these ids.")
    return "\n".join(lines)


# ---------------------------------------------------------------- organisers: files and refusals

INVITES_CAPTION = "Personal invite links, one per attendee."
BOT_USERNAME_UNKNOWN = "The bot's @username is not known yet: start the bot once, or set BOT_USERNAME."


def unlinked(attendee_id: str) -> str:
    return f"✅ {attendee_id} is unlinked; their invite link can be opened again by a new account."


def badges_caption(count: int, fmt: str) -> str:
    if fmt == "pdf":
        return f"{count} badge(s), six per A4 page with cut marks: print at 100 % (not 'fit to page')."
    return f"{count} badge image(s), 4 × 3 in at 300 DPI, ready to print. /badges pdf gives A4 sheets."


def shortlink_qr_caption(count: int) -> str:
    return f"{count} check-in poster(s), A4 at 300 DPI, one PNG per shortlink: print at 100 %."


PROBLEMS = {
    Problem.UNKNOWN_SESSION: "There is no session {session_id!r}. {pins} lists the sessions.",
    Problem.UNKNOWN_ATTENDEE: "There is no attendee {attendee_id!r}.",
    Problem.NOTHING_TO_UNLINK: "{attendee_id} has no Telegram account linked.",
    Problem.GENPINS_WHICH: (
        "Say which sessions: {genpins_new} (sessions without PINs) or {genpins_all} (regenerate every PIN)."
    ),
    Problem.PIN_INVALID: "Not changed: {why}.",
    Problem.PINS_IDENTICAL: "Not changed: the IN and OUT PINs must differ.",
    Problem.PIN_TAKEN: "Not changed: PIN {pin} is already the {direction} PIN of session {session_id}.",
    Problem.SCANNER_SESSIONS_MISSING: "Say which sessions: all, off, or session ids (e.g. S12 S13).",
    Problem.USERNAME_NOT_SEEN: (
        "{who} has not written to the bot yet. Ask them to send /start, then try again "
        "(or use their numeric Telegram id)."
    ),
    Problem.WHO_UNKNOWN: "I don't know {who!r}: give an attendee id, an @username or a numeric Telegram id.",
    Problem.ATTENDEE_NOT_LINKED: (
        "{attendee_id} ({name}) has not linked Telegram yet: they should open their invite link or send /start."
    ),
    Problem.NOT_A_SCANNER: "{label} is not a scanner.",
    Problem.ACCESS_STATE: "{access_usage}",
    Problem.ACL_MODE: "{acl_usage}",
    Problem.CAPACITY_VALUE: "{capacity_usage}",
    Problem.SHORTLINK_CODE: (
        "Shortlink code {code!r} must be SL followed by upper-case letters or digits "
        "(at most 64 characters), e.g. SL001."
    ),
    Problem.UNKNOWN_SHORTLINK: "There is no shortlink {code!r}. {shortlinks} lists them.",
    Problem.UNKNOWN_SHORTLINKS: "Unknown shortlink(s): {codes}. {shortlinks} lists them.",
    Problem.UNKNOWN_REPORT: "There is no report {kind!r}: choose checkins or checkouts.",
    Problem.UNKNOWN_FORMAT: "Unknown format {fmt!r}: the report comes as xlsx (the default) or csv.",
    Problem.NO_SHORTLINKS: "No shortlinks yet, so there is nothing to print. {shortlink_usage}",
    Problem.NO_ATTENDEES: "No attendees yet, so there are no badges to print. Import the participant list first.",
    Problem.BADGE_FORMAT: "Unknown format {fmt!r}: badges come as zip (one PNG each, the default) or pdf (A4 sheets).",
    Problem.EMPTY_QUERY: "Say whom to look up: an attendee id, an @handle or part of a name.",
    Problem.NO_MATCH: "No attendee matches {query!r}. Try their attendee id, @handle or part of the name.",
    Problem.ROTATION_VALUE: "{value!r}: say how many seconds each PIN is shown (10 to 3600), or off. {rotation_usage}",
    Problem.WINDOW_VALUE: "{value!r} is not a number of minutes (0 to 10080). {window_usage}",
    Problem.UNKNOWN_TIMEZONE: "{name!r} is not an IANA time zone name such as Europe/Paris or America/New_York.",
}


def problem_text(error: OrganiserError, syntax: Syntax = CHAT) -> str:
    """An organiser's refusal, worded for the front end that asked."""
    details = dict(error.details)
    if "codes" in details:
        details["codes"] = ", ".join(details["codes"])
    return fit(PROBLEMS[error.problem].format(**{**vars(syntax), **details}))


# ---------------------------------------------------------------- organisers: the event


def window_settings_text(window) -> str:
    def minutes(delta) -> int:
        return int(delta.total_seconds() // 60)

    return (
        f"Check-in windows (every session without its own checkin_opens / checkin_closes): check-ins from "
        f"{minutes(window.opens_before)} min before the start until {minutes(window.closes_after)} min after the end; "
        f"check-outs until {minutes(window.checkout_after)} min after the end."
    )


def timezone_now(zone: str) -> str:
    return f"This event's time zone is {zone}. To change it: /timezone <IANA name>, e.g. /timezone Europe/Paris"


def timezone_changed(change) -> str:
    if change.old == change.new:
        return f"The event's time zone already is {change.new}; nothing changed."
    return (
        f"✅ Time zone changed from {change.old} to {change.new}. {change.sessions_moved} session(s) keep their "
        f"wall-clock times (09:00 stays 09:00, now {change.new} time), so they moved in real time. Check-ins already "
        f"recorded keep their real time and are shown in {change.new}. Before the next restart, set EVENT_TIMEZONE="
        f"{change.new} in .env (or remove it)."
    )
