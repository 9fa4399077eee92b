"""Certificates in the chat: `/certificate` (an attendee's own PDF) and `/certificates`
(organisers: a ZIP of all, `release`, `revoke REG-0042`, `reissue REG-0042` after a revoke, `send`
through the outbox)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain import certificate_numbers as numbers
from bot.files.qr import zip_bytes
from bot.handlers.common import app_ctx
from bot.handlers.organiser import admin_only, send_file
from bot.i18n import _
from bot.services import certificates
from bot.services.certificates import CertificateRefusal


def refusal_text(refusal: CertificateRefusal) -> str:
    match refusal.code:
        case "not_released":
            return _("Certificates are not released yet. You will be able to get yours here once they are.")
        case "none":
            return _("You have no certificate: none of the sessions you attended carries credits.")
        case "revoked":
            return _("The organisers revoked your certificate. Ask them if you think this is a mistake.")
        case "unknown_attendee":
            if refusal.details.get("attendee_id"):
                return _("There is no attendee {attendee_id}.").format(attendee_id=refusal.details["attendee_id"])
            return _("Your Telegram account is not linked to a registration yet: open your invite link first.")
        case "already_valid":
            return _("{attendee_id} already has a valid certificate, {number}: nothing to reissue.").format(
                attendee_id=refusal.details.get("attendee_id", ""), number=refusal.details.get("number", "")
            )
        case "no_credits":
            return _("{attendee_id} has no credits, so no certificate to reissue.").format(
                attendee_id=refusal.details.get("attendee_id", "")
            )
        case _:
            return _("{attendee_id} has no valid certificate to revoke.").format(
                attendee_id=refusal.details.get("attendee_id", "")
            )


async def certificate_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    try:
        number, _attendee = await certificates.mine(ctx, update.effective_user.id)
    except CertificateRefusal as refusal:
        await update.effective_message.reply_text(refusal_text(refusal))
        return
    content = (await certificates.pdfs(ctx, [number]))[number]
    caption = _("Your certificate of attendance, number {number}.").format(number=numbers.shown(number))
    await send_file(update, context, content, f"certificate-{numbers.shown(number)}.pdf", caption)


@admin_only
async def certificates_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = app_ctx(context)
    args = context.args or []
    word = args[0].lower() if args else ""
    try:
        if word == "release":
            issued = await certificates.release(ctx)
            await update.effective_message.reply_text(
                _("Certificates are released: {count} issued now. Attendees get theirs with /certificate.").format(
                    count=issued
                )
            )
        elif word == "revoke" and len(args) == 2:
            number = await certificates.revoke(ctx, args[1])
            await update.effective_message.reply_text(
                _(
                    "Certificate {number} is revoked. {attendee_id} gets no new one, not even from another "
                    "release, unless you send /certificates reissue {attendee_id}."
                ).format(number=numbers.shown(number), attendee_id=args[1].upper())
            )
        elif word == "reissue" and len(args) == 2:
            number = await certificates.reissue(ctx, args[1])
            await update.effective_message.reply_text(
                _(
                    "Certificate {number} is issued to {attendee_id}. They get it with /certificate "
                    "(or /certificates send)."
                ).format(number=numbers.shown(number), attendee_id=args[1].upper())
            )
        elif word == "send":
            _broadcast, queued = await certificates.queue_send(ctx, update.effective_user.id)
            await update.effective_message.reply_text(
                _("Sending {count} certificates to attendees on Telegram.").format(count=queued)
            )
        elif not word:
            wanted = await certificates.everyone(ctx)
            built = await certificates.pdfs(ctx, wanted)
            files = [(f"certificate-{numbers.shown(n)}.pdf", built[n]) for n in wanted]
            await send_file(update, context, zip_bytes(files), "certificates.zip")
        else:
            await update.effective_message.reply_text(
                _(
                    "Use /certificates, /certificates release, /certificates revoke ID, "
                    "/certificates reissue ID or /certificates send."
                )
            )
    except CertificateRefusal as refusal:
        await update.effective_message.reply_text(refusal_text(refusal))
