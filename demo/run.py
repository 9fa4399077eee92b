"""Run the rehearsal: set the stage, play the event, stop the bot, say where the files are."""

from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from demo import event
from demo.stage import BOT_USERNAME, EVENT_TIMEZONE, TOKEN, DemoError, Stage, Transcript, bot_environment, human_size
from rehearsal.bot_process import BotDidNotStart, BotDidNotStop, BotProcess, free_port
from rehearsal.emulator import BotApiEmulator

MARKER = ".demo-output"  # marks a directory the demo may wipe and refill
STARTUP_TIMEOUT = 30.0
FILES = (  # key in DemoResult.files, what it is
    ("checkins_report", "check-in report"),
    ("checkouts_report", "check-out report (minutes attended)"),
    ("session_chart", "the chart /session S2 sent: arrivals per 5 minutes and people inside"),
    ("shortlink_qr_zip", "onsite check-in posters, one A4 PNG per shortlink"),
    ("badges_zip", "print-ready badges, one PNG per attendee (4 × 3 in, 300 DPI)"),
    ("badges_pdf", "the same badges on A4 sheets with cut marks"),
    ("invites_csv", "personal invite links for the mail merge"),
    ("daniel_badge_png", "the badge image the bot sent Daniel (/badge)"),
    ("miniapp_sessions", "the scanner Mini App: Dora's sessions (headless Chromium)"),
    ("miniapp_2", "the Mini App's card for Daniel's badge"),
    ("miniapp_3", "... for Ines's badge"),
    ("miniapp_4", "... for Daniel's badge again"),
    ("display_png", "the keynote's room display at 1920×1080"),
    ("display_de_png", "... the same display in German (its link with ?lang=de)"),
    ("dashboard_png", "the organiser dashboard with the keynote's chart"),
    ("daniel_photo", "the door photo of Daniel's phone"),
    ("ines_photo", "the door photo of Ines's printed badge"),
    ("transcript", "this transcript"),
    ("database", "the event's SQLite database"),
    ("bot_log", "the bot's log"),
)


@dataclass
class DemoResult:
    ok: bool
    output_dir: Path
    seconds: float
    steps: int
    error: str | None = None
    files: dict[str, Path] = field(default_factory=dict)
    pins: dict[str, tuple[str, str]] = field(default_factory=dict)
    bot_exit_code: int | None = None


def prepare(output_dir: Path) -> None:
    """An empty output directory. One left by an earlier rehearsal is emptied; any
    other non-empty directory is refused rather than overwritten."""
    if output_dir.exists() and any(output_dir.iterdir()):
        if not (output_dir / MARKER).exists():
            raise DemoError(
                f"{output_dir} is not empty and was not made by the demo; choose another directory "
                "(python -m demo --output DIR)"
            )
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / MARKER).write_text("Made by `python -m demo`; emptied on the next run.\n")


def run_demo(output_dir: Path, quiet: bool = False) -> DemoResult:
    """Rehearse the whole event against the real bot; never raises for a failed step."""
    started = time.monotonic()
    output_dir = Path(output_dir).resolve()
    transcript = Transcript(echo=not quiet)
    result = DemoResult(ok=False, output_dir=output_dir, seconds=0.0, steps=0)
    try:
        prepare(output_dir)
    except DemoError as problem:
        result.error = str(problem)
        return result
    database = output_dir / "event.db"
    api = BotApiEmulator(TOKEN, bot_username=BOT_USERNAME)
    bot: BotProcess | None = None
    stage: Stage | None = None
    try:
        api_url = api.start()
        web_port = free_port()
        bot = BotProcess(
            bot_environment(api_url, event.ORGANISER.user_id, database, web_port), output_dir, output_dir / "bot.log"
        )
        transcript.write("Rehearsal of Open Data Days 2026 — the real bot, a local stand-in for Telegram.")
        transcript.write(
            f"Bot API emulator on {api_url}; bot @{BOT_USERNAME} in {EVENT_TIMEZONE} time; "
            f"files in {_shown(output_dir)}/"
        )
        try:
            bot.start(api, timeout=STARTUP_TIMEOUT)
        except BotDidNotStart as problem:
            raise DemoError(f"the bot did not start: {problem}") from None
        stage = Stage(api, bot, transcript, output_dir, web_root=f"http://127.0.0.1:{web_port}")
        played = event.play(stage)
        result.pins = played.pins
        try:
            result.bot_exit_code = bot.stop()
        except BotDidNotStop as problem:
            raise DemoError(str(problem)) from None
        if result.bot_exit_code != 0:
            raise DemoError(f"the bot exited with code {result.bot_exit_code} after SIGTERM (expected 0)")
        errors = bot.errors()
        if errors:
            raise DemoError("the bot logged errors:\n" + "\n".join(errors[-15:]))
        result.ok = True
    except DemoError as problem:
        result.error = str(problem)
    except KeyboardInterrupt:
        result.error = "interrupted (Ctrl-C)"
        raise
    except Exception as exc:  # a bug in the demo itself, or a file from the bot it cannot read
        result.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    finally:
        if bot is not None:
            bot.cleanup()
            if result.bot_exit_code is None:
                result.bot_exit_code = bot.exit_code
        api.stop()
        result.steps = stage.steps if stage else 0
        result.seconds = time.monotonic() - started
        if stage:
            result.files.update(stage.saved)
        result.files.update(transcript=output_dir / "transcript.txt", database=database, bot_log=output_dir / "bot.log")
        _summary(transcript, result, bot)
        transcript.save(output_dir / "transcript.txt")
    return result


def _summary(transcript: Transcript, result: DemoResult, bot: BotProcess | None) -> None:
    transcript.write()
    transcript.write("─" * 80)
    if not result.ok:
        transcript.write(f"✗ The rehearsal stopped after {result.steps} step(s), {result.seconds:.1f} s:")
        transcript.write(f"  {result.error}")
        problems = bot.problem_lines(limit=15) if bot else []
        if problems:
            transcript.write("  Warnings and errors in the bot's log:")
            for line in problems:
                transcript.write(f"    {line}")
        transcript.write(f"  Everything so far is in {_shown(result.output_dir)}/ (transcript.txt, bot.log).")
        return
    transcript.write(
        f"✓ Rehearsal complete: {result.steps} steps in {result.seconds:.1f} s; "
        f"the bot stopped cleanly on SIGTERM (exit code {result.bot_exit_code})."
    )
    transcript.write(f"Files in {_shown(result.output_dir)}/:")
    for key, what in FILES:
        path = result.files.get(key)
        if path is None:
            continue
        size = human_size(path.stat().st_size) if path.exists() and key != "transcript" else ""
        name = str(path.relative_to(result.output_dir)) if path.is_relative_to(result.output_dir) else str(path)
        transcript.write(f"  {name:<38} {what}" + (f" ({size})" if size else ""))
    transcript.write(
        "Look around the event with the organiser's command line, e.g.\n"
        f"  DATABASE_PATH={_shown(result.files['database'])} .venv/bin/attendance-admin pins"
    )


def _shown(path: Path) -> str:
    """A path as short as it can be shown: relative to the working directory when inside it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
