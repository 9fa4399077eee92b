"""`bot.files.qr_matrix` makes, module for module, the QR code the `qrcode` library makes."""

from __future__ import annotations

import random
import string

import pytest
import qrcode

from bot.files.qr_matrix import qr_modules


def library(data: str, error_correction: int, mask: int) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=error_correction, box_size=1, border=0, mask_pattern=mask)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def samples() -> list[tuple[str, int, int]]:
    """Verification links, and text of every kind (digits, QR's alphanumerics, bytes, UTF-8) and
    length, so that every segment mode, version group (1-9, 10-26, 27-40, with version information
    from 7), error correction level and mask is met."""
    rng = random.Random(22)
    alphabets = [string.digits, string.digits + string.ascii_uppercase + " $%*+-./:", string.printable[:94] + "éü漢"]
    made = [
        (f"https://attendance.example.org/verify/BNCH{n:04d}XXXX.{n * 7919:032x}", qrcode.constants.ERROR_CORRECT_M, 2)
        for n in range(10)
    ]
    made += [("", 0, 0), ("7", 1, 1), ("HTTPS://X.ORG/VERIFY/" + "7" * 30 + "ABC", 2, 3)]
    for length in [1, 2, 3, 4, 19, 20, 21, 41, 90, 150, 300, 700, 1200]:
        for alphabet in alphabets:
            made.append(("".join(rng.choice(alphabet) for _ in range(length)), rng.randrange(4), rng.randrange(8)))
    return made


@pytest.mark.parametrize(("data", "error_correction", "mask"), samples())
def test_the_same_symbol_as_the_library(data, error_correction, mask):
    try:
        expected = library(data, error_correction, mask)
    except qrcode.exceptions.DataOverflowError:
        with pytest.raises(qrcode.exceptions.DataOverflowError):
            qr_modules(data, error_correction, mask)
        return
    assert qr_modules(data, error_correction, mask) == expected


def test_too_much_data_for_any_qr_code_says_so():
    with pytest.raises(qrcode.exceptions.DataOverflowError):
        qr_modules("x" * 3000, qrcode.constants.ERROR_CORRECT_H, 0)
