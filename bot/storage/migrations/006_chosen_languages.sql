-- The language a person chose with /language. Without a row they are answered in their
-- Telegram app's language when the bot speaks it, else in the event's (EVENT_LANGUAGE).
CREATE TABLE chosen_languages (
    user_id    INTEGER PRIMARY KEY,
    language   TEXT NOT NULL CHECK (language GLOB '[a-z][a-z]' OR language GLOB '[a-z][a-z][a-z]'),
    chosen_at  TEXT NOT NULL
);
