"""The web front end: one HTTP server in the bot's process (webhook, the scanner Mini App and its API)."""
