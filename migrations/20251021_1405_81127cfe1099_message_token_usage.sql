-- revision: 81127cfe1099
-- down_revision: c52bc8b9e77c
-- message: record the model and token usage of each answer
-- created: 2025-10-21T14:05:00Z
-- transaction: false

-- +upgrade
-- messages is written on every question: each statement commits on its
-- own so that no lock is held longer than one catalog change, and the
-- CHECK is added NOT VALID (no scan under the ACCESS EXCLUSIVE lock) and
-- validated afterwards under a SHARE UPDATE EXCLUSIVE lock.
ALTER TABLE messages ADD COLUMN model text;
ALTER TABLE messages ADD COLUMN prompt_tokens bigint;
ALTER TABLE messages ADD COLUMN completion_tokens bigint;
ALTER TABLE messages ADD CONSTRAINT messages_token_counts_check
    CHECK (prompt_tokens >= 0 AND completion_tokens >= 0) NOT VALID;
ALTER TABLE messages VALIDATE CONSTRAINT messages_token_counts_check;

-- +downgrade
ALTER TABLE messages DROP CONSTRAINT messages_token_counts_check;
ALTER TABLE messages DROP COLUMN completion_tokens;
ALTER TABLE messages DROP COLUMN prompt_tokens;
ALTER TABLE messages DROP COLUMN model;
