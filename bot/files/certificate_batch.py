"""Many certificates at once (`/certificates`'s ZIP, release, the benchmark): built and signed
over worker processes, like `bot.files.printables`' badge batches.

Building a PDF is CPU-bound Python (fpdf2's layout, fontTools cutting fonts down the first time
a process meets a set of characters), so one process uses one core. Workers are spawned, not
forked (the bot's process has threads), and each keeps for its whole life what `certificate_pdf`
and `certificate_signing` make once per process: the reduced fonts, fpdf2's parsed fonts and
font objects, the signature's fixed parts and loaded key.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

from bot.files import certificate_fonts, certificate_signing
from bot.files.certificate_pdf import Certificate, certificate_pdf, certificate_text

PARALLEL_FROM = 8
"""Below this many, one thread builds them: starting workers (~1 s each) costs more."""


def signed_pdf(certificate: Certificate, identity: certificate_signing.Identity) -> bytes:
    return certificate_signing.sign(certificate_pdf(certificate), identity)


def signed_pdfs(
    certificates: Sequence[Certificate],
    identity: certificate_signing.Identity,
    parallel: bool | None = None,
    workers: int | None = None,
) -> list[bytes]:
    """Each certificate's signed PDF, in order."""
    workers = workers or os.cpu_count() or 1
    if parallel is None:
        parallel = len(certificates) >= PARALLEL_FROM and workers > 1
    if not parallel:
        return [signed_pdf(c, identity) for c in certificates]
    context = multiprocessing.get_context("spawn")
    # Every character of the batch, once each: the workers cut their fallback fonts down to it at start.
    characters = "".join(sorted(set("".join(map(certificate_text, certificates)))))
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=certificate_fonts.prepare, initargs=(characters,)
    ) as pool:
        chunk = max(1, min(50, len(certificates) // (4 * workers)))
        return list(pool.map(partial(signed_pdf, identity=identity), certificates, chunksize=chunk))
