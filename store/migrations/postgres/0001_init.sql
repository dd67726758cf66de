-- 0001 init: decision audit and feedback (PostgreSQL dialect).
-- The same logical schema as migrations/sqlite/0001_init.sql; the
-- differences are types only: timestamptz for times, boolean for flags,
-- bigint identity for the feedback key. Optional text is '' rather than NULL.

CREATE TABLE decisions (
    id              uuid        PRIMARY KEY,      -- UUIDv7 chosen by the writer, so a retried batch is idempotent
    decided_at      timestamptz NOT NULL,
    service         text        NOT NULL,
    hook            text        NOT NULL,
    hook_instance   text        NOT NULL,
    patient_hash    text        NOT NULL DEFAULT '',  -- keyed hash (package phi), never the id
    policy_revision text        NOT NULL DEFAULT '',
    latency_us      bigint      NOT NULL,
    error_kind      text        NOT NULL DEFAULT '',
    data_issues     text        NOT NULL DEFAULT '[]'
);
CREATE INDEX decisions_decided_at ON decisions (decided_at);

CREATE TABLE decision_cards (
    decision_id uuid    NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    card_uuid   text    NOT NULL,
    rule_id     text    NOT NULL,
    indicator   text    NOT NULL,
    order_ref   text    NOT NULL DEFAULT '',      -- "Type/<keyed hash>"
    PRIMARY KEY (decision_id, position)
);
-- Feedback joins to its rule through the card uuid. Not unique: a repeated
-- call with the same hookInstance yields the same card.
CREATE INDEX decision_cards_card_uuid ON decision_cards (card_uuid);

CREATE TABLE feedback (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    card_uuid            text        NOT NULL,
    service              text        NOT NULL,
    outcome              text        NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
    accepted_suggestions text        NOT NULL DEFAULT '[]',
    reason_system        text        NOT NULL DEFAULT '',
    reason_code          text        NOT NULL DEFAULT '',
    reason_display       text        NOT NULL DEFAULT '',
    user_comment         text        NOT NULL DEFAULT '',
    outcome_at           timestamptz NOT NULL,
    received_at          timestamptz NOT NULL,
    issuer               text        NOT NULL DEFAULT '',
    known                boolean     NOT NULL,    -- the card uuid was in the decision audit
    -- A client that retries after a timeout sends the same entry again.
    UNIQUE (card_uuid, outcome, outcome_at)
);
CREATE INDEX feedback_outcome_at ON feedback (outcome_at);
CREATE INDEX feedback_received_at ON feedback (received_at);
-- Small: only feedback that arrived before its decision was written.
CREATE INDEX feedback_unknown ON feedback (card_uuid) WHERE NOT known;
