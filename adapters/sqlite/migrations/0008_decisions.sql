-- 0008: the decision log (domain.DecisionRecord). One row per decision of
-- every use case, written in the transaction of its effects, a refusal's
-- row alone. Conventions as in 0001: instants are fixed-width UTC text.
-- codes and rules are ",A,B," so a filter is a substring test; outcome,
-- request and state are JSON. Rows are listed in append order (seq), so
-- paging by seq is stable; at has its own index for the time window and
-- retention.

CREATE TABLE decisions (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    at           TEXT NOT NULL,
    context      TEXT NOT NULL,
    command      TEXT NOT NULL,
    partner      TEXT NOT NULL,
    account      TEXT NOT NULL,
    actor        TEXT NOT NULL,
    ruleset_hash TEXT NOT NULL,
    allowed      INTEGER NOT NULL,
    codes        TEXT NOT NULL,
    rules        TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    request      TEXT NOT NULL,
    state        TEXT NOT NULL
) STRICT;
CREATE INDEX decisions_by_at ON decisions (at);
CREATE INDEX decisions_by_partner ON decisions (partner, seq);
