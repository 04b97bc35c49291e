-- the activation outbox; see the outbox branch
SELECT 1;
