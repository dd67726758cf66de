-- 0001 init: decision audit and feedback (SQLite dialect).
-- Times are INTEGER microseconds since the Unix epoch, UTC: SQLite has no
-- time type, and integers compare and index correctly, unlike text in mixed
-- formats. Booleans are INTEGER 0/1. Optional text is '' rather than NULL so
-- both backends compare alike. Lists are JSON arrays in TEXT.

CREATE TABLE decisions (
    id              TEXT    PRIMARY KEY,          -- UUIDv7 chosen by the writer, so a retried batch is idempotent
    decided_at      INTEGER NOT NULL,
    service         TEXT    NOT NULL,
    hook            TEXT    NOT NULL,
    hook_instance   TEXT    NOT NULL,
    patient_hash    TEXT    NOT NULL DEFAULT '',  -- keyed hash (package phi), never the id
    policy_revision TEXT    NOT NULL DEFAULT '',
    latency_us      INTEGER NOT NULL,
    error_kind      TEXT    NOT NULL DEFAULT '',
    data_issues     TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX decisions_decided_at ON decisions (decided_at);

CREATE TABLE decision_cards (
    decision_id TEXT    NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    card_uuid   TEXT    NOT NULL,
    rule_id     TEXT    NOT NULL,
    indicator   TEXT    NOT NULL,
    order_ref   TEXT    NOT NULL DEFAULT '',      -- "Type/<keyed hash>"
    PRIMARY KEY (decision_id, position)
);
-- Feedback joins to its rule through the card uuid. Not unique: a repeated
-- call with the same hookInstance yields the same card.
CREATE INDEX decision_cards_card_uuid ON decision_cards (card_uuid);

CREATE TABLE feedback (
    id                   INTEGER PRIMARY KEY,
    card_uuid            TEXT    NOT NULL,
    service              TEXT    NOT NULL,
    outcome              TEXT    NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
    accepted_suggestions TEXT    NOT NULL DEFAULT '[]',
    reason_system        TEXT    NOT NULL DEFAULT '',
    reason_code          TEXT    NOT NULL DEFAULT '',
    reason_display       TEXT    NOT NULL DEFAULT '',
    user_comment         TEXT    NOT NULL DEFAULT '',
    outcome_at           INTEGER NOT NULL,
    received_at          INTEGER NOT NULL,
    issuer               TEXT    NOT NULL DEFAULT '',
    known                INTEGER NOT NULL,        -- the card uuid was in the decision audit
    -- A client that retries after a timeout sends the same entry again.
    UNIQUE (card_uuid, outcome, outcome_at)
);
CREATE INDEX feedback_outcome_at ON feedback (outcome_at);
CREATE INDEX feedback_received_at ON feedback (received_at);
-- Small: only feedback that arrived before its decision was written.
CREATE INDEX feedback_unknown ON feedback (card_uuid) WHERE known = 0;
