-- revision: ad8fb4b0de66
-- down_revision: 81127cfe1099
-- message: link answers to the source chunks they cite
-- created: 2025-10-28T09:30:00Z

-- +upgrade
-- A new, empty table: its indexes need no CONCURRENTLY, and its foreign
-- keys have no rows to check.
CREATE TABLE message_citations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    law_source_id uuid REFERENCES law_sources (id) ON DELETE CASCADE,
    knowledge_source_id uuid REFERENCES knowledge_sources (id) ON DELETE CASCADE,
    -- cosine similarity of the question's embedding and the chunk's
    similarity double precision NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT message_citations_one_source_check
        CHECK (num_nonnulls(law_source_id, knowledge_source_id) = 1),
    CONSTRAINT message_citations_similarity_check CHECK (similarity BETWEEN -1 AND 1)
);

CREATE INDEX message_citations_message_id_similarity_idx ON message_citations (message_id, similarity DESC);
CREATE INDEX message_citations_law_source_id_idx ON message_citations (law_source_id);
CREATE INDEX message_citations_knowledge_source_id_idx ON message_citations (knowledge_source_id);

-- +downgrade
DROP TABLE message_citations;
