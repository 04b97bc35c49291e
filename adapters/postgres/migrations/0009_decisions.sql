-- 0009: the decision log (domain.DecisionRecord). One row per decision of
-- every use case, written in the transaction of its effects (a refusal's
-- row alone), queued with the transaction's COMMIT so it costs no round
-- trip. codes and rules are ",A,B," so a filter is a substring test;
-- outcome, request and state are JSON (the latter two as the deciding context
-- wrote them), kept as text. Rows are listed in append
-- order (seq), so paging by seq is stable; at has its own index for the
-- time window and retention.

CREATE TABLE decisions (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text NOT NULL UNIQUE,
    at           timestamptz NOT NULL,
    context      text NOT NULL,
    command      text NOT NULL,
    partner      text NOT NULL,
    account      text NOT NULL,
    actor        text NOT NULL,
    ruleset_hash text NOT NULL,
    allowed      boolean NOT NULL,
    codes        text NOT NULL,
    rules        text NOT NULL,
    outcome      text NOT NULL,
    request      text NOT NULL,
    state        text NOT NULL
);
CREATE INDEX decisions_by_at ON decisions (at);
CREATE INDEX decisions_by_partner ON decisions (partner, seq);
