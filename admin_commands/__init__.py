"""Organiser operations, written once and exposed twice: as admin-only bot
commands (`admin_commands.bot_handlers`) and as `python -m admin_commands`."""
