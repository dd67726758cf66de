-- 0002 jwt_replay: the jti of every accepted CDS client token, so that
-- replicas sharing the database reject a token replayed to another replica.
-- Rows are deleted once the token has expired.
CREATE TABLE jwt_replay (
    iss        TEXT        NOT NULL,
    jti        TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (iss, jti)
);
CREATE INDEX jwt_replay_expires_at ON jwt_replay (expires_at);
