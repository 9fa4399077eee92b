-- Certificates of attendance (bot.services.certificates). A number is random, never sequential.
-- One valid certificate per attendee at most; when their credited attendance changes after
-- release, the old one becomes 'superseded' (superseded_by names the newer) and a new one is
-- issued. 'revoked' is an organiser's decision. The signed PDF is kept once built (in the
-- attendee's language), so the outbox can upload it and every download is the same file.
CREATE TABLE certificates (
    number        TEXT PRIMARY KEY CHECK (length(number) = 12),
    attendee_id   TEXT COLLATE NOCASE NOT NULL REFERENCES attendees (attendee_id) ON DELETE CASCADE,
    issued_at     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    summary       TEXT NOT NULL,              -- JSON: name, sessions, total, as printed
    state         TEXT NOT NULL DEFAULT 'valid' CHECK (state IN ('valid', 'superseded', 'revoked')),
    superseded_by TEXT REFERENCES certificates (number),
    changed_at    TEXT,
    language      TEXT,
    pdf           BLOB
);
CREATE UNIQUE INDEX certificates_one_valid ON certificates (attendee_id) WHERE state = 'valid';
CREATE INDEX certificates_attendee ON certificates (attendee_id);
