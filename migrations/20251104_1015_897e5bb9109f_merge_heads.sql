-- revision: 897e5bb9109f
-- down_revision: 5d6523503e7e, 66778c335d51
-- message: merge session_last_message_at and answer_feedback
-- created: 2025-11-04T10:15:00Z

-- +upgrade
-- Joins the two heads; no schema change.

-- +downgrade
-- Splits them again; no schema change.
