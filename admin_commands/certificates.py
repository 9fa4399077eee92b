"""`attendance-admin certificates release | revoke ID | reissue ID | zip -o certificates.zip | send`: the twin of
the chat's `/certificates` (`bot.services.certificates`). Registered by `admin_commands.__main__`
through its `command` decorator and `ARGUMENTS` table (`register`); the ZIP is written through
`admin_commands.output`."""

from __future__ import annotations

import sys

from admin_commands import cli_texts, output
from bot.domain import certificate_numbers as numbers
from bot.files.qr import zip_bytes
from bot.services import certificates
from bot.services.certificates import CertificateRefusal


async def cmd_certificates(ctx, args) -> int:
    try:
        if args.action == "release":
            print(cli_texts.certificates_released(await certificates.release(ctx)))
        elif args.action == "revoke" and args.attendee:
            number = await certificates.revoke(ctx, args.attendee)
            print(cli_texts.certificate_revoked(numbers.shown(number), args.attendee.upper()))
        elif args.action == "reissue" and args.attendee:
            number = await certificates.reissue(ctx, args.attendee)
            print(cli_texts.certificate_reissued(numbers.shown(number), args.attendee.upper()))
        elif args.action == "zip":
            wanted = await certificates.everyone(ctx)
            built = await certificates.pdfs(ctx, wanted)
            data = zip_bytes([(f"certificate-{numbers.shown(n)}.pdf", built[n]) for n in wanted])
            output.write(
                output.wanted(args),
                data,
                ctx.settings.database_path,
                lambda path: cli_texts.wrote_certificates(len(wanted), path),
            )
        elif args.action == "send":
            _broadcast, queued = await certificates.queue_send(ctx)
            print(cli_texts.certificates_queued(queued))
        else:
            print(cli_texts.CERTIFICATES_USAGE, file=sys.stderr)
            return 2
    except CertificateRefusal as refusal:
        print(cli_texts.certificate_refusal(refusal.code, **refusal.details), file=sys.stderr)
        return 1
    return 0


def register(command) -> dict:
    """Register `certificates` with `__main__`'s `command` decorator; its entries for `ARGUMENTS`."""
    help_text = "certificates of attendance: release | revoke ID | reissue ID | zip -o certificates.zip | send"
    command("certificates", help_text)(cmd_certificates)
    return {
        "certificates": lambda p: (
            p.add_argument("action", choices=["release", "revoke", "reissue", "zip", "send"]),
            p.add_argument("attendee", nargs="?", metavar="ID"),
            p.add_argument("-o", "--output", default="certificates.zip", metavar="FILE"),
        )
    }
