-- revision: 66778c335d51
-- down_revision: ad8fb4b0de66
-- message: thumbs up or down on an answer, with an optional comment
-- created: 2025-11-03T11:40:00Z

-- +upgrade
CREATE TABLE answer_feedback (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    helpful boolean NOT NULL,
    comment varchar(2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT answer_feedback_message_id_client_id_key UNIQUE (message_id, client_id)
);

CREATE INDEX answer_feedback_client_id_created_at_idx ON answer_feedback (client_id, created_at DESC);

-- +downgrade
DROP TABLE answer_feedback;
