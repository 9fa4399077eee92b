-- Credits (bot/domain/credits.py): what a session is worth, in quarter steps (0: none), and its own
-- rule ('threshold 80', 'proportional'); NULL: the event's rule (settings key 'credit_rule').
ALTER TABLE sessions ADD COLUMN credits REAL NOT NULL DEFAULT 0 CHECK (credits >= 0);
ALTER TABLE sessions ADD COLUMN credit_rule TEXT;
