-- revision: c52bc8b9e77c
-- down_revision: none
-- message: initial schema
-- created: 2025-10-16T10:38:00Z

-- +upgrade
-- The tax-law Q&A assistant: anonymous clients hold conversations
-- (sessions) of messages; answers are grounded in chunks of laws and
-- regulations (law_sources) and of Q&A and case books (knowledge_sources),
-- found by embedding similarity; tax_rule_config holds the rates and
-- deduction amounts the answers quote, per period of validity.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE clients (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- hash of the browser's anonymous key; never the key itself
    anonymous_key_hash text NOT NULL,
    locale text NOT NULL DEFAULT 'ko-KR',
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT clients_anonymous_key_hash_key UNIQUE (anonymous_key_hash)
);

CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    title text,
    status text NOT NULL DEFAULT 'open',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_status_check CHECK (status IN ('open', 'closed'))
);

CREATE INDEX sessions_client_id_created_at_idx ON sessions (client_id, created_at DESC);

CREATE TABLE messages (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    role text NOT NULL,
    content text NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_role_check CHECK (role IN ('user', 'assistant'))
);

CREATE INDEX messages_session_id_created_at_idx ON messages (session_id, created_at);

CREATE TABLE law_sources (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    law_name text NOT NULL,
    article text,
    paragraph text,
    content text NOT NULL,
    source_url text,
    effective_date date,
    -- sha256 of the normalised chunk text: the loader skips duplicates
    chunk_hash text NOT NULL,
    embedding vector(1024) NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT law_sources_chunk_hash_key UNIQUE (chunk_hash)
);

CREATE INDEX law_sources_law_name_article_idx ON law_sources (law_name, article);
CREATE INDEX law_sources_embedding_hnsw_idx ON law_sources
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX law_sources_metadata_gin_idx ON law_sources USING gin (metadata jsonb_path_ops);

CREATE TABLE knowledge_sources (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source_type text NOT NULL,
    title text,
    question text,
    content text NOT NULL,
    source_url text,
    chunk_hash text NOT NULL,
    embedding vector(1024) NOT NULL,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT knowledge_sources_source_type_check CHECK (source_type IN ('qa', 'casebook')),
    CONSTRAINT knowledge_sources_chunk_hash_key UNIQUE (chunk_hash)
);

CREATE INDEX knowledge_sources_source_type_created_at_idx ON knowledge_sources (source_type, created_at DESC);
CREATE INDEX knowledge_sources_embedding_hnsw_idx ON knowledge_sources
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX knowledge_sources_metadata_gin_idx ON knowledge_sources USING gin (metadata jsonb_path_ops);

CREATE TABLE tax_rule_config (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- e.g. 'income_tax.basic_deduction', 'vat.standard_rate'
    rule_key text NOT NULL,
    value numeric(18, 4) NOT NULL,
    unit text NOT NULL,
    effective_from date NOT NULL,
    effective_to date,
    description text,
    metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tax_rule_config_unit_check CHECK (unit IN ('KRW', 'percent', 'count')),
    CONSTRAINT tax_rule_config_period_check CHECK (effective_to IS NULL OR effective_to > effective_from),
    CONSTRAINT tax_rule_config_rule_key_effective_from_key UNIQUE (rule_key, effective_from)
);

-- +downgrade
DROP TABLE tax_rule_config;
DROP TABLE knowledge_sources;
DROP TABLE law_sources;
DROP TABLE messages;
DROP TABLE sessions;
DROP TABLE clients;
DROP EXTENSION IF EXISTS vector;
