"""Telegram front end: read the update, call one service function, render the result."""
