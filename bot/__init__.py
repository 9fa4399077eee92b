"""Session attendance assistant for events, run as a Telegram bot."""
