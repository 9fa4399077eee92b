"""Admin-only bot commands for live views and reports: /report, /session, /attendee.

Each handler parses its arguments, calls one operation from
`admin_commands.reports` and renders the result with the wording below.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import ContextTypes

from admin_commands import reports
from admin_commands.bot_handlers import admin_only, send_file
from bot.domain.times import format_local
from bot.handlers.common import app_ctx

# ---------------------------------------------------------------- wording (to move into bot/texts.py)

REPORT_USAGE = ("Usage: /report checkins or /report checkouts — an XLSX file; add csv for CSV, "
                "e.g. /report checkouts csv")
SESSION_USAGE = "Usage: /session <session id>, e.g. /session S12"
ATTENDEE_USAGE = "Usage: /attendee <attendee id, @handle or part of the name>, e.g. /attendee REG-0042"
MESSAGE_LIMIT = 4000
REPORT_TITLES = {"checkins": "Check-ins", "checkouts": "Check-outs"}


def report_caption(report: reports.Report, tz: ZoneInfo) -> str:
    title = REPORT_TITLES[report.kind]
    if report.rows == 0:
        first = f"{title}: none recorded yet, so the file holds the column headers only."
    else:
        first = f"{title}: {report.rows} row(s)."
    lines = [first, f"Times in {tz.key} ({report.offsets})."]
    lines.append("Refused attempts are on the second sheet." if report.fmt == "xlsx"
                 else "The XLSX version (without csv) adds a sheet of refused attempts.")
    return " ".join(lines)


def session_summary_text(summary: reports.SessionSummary, tz: ZoneInfo) -> str:
    s, c = summary.session, summary.counts
    lines = [f"{s.session_id} · {s.title}",
             f"{format_local(s.starts_at, tz)}–{format_local(s.ends_at, tz, with_date=False)}"
             + (f" · {s.room}" if s.room else ""),
             f"Access control: {'on' if s.access_control else 'off'}",
             "",
             f"Registered: {c.registered}",
             f"Targeted: {c.targeted}",
             f"Checked in: {c.checked_in}",
             f"Inside now: {c.inside_now}",
             f"Checked out: {c.checked_out}",
             f"Refused attempts: {c.refused}"]
    if summary.places_left is None:
        lines.append("Capacity: none set")
    else:
        lines.append(f"Capacity: {s.capacity} · places left: {summary.places_left}")
    if summary.recent:
        lines += ["", "Last check-ins:"]
        lines += [f"• {format_local(r.at, tz, with_date=False)} {r.name} ({r.attendee_id}, {r.method}"
                  + (", override)" if r.override else ")") for r in summary.recent]
    return _fit("\n".join(lines))


def attendee_summary_text(summary: reports.AttendeeSummary, tz: ZoneInfo) -> str:
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
        lines.append(f"• {session.session_id} · {session.title}: "
                     + ", ".join(_visit_text(v, tz) for v in session.visits))
    if not summary.attended:
        lines.append("• none yet")
    return _fit("\n".join(lines))


def _visit_text(visit, tz: ZoneInfo) -> str:
    arrived = format_local(visit.check_in, tz) if visit.check_in else "no check-in"
    left = format_local(visit.check_out, tz, with_date=False) if visit.check_out else "…"
    return f"{arrived} → {left}"


def attendee_choices(lookup: reports.AttendeeLookup) -> str:
    lines = ["Several attendees match:"]
    lines += [f"• {a.attendee_id} · {a.name}" for a in lookup.candidates]
    if lookup.more:
        lines.append("… and more: narrow the search.")
    lines.append("Send /attendee with one of these ids.")
    return "\n".join(lines)


def _fit(text: str) -> str:
    """Telegram refuses messages over 4096 characters; cut rather than fail."""
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


# ---------------------------------------------------------------- handlers

@admin_only
async def report_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    if len(args) not in (1, 2):
        await update.effective_message.reply_text(REPORT_USAGE)
        return
    ctx = app_ctx(context)
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.UPLOAD_DOCUMENT)
    report = await reports.build_report(ctx, args[0], args[1] if len(args) == 2 else "xlsx")
    await send_file(update, context, report.data, report.filename,
                    report_caption(report, ctx.settings.event_timezone))


@admin_only
async def session_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if len(context.args or []) != 1:
        await update.effective_message.reply_text(SESSION_USAGE)
        return
    ctx = app_ctx(context)
    summary = await reports.session_summary(ctx, context.args[0])
    await update.effective_message.reply_text(session_summary_text(summary, ctx.settings.event_timezone))


@admin_only
async def attendee_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not context.args:
        await update.effective_message.reply_text(ATTENDEE_USAGE)
        return
    ctx = app_ctx(context)
    lookup = await reports.find_attendee_summary(ctx, " ".join(context.args))
    if lookup.summary is None:
        await update.effective_message.reply_text(attendee_choices(lookup))
    else:
        await update.effective_message.reply_text(attendee_summary_text(lookup.summary, ctx.settings.event_timezone))
