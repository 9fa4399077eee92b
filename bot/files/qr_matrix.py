"""A QR code's modules, the same as the `qrcode` library makes them, in a tenth of its time.

`qrcode` builds a symbol in pure Python one bit at a time (its bit buffer, its Reed-Solomon
polynomials as objects): 2.4 ms for a certificate's verification link, a third of building a
Latin certificate now. This does the same steps with integers and tables: the data split into
numeric, alphanumeric and byte segments by `qrcode.util.optimal_data_chunks` (as
`QRCode.add_data` does), the smallest version that holds them, the error correction bytes
from log tables, and the modules filled in along a placement path worked out once per version
and mask. The symbol is module for module `qrcode`'s (`tests/test_qr_matrix.py` compares them),
so any reader reads it as before. Bytes in, modules out.
"""

from __future__ import annotations

from functools import cache

from qrcode import base, util
from qrcode.exceptions import DataOverflowError

_ALPHANUMERIC = dict(zip(util.ALPHA_NUM, range(45), strict=True))  # byte value -> its number

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = [0] * 512
_LOG = [0] * 256
_value = 1
for _power in range(255):
    _EXP[_power] = _value
    _LOG[_value] = _power
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _power in range(255, 512):
    _EXP[_power] = _EXP[_power - 255]


@cache
def _generator(degree: int) -> tuple[int, ...]:
    """The Reed-Solomon generator polynomial of `degree`, as the logs of its coefficients after the first."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coefficient in enumerate(poly):
            nxt[j] ^= coefficient
            if coefficient:
                nxt[j + 1] ^= _EXP[_LOG[coefficient] + i]
        poly = nxt
    return tuple(_LOG[c] for c in poly[1:])


def _error_correction(data: list[int], degree: int) -> list[int]:
    generator = _generator(degree)
    remainder = [0] * degree
    for byte in data:
        factor = byte ^ remainder[0]
        del remainder[0]
        remainder.append(0)
        if factor:
            log = _LOG[factor]
            for i, g in enumerate(generator):
                remainder[i] ^= _EXP[g + log]
    return remainder


def _length_bits(mode: int, version: int) -> int:
    return util.mode_sizes_for_version(version)[mode]


def _segment_bits(segment: util.QRData) -> tuple[int, int]:
    """The segment's data as (value, bit count), without its mode and length header."""
    data, value, bits = segment.data, 0, 0
    if segment.mode == util.MODE_NUMBER:
        for i in range(0, len(data), 3):
            chunk = data[i : i + 3]
            size = util.NUMBER_LENGTH[len(chunk)]
            value, bits = (value << size) | int(chunk), bits + size
    elif segment.mode == util.MODE_ALPHA_NUM:
        for i in range(0, len(data) - 1, 2):
            value, bits = (value << 11) | (_ALPHANUMERIC[data[i]] * 45 + _ALPHANUMERIC[data[i + 1]]), bits + 11
        if len(data) % 2:
            value, bits = (value << 6) | _ALPHANUMERIC[data[-1]], bits + 6
    else:
        value, bits = int.from_bytes(data, "big"), 8 * len(data)
    return value, bits


def _codewords(data: bytes, error_correction: int) -> tuple[int, list[int]]:
    """The version and the final sequence of codewords (data and error correction, interleaved)."""
    segments = [(s.mode, len(s), *_segment_bits(s)) for s in util.optimal_data_chunks(data, minimum=20)]
    for version in range(1, 41):
        needed = sum(4 + _length_bits(mode, version) + bits for mode, _n, _v, bits in segments)
        limit = util.BIT_LIMIT_TABLE[error_correction][version]
        if needed <= limit:
            break
    else:
        raise DataOverflowError("the data does not fit in a QR code")
    value, bits = 0, 0
    for mode, count, data_value, data_bits in segments:
        size = 4 + _length_bits(mode, version) + data_bits
        value = (value << size) | (mode << (size - 4)) | (count << data_bits) | data_value
        bits += size
    terminator = min(limit - bits, 4)  # up to four zero bits, then zeros to a whole byte
    bits += terminator
    value <<= terminator
    if bits % 8:
        value <<= 8 - bits % 8
        bits += 8 - bits % 8
    stream = list(value.to_bytes(bits // 8, "big")) if bits else []
    stream += [util.PAD0 if i % 2 == 0 else util.PAD1 for i in range((limit - bits) // 8)]
    blocks, corrections, offset = [], [], 0
    for block in base.rs_blocks(version, error_correction):
        chunk = stream[offset : offset + block.data_count]
        offset += block.data_count
        blocks.append(chunk)
        corrections.append(_error_correction(chunk, block.total_count - block.data_count))
    final = [chunk[i] for i in range(max(map(len, blocks))) for chunk in blocks if i < len(chunk)]
    final += [chunk[i] for i in range(max(map(len, corrections))) for chunk in corrections if i < len(chunk)]
    return version, final


@cache
def _template(version: int, error_correction: int, mask: int) -> tuple[tuple[tuple[bool | None, ...], ...], tuple]:
    """The symbol without its data (function patterns, format and version information: `qrcode`'s
    own), and the data modules in placement order, each with whether the mask flips it."""
    code = base_code(version, error_correction, mask)
    modules = code.modules
    size = len(modules)
    flip = util.mask_func(mask)
    path = []
    row, step = size - 1, -1
    for col in range(size - 1, 0, -2):
        if col <= 6:
            col -= 1
        while True:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    path.append((row, c, flip(row, c)))
            row += step
            if row < 0 or row >= size:
                row -= step
                step = -step
                break
    return tuple(tuple(line) for line in modules), tuple(path)


def base_code(version: int, error_correction: int, mask: int):
    """`qrcode`'s symbol of `version` before its data is placed: what `QRCode.makeImpl` sets up."""
    import qrcode

    code = qrcode.QRCode(version=version, error_correction=error_correction, box_size=1, border=0)
    code.modules_count = version * 4 + 17
    code.modules = [[None] * code.modules_count for _ in range(code.modules_count)]
    code.setup_position_probe_pattern(0, 0)
    code.setup_position_probe_pattern(code.modules_count - 7, 0)
    code.setup_position_probe_pattern(0, code.modules_count - 7)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(False, mask)
    if version >= 7:
        code.setup_type_number(False)
    return code


def qr_modules(data: str | bytes, error_correction: int, mask: int) -> list[list[bool]]:
    """The QR code of `data` at `error_correction` (a `qrcode.constants.ERROR_CORRECT_*`) with
    `mask` (0-7), in the smallest version that holds it, no border: what
    `QRCode(error_correction=..., mask_pattern=mask, border=0)` with `add_data(data)`,
    `make(fit=True)` and `get_matrix()` returns."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    version, codewords = _codewords(raw, error_correction)
    template, path = _template(version, error_correction, mask)
    modules = [list(line) for line in template]
    stream = "".join(map(_BITS.__getitem__, codewords))
    stream += "0" * (len(path) - len(stream))  # the remainder bits past the codewords: light
    for (row, col, flipped), bit in zip(path, stream, strict=True):
        modules[row][col] = (bit == "1") != flipped
    return modules


_BITS = [f"{byte:08b}" for byte in range(256)]
