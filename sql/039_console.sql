-- The web console's accounts and sessions (issue 26). An account holds an API token that is never shown (its hash
-- is of a secret nobody keeps): the token carries the role, consortium, institution and prescriber with the checks
-- api_tokens already has, and every table that records who acted by token records the person the same way.

CREATE TABLE console_users (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_name           text NOT NULL UNIQUE CHECK (user_name ~ '^[a-z0-9][a-z0-9._-]{1,39}$'),
    display_name        text NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
    token_id            bigint NOT NULL UNIQUE REFERENCES api_tokens (id),
    -- bcrypt's own format: $2b$, the cost, 53 characters of salt and hash.
    password_hash       text NOT NULL CHECK (password_hash ~ '^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$'),
    failed_logins       integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until        timestamptz,
    disabled_at         timestamptz,
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now()
);

-- A session is known by the SHA-256 of the cookie's value; the value itself is never stored. Any server reads it,
-- and deleting the row ends it on every server.
CREATE TABLE console_sessions (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES console_users (id),
    csrf_token   text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
