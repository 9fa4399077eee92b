-- The event's data model (PRODUCT.md section 1). Times are UTC text
-- 'YYYY-MM-DDTHH:MM:SS.ffffffZ', which sorts in time order.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Everyone who ever wrote to the bot: lets organisers name people by @username.
CREATE TABLE telegram_users (
    user_id    INTEGER PRIMARY KEY,
    username   TEXT,
    first_name TEXT NOT NULL DEFAULT '',
    last_name  TEXT NOT NULL DEFAULT '',
    seen_at    TEXT NOT NULL
);
CREATE INDEX telegram_users_username ON telegram_users (username);

CREATE TABLE attendees (
    attendee_id      TEXT PRIMARY KEY COLLATE NOCASE CHECK (length(attendee_id) BETWEEN 1 AND 16),
    name             TEXT NOT NULL,
    email            TEXT NOT NULL DEFAULT '',
    telegram_hint    TEXT,              -- imported '@username' (lower case, no @) or numeric id
    telegram_user_id INTEGER UNIQUE,    -- one Telegram account per attendee, one attendee per account
    invite_token     TEXT NOT NULL UNIQUE,
    badge_version    INTEGER NOT NULL DEFAULT 1 CHECK (badge_version >= 1),
    walk_in          INTEGER NOT NULL DEFAULT 0 CHECK (walk_in IN (0, 1)),
    created_at       TEXT NOT NULL
);
CREATE INDEX attendees_hint ON attendees (telegram_hint);

CREATE TABLE attendee_groups (
    attendee_id TEXT COLLATE NOCASE NOT NULL REFERENCES attendees (attendee_id) ON DELETE CASCADE,
    group_name  TEXT NOT NULL,
    PRIMARY KEY (attendee_id, group_name)
);
CREATE INDEX attendee_groups_group ON attendee_groups (group_name);

CREATE TABLE sessions (
    session_id     TEXT PRIMARY KEY COLLATE NOCASE CHECK (length(session_id) BETWEEN 1 AND 32),
    title          TEXT NOT NULL,
    starts_at      TEXT NOT NULL,
    ends_at        TEXT NOT NULL,
    room           TEXT NOT NULL DEFAULT '',
    capacity       INTEGER CHECK (capacity IS NULL OR capacity >= 0),
    access_control INTEGER NOT NULL DEFAULT 0 CHECK (access_control IN (0, 1)),
    CHECK (ends_at >= starts_at)
);

CREATE TABLE session_targets (
    session_id TEXT COLLATE NOCASE NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    group_name TEXT NOT NULL,
    PRIMARY KEY (session_id, group_name)
);

-- One table for IN and OUT PINs so that a PIN is unique across both.
CREATE TABLE pins (
    pin        TEXT PRIMARY KEY CHECK (length(pin) BETWEEN 4 AND 16 AND pin NOT GLOB '*[^A-Z0-9]*'),
    session_id TEXT COLLATE NOCASE NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    direction  TEXT NOT NULL CHECK (direction IN ('IN', 'OUT')),
    UNIQUE (session_id, direction)
);

CREATE TABLE registrations (
    attendee_id TEXT COLLATE NOCASE NOT NULL REFERENCES attendees (attendee_id) ON DELETE CASCADE,
    session_id  TEXT COLLATE NOCASE NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    PRIMARY KEY (attendee_id, session_id)
);
CREATE INDEX registrations_session ON registrations (session_id);

-- Append-only. Accepted and refused attempts, overrides and undos are rows;
-- an undo (direction 'UNDO') and an override point at the row they act on
-- through ref_id, at most once each.
CREATE TABLE attendance_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    attendee_id     TEXT COLLATE NOCASE REFERENCES attendees (attendee_id),
    session_id      TEXT COLLATE NOCASE REFERENCES sessions (session_id),
    direction       TEXT NOT NULL CHECK (direction IN ('IN', 'OUT', 'UNDO')),
    method          TEXT NOT NULL CHECK (method IN ('scan', 'pin', 'shortlink', 'manual')),
    accepted        INTEGER NOT NULL CHECK (accepted IN (0, 1)),
    reason          TEXT NOT NULL,
    override        INTEGER NOT NULL DEFAULT 0 CHECK (override IN (0, 1)),
    registered      INTEGER CHECK (registered IN (0, 1)),
    targeted        INTEGER CHECK (targeted IN (0, 1)),
    actor_user_id   INTEGER,             -- Telegram user who sent the attempt
    scanner_user_id INTEGER,             -- set when door staff recorded it
    ref_id          INTEGER UNIQUE REFERENCES attendance_log (id),
    update_id       INTEGER,             -- the Telegram update that caused it (idempotency)
    item            INTEGER NOT NULL DEFAULT 0,
    detail          TEXT NOT NULL DEFAULT '',
    UNIQUE (update_id, item)
);
CREATE INDEX attendance_log_person ON attendance_log (attendee_id, session_id, id);
CREATE INDEX attendance_log_session ON attendance_log (session_id, id);
CREATE INDEX attendance_log_wrong_pins ON attendance_log (actor_user_id, reason, at);

CREATE TRIGGER attendance_log_no_update BEFORE UPDATE ON attendance_log
BEGIN
    SELECT RAISE(ABORT, 'attendance_log is append-only');
END;

CREATE TRIGGER attendance_log_no_delete BEFORE DELETE ON attendance_log
BEGIN
    SELECT RAISE(ABORT, 'attendance_log is append-only');
END;

-- Who is inside which session now: derived from attendance_log in the same
-- transaction as each log row, so capacity checks stay O(1) during a rush.
CREATE TABLE presence (
    attendee_id TEXT COLLATE NOCASE NOT NULL REFERENCES attendees (attendee_id),
    session_id  TEXT COLLATE NOCASE NOT NULL REFERENCES sessions (session_id),
    inside      INTEGER NOT NULL CHECK (inside IN (0, 1)),
    last_log_id INTEGER NOT NULL REFERENCES attendance_log (id),
    PRIMARY KEY (attendee_id, session_id)
);
CREATE INDEX presence_inside ON presence (session_id, inside);

CREATE TABLE scanners (
    user_id      INTEGER PRIMARY KEY,
    all_sessions INTEGER NOT NULL DEFAULT 0 CHECK (all_sessions IN (0, 1)),
    current_session_id TEXT COLLATE NOCASE REFERENCES sessions (session_id) ON DELETE SET NULL,
    assigned_at  TEXT NOT NULL
);

CREATE TABLE scanner_sessions (
    user_id    INTEGER NOT NULL REFERENCES scanners (user_id) ON DELETE CASCADE,
    session_id TEXT COLLATE NOCASE NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, session_id)
);

CREATE TABLE shortlinks (
    code       TEXT PRIMARY KEY CHECK (length(code) BETWEEN 3 AND 64 AND code GLOB 'SL*' AND substr(code, 3) NOT GLOB '*[^A-Z0-9]*'),
    session_id TEXT COLLATE NOCASE NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
    reference  TEXT NOT NULL DEFAULT '',
    popup      TEXT NOT NULL DEFAULT ''
);

-- Durable inbox: every update is stored here before Telegram is told it was
-- received, and marked done once handled.
CREATE TABLE updates (
    update_id   INTEGER PRIMARY KEY,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    done_at     TEXT
);
CREATE INDEX updates_pending ON updates (done_at, update_id);

-- Confirmation prompts (e.g. /genpins all) survive restarts and are single-use.
CREATE TABLE confirmations (
    token      TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    action     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT
);
