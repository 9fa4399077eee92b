-- The outbox: messages the bot sends on its own initiative (announcements, reminders), written in
-- the same transaction as the decision to send them, and drained by one sender
-- (bot/telegram/outbox.py). A row's state says what Telegram confirmed:
--   waiting  -> sending (claimed and committed just before the request) -> sent | blocked | failed
--   sending at a restart, or a request whose answer never came: unknown (never sent again)
--   waiting when its broadcast is stopped, or a reminder that came too late: cancelled | dropped
CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('announcement', 'reminder')),
    created_at    TEXT NOT NULL,
    created_by    INTEGER,             -- the organiser's Telegram id (NULL: the command line, a reminder)
    session_id    TEXT COLLATE NOCASE REFERENCES sessions (session_id) ON DELETE SET NULL,
    audience      TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL DEFAULT 'sending' CHECK (state IN ('sending', 'done', 'stopped')),
    progress_chat_id    INTEGER,       -- where the organiser watches it, edited in place
    progress_message_id INTEGER,
    finished_at   TEXT
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id),
    chat_id       INTEGER NOT NULL,
    payload       TEXT NOT NULL,       -- JSON: the Bot API method and its parameters
    state         TEXT NOT NULL DEFAULT 'waiting'
                  CHECK (state IN ('waiting', 'sending', 'sent', 'blocked', 'failed', 'unknown', 'cancelled', 'dropped')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    TEXT,                -- waiting: not before this time (after a failed attempt, or a reminder's time)
    created_at    TEXT NOT NULL,
    done_at       TEXT,
    message_id    INTEGER,             -- Telegram's id of the sent message
    error         TEXT NOT NULL DEFAULT '',
    dedupe_key    TEXT UNIQUE,         -- e.g. one reminder per session and person, however often it is asked for
    UNIQUE (broadcast_id, chat_id)     -- one message per recipient of a broadcast
);
CREATE INDEX outbox_waiting ON outbox (id) WHERE state = 'waiting';
CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, state);

-- People who sent /mute: no announcements and no reminders reach them (/mute off deletes the row).
CREATE TABLE muted (
    user_id   INTEGER PRIMARY KEY,     -- Telegram user id
    muted_at  TEXT NOT NULL
);
