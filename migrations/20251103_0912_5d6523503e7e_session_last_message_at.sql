-- revision: 5d6523503e7e
-- down_revision: ad8fb4b0de66
-- message: order a client's sessions by their latest message
-- created: 2025-11-03T09:12:00Z
-- transaction: false

-- +upgrade
-- A nullable column without a default is a catalog-only change; the
-- index on the live sessions table is built CONCURRENTLY, which cannot run
-- in a transaction, hence transaction: false.
ALTER TABLE sessions ADD COLUMN last_message_at timestamptz;
CREATE INDEX CONCURRENTLY sessions_client_id_last_message_at_idx
    ON sessions (client_id, last_message_at DESC NULLS LAST);

-- +downgrade
DROP INDEX CONCURRENTLY IF EXISTS sessions_client_id_last_message_at_idx;
ALTER TABLE sessions DROP COLUMN last_message_at;
