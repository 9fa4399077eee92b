-- Where an attempt came from: the chat, or the scanner Mini App (docs/product.md section 9). A Mini
-- App request carries its own id, so a retried request is recognised and counted once.
ALTER TABLE attendance_log ADD COLUMN source TEXT NOT NULL DEFAULT 'chat' CHECK (source IN ('chat', 'miniapp'));
ALTER TABLE attendance_log ADD COLUMN request_id TEXT CHECK (request_id IS NULL OR length(request_id) BETWEEN 1 AND 64);
CREATE UNIQUE INDEX attendance_log_request ON attendance_log (actor_user_id, request_id, item)
    WHERE request_id IS NOT NULL;
