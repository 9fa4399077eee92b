-- Room display links are signed with a secret of their session's own, so one session's links can
-- be revoked (a new secret) without touching the others'.
ALTER TABLE sessions ADD COLUMN display_secret TEXT;
