"""`attendance-admin certificates release | revoke ID | reissue ID | zip -o FILE | send`, the twins of /certificates,
run against the credits event (A1 earns credits; A2 and A3 none)."""

from __future__ import annotations

import io
import zipfile

import pytest

from admin_commands.__main__ import build_parser
from admin_commands.certificates import cmd_certificates
from admin_commands.output import OutputRefused
from tests.credit_event import attended

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def admin(h, capsys, *argv: str) -> tuple[int, str, str]:
    code = await cmd_certificates(h.ctx, build_parser().parse_args(["certificates", *argv]))
    out, err = capsys.readouterr()
    return code, out, err


async def test_release_zip_revoke_and_send(credits_event, capsys, tmp_path):
    h = credits_event
    await attended(h)
    code, _out, err = await admin(h, capsys, "zip", "-o", str(tmp_path / "c.zip"))
    assert code == 1 and "not released yet" in err and "certificates release" in err
    assert (await admin(h, capsys, "release"))[:2] == (
        0,
        "Certificates are released: 1 issued now. Attendees get theirs with the bot's certificate command.\n",
    )
    code, out, _ = await admin(h, capsys, "zip", "-o", str(tmp_path / "out" / "c.zip"))
    assert code == 0 and out.startswith("Wrote 1 signed certificate(s) to ")
    with zipfile.ZipFile(io.BytesIO((tmp_path / "out" / "c.zip").read_bytes())) as archive:
        (name,) = archive.namelist()
        assert name.startswith("certificate-") and archive.read(name).startswith(b"%PDF")
    with pytest.raises(OutputRefused):
        await admin(h, capsys, "zip", "-o", str(tmp_path / "c.pdf"))

    code, out, _ = await admin(h, capsys, "send")
    assert code == 0 and "Sending 1 certificate(s)" in out
    assert "Sending 0 certificate(s)" in (await admin(h, capsys, "send"))[1]

    number = (await h.rows("SELECT number FROM certificates WHERE attendee_id = 'A1'"))[0][0]
    code, out, _ = await admin(h, capsys, "revoke", "a1")
    assert code == 0 and f"{number[:4]}-{number[4:8]}-{number[8:]} is revoked" in out
    assert (await h.rows("SELECT state FROM certificates WHERE number = ?", (number,))) == [("revoked",)]
    assert "A1 has no valid certificate to revoke." in (await admin(h, capsys, "revoke", "A1"))[2]
    assert "There is no attendee ZZ9." in (await admin(h, capsys, "revoke", "ZZ9"))[2]
    assert (await admin(h, capsys, "revoke"))[0] == 2

    # Revoked stays revoked on another release; reissue gives a new number, once.
    assert "0 issued" in (await admin(h, capsys, "release"))[1]
    code, out, _ = await admin(h, capsys, "reissue", "a1")
    (new,) = [r[0] for r in await h.rows("SELECT number FROM certificates WHERE state = 'valid'")]
    assert code == 0 and out == (
        f"Certificate {new[:4]}-{new[4:8]}-{new[8:]} is issued to A1; the bot's certificate command gives it to them.\n"
    )
    code, _out, err = await admin(h, capsys, "reissue", "A1")
    assert code == 1 and "A1 already has a valid certificate" in err
    assert "A2 has no credits, so no certificate to reissue." in (await admin(h, capsys, "reissue", "A2"))[2]
    assert "There is no attendee ZZ9." in (await admin(h, capsys, "reissue", "ZZ9"))[2]
    assert (await admin(h, capsys, "reissue"))[0] == 2


def test_the_parser():
    args = build_parser().parse_args(["certificates", "zip", "-o", "certificates.zip"])
    assert (args.action, args.output) == ("zip", "certificates.zip")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["certificates", "burn"])
