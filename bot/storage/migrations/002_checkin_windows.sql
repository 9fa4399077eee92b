-- A session's own check-in window (docs/product.md section 8); NULL: the event-wide default applies.
ALTER TABLE sessions ADD COLUMN checkin_opens TEXT;
ALTER TABLE sessions ADD COLUMN checkin_closes TEXT
    CHECK (checkin_closes IS NULL OR checkin_opens IS NULL OR checkin_closes >= checkin_opens);
