-- Rotating IN PINs (docs/product.md section 8): opt in per session; the room display shows
-- the PIN derived from the session's own secret and the current time step.
ALTER TABLE sessions ADD COLUMN pin_rotation_seconds INTEGER
    CHECK (pin_rotation_seconds IS NULL OR pin_rotation_seconds BETWEEN 10 AND 3600);
ALTER TABLE sessions ADD COLUMN pin_secret TEXT;
