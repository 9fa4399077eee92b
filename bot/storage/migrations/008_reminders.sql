-- Reminders before sessions (bot/services/reminders.py). A reminder is queued when it comes due,
-- under a broadcast of its session and start time, and must never go out once its session has
-- started, nor for a start time an import or a time zone change has since moved.
ALTER TABLE outbox ADD COLUMN expires_at TEXT;  -- still waiting at this time: dropped, never sent
ALTER TABLE broadcasts ADD COLUMN starts_at TEXT;  -- a reminder: the start of the session it announces
CREATE UNIQUE INDEX broadcasts_reminder ON broadcasts (session_id, starts_at) WHERE kind = 'reminder';
