"""The real bot on a stage of its own: a local Bot API emulator (`emulator.py`) and
`python -m bot` run as a process against it (`bot_process.py`).

The demo (`demo/`), the end-to-end and start-up tests (`tests/`) and the
benchmarks (`bench/`) all rehearse the bot this way. The two pieces live in
this small package rather than in any one of them, so that none imports
another's modules for it: the benchmarks and the demo import no test module,
and the tests do not import the demo (which pulls in a browser driver). It
depends on nothing but the standard library and `bot.config`, and is not
installed with the bot.
"""
