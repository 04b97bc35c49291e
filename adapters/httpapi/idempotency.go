package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// KeepIdempotency is how long an Idempotency-Key's answer is kept.
const KeepIdempotency = 24 * time.Hour

// IdempotencyLease is how long a reservation of an Idempotency-Key belongs to
// the request that made it. A reservation older than that without an answer
// is taken to belong to a process that died, and the next request with the
// key resolves it: if the write committed (it bound a ref to the key,
// ports.Idempotency.Bind), the answer is what it committed; otherwise the
// key is free and the request runs.
//
// Two minutes: four times the server's 30-second WriteTimeout, after which
// no client is still waiting for the first answer, and twice
// IdempotencyRunLimit, so a write whose reservation is resolved stopped at
// least a minute earlier. That minute covers a commit in flight when the
// run limit struck and clocks of instances sharing one database that
// disagree by less than a minute.
const IdempotencyLease = 2 * time.Minute

// IdempotencyRunLimit is the deadline a write under an Idempotency-Key runs
// under: its transaction is abandoned, and its key released, when the write
// takes longer. It is what makes IdempotencyLease safe: no write still runs
// when a later request takes over its key.
const IdempotencyRunLimit = IdempotencyLease / 2

// Answer is a response to write: a status and a JSON body.
type Answer struct {
	Status int
	Body   []byte
}

// IdempotentAPI is what RunIdempotent needs from the API whose write it
// runs: how the API words the answers RunIdempotent gives itself, and how it
// answers a request from what an earlier request with the key committed.
type IdempotentAPI struct {
	// Refuse words an answer of RunIdempotent's own in the API's envelope:
	// 400 for a malformed key, 409 while another request holds the key,
	// 422 for a key used with another request, 503 when the store fails.
	// Nil means {"status":"ERROR","errorMessage":message}.
	Refuse func(status int, message string) Answer
	// Resolve answers with what a request under the key committed, given the
	// ref its write bound (ports.Idempotency.Bind), when that request's own
	// answer was lost: its process died, or it failed after committing. It
	// should give the answer that request would have given. An error makes
	// RunIdempotent answer 503 and keep the reservation for a later retry.
	// Nil: such a key is answered 409 until it is purged, so an API whose
	// writes bind a ref must give Resolve.
	Resolve func(ctx context.Context, ref string) (Answer, error)
}

func (api IdempotentAPI) refuse(status int, message string) Answer {
	if api.Refuse != nil {
		return api.Refuse(status, message)
	}
	return jsonAnswer(status, map[string]any{"status": "ERROR", "errorMessage": message})
}

// Final reports whether an answer with status is final, the only kind an
// Idempotency-Key keeps: a 2xx, or a 4xx that validation or the rules
// decided. Every other answer is transient (a 5xx, such as a store that is
// unavailable, a transaction that kept conflicting or was abandoned when the
// client went away; a 408, 425 or 429, which ask for a retry), and a retry
// under the same key runs the write again.
func Final(status int) bool {
	switch {
	case status >= 200 && status < 300:
		return true
	case status == http.StatusRequestTimeout, status == http.StatusTooEarly, status == http.StatusTooManyRequests:
		return false
	}
	return status >= 400 && status < 500
}

// RunIdempotent runs do under the request's Idempotency-Key, if it has one,
// and writes its answer.
//
// Without a key, do runs under r's context. With one, the first request
// reserves the key and do runs under a context that carries the key
// (ports.WithIdempotencyKey: a write binds what it commits to it in its own
// transaction) and the IdempotencyRunLimit deadline. A final answer (see
// Final) is stored and replayed to every retry with the same key and the
// same request (header Idempotent-Replayed: true) without running do again;
// a transient one, or a panic in do, releases the key so a retry runs again
// — unless the write had bound a ref, when the answer is api.Resolve's from
// what it committed. The same key with another request gets 422; a retry
// while the first runs gets 409 with Retry-After; a reservation left past
// IdempotencyLease by a process that died is resolved as the lease says.
// Answers are kept KeepIdempotency.
func (s *Server) RunIdempotent(w http.ResponseWriter, r *http.Request, clientID string, body []byte, api IdempotentAPI, do func(ctx context.Context) Answer) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeAnswer(w, do(r.Context()))
		return
	}
	if len(key) > 255 {
		writeAnswer(w, api.refuse(http.StatusBadRequest, "Idempotency-Key must be at most 255 characters"))
		return
	}
	// The path is folded: the store API answers at two spellings of it.
	sum := sha256.Sum256([]byte(r.Method + " " + strings.ToLower(r.URL.Path) + "\n" + string(body)))
	hash := hex.EncodeToString(sum[:])
	ctx := r.Context()
	prior, state, err := s.reserve(ctx, clientID, key, hash)
	switch {
	case err != nil:
		s.log.Error("reserving an idempotency key", "key", key, "err", err)
		w.Header().Set("Retry-After", "1")
		writeAnswer(w, api.refuse(http.StatusServiceUnavailable, "the service is unavailable; retry later"))
		return
	case state == keyReused:
		writeAnswer(w, api.refuse(http.StatusUnprocessableEntity,
			"Idempotency-Key "+key+" was used with a different request; use a new key for a new request"))
		return
	case state == keyInUse:
		w.Header().Set("Retry-After", "1")
		writeAnswer(w, api.refuse(http.StatusConflict,
			"a request with Idempotency-Key "+key+" is still being processed; retry it later"))
		return
	case state == keyAnswered:
		NoteFrom(ctx).replayed = true
		w.Header().Set("Idempotent-Replayed", "true")
		writeAnswer(w, Answer{Status: prior.Status, Body: prior.Body})
		return
	case state == keyOrphaned && api.Resolve == nil:
		writeAnswer(w, api.refuse(http.StatusConflict, "the request with Idempotency-Key "+key+" committed "+prior.Ref+
			"; this API cannot replay its answer"))
		return
	case state == keyOrphaned:
		a, err := s.resolve(ctx, api, prior)
		if err != nil {
			s.log.Error("answering an idempotency key from what it committed", "key", key, "ref", prior.Ref, "err", err)
			w.Header().Set("Retry-After", "1")
			writeAnswer(w, api.refuse(http.StatusServiceUnavailable, "the service is unavailable; retry later"))
			return
		}
		NoteFrom(ctx).replayed = true
		w.Header().Set("Idempotent-Replayed", "true")
		writeAnswer(w, a)
		return
	}

	// The key is this request's. What settles it runs even when the client
	// has gone or do panicked, so a retry finds the key answered or free,
	// never held by a request that is over.
	bg := context.WithoutCancel(ctx)
	runCtx, cancel := context.WithTimeout(ports.WithIdempotencyKey(ctx, clientID, key), IdempotencyRunLimit)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			s.settle(bg, api, clientID, key, Answer{Status: http.StatusInternalServerError})
			panic(p)
		}
	}()
	writeAnswer(w, s.settle(bg, api, clientID, key, do(runCtx)))
}

// keyState is what reserving a key found.
type keyState int

const (
	keyReserved keyState = iota // the key is this request's now
	keyInUse                    // another request holds it, within its lease
	keyReused                   // it was used with another request
	keyAnswered                 // it holds a final answer to replay
	keyOrphaned                 // its request committed and died: resolve its ref
)

// reserve reserves clientID's key for the request with hash, or says who has
// it. A reservation past IdempotencyLease with no ref committed nothing: it
// is released and reserved afresh, in one transaction.
func (s *Server) reserve(ctx context.Context, clientID, key, hash string) (ports.IdempotencyRecord, keyState, error) {
	now := s.clock.Now()
	rec := ports.IdempotencyRecord{ClientID: clientID, Key: key, RequestHash: hash, CreatedAt: now}
	var (
		prior ports.IdempotencyRecord
		state keyState
		err   error
	)
	// Racing requests may change the record between this request's Put
	// and Get, or take over the same orphan: a conflict or a missing
	// record means look again, and the last look that still races is
	// another request holding the key.
	for range 3 {
		err = s.store.Update(ctx, func(tx ports.Tx) error {
			prior, state = ports.IdempotencyRecord{}, keyReserved
			idem := tx.Idempotency()
			err := idem.Put(ctx, rec)
			if domain.ErrorCode(err) != domain.CodeConflict {
				return err
			}
			if prior, err = idem.Get(ctx, clientID, key); err != nil {
				return err
			}
			expired := now.Sub(prior.CreatedAt) >= IdempotencyLease
			switch {
			case prior.Status == 0 && expired && prior.Ref == "":
				// The request that reserved the key stopped before its
				// write committed: the key is free, whatever it was for.
				if err := idem.Release(ctx, clientID, key); err != nil {
					return err
				}
				return idem.Put(ctx, rec)
			case prior.RequestHash != hash:
				state = keyReused
			case prior.Status != 0:
				state = keyAnswered
			case !expired:
				state = keyInUse
			default:
				state = keyOrphaned
			}
			return nil
		})
		if c := domain.ErrorCode(err); c != domain.CodeConflict && c != domain.CodeNotFound {
			return prior, state, err
		}
	}
	s.log.Info("idempotency key raced", "key", key, "err", err)
	return prior, keyInUse, nil
}

// resolve answers rec, a reservation whose write committed and bound its
// ref, with api.Resolve's answer from what it committed, and stores that
// answer. An error, or an answer that is not final, is an error: the API
// cannot answer now, and the reservation stays for a later retry.
func (s *Server) resolve(ctx context.Context, api IdempotentAPI, rec ports.IdempotencyRecord) (Answer, error) {
	a, err := api.Resolve(ctx, rec.Ref)
	if err == nil && !Final(a.Status) {
		err = domain.Errorf(domain.CodeUnavailable, "", "the answer from %s is not final (%d)", rec.Ref, a.Status)
	}
	if err != nil {
		return Answer{}, err
	}
	s.complete(context.WithoutCancel(ctx), rec.ClientID, rec.Key, a)
	return a, nil
}

// settle ends this request's hold on its key with its answer a and returns
// the answer to write: a final answer is stored; a transient one releases
// the key, unless the write bound a ref before failing, when the answer is
// what it committed.
func (s *Server) settle(ctx context.Context, api IdempotentAPI, clientID, key string, a Answer) Answer {
	if Final(a.Status) {
		s.complete(ctx, clientID, key, a)
		return a
	}
	var rec ports.IdempotencyRecord
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		err := tx.Idempotency().Release(ctx, clientID, key)
		if domain.ErrorCode(err) == domain.CodeConflict {
			rec, err = tx.Idempotency().Get(ctx, clientID, key)
		}
		return err
	})
	switch {
	case err != nil:
		// The reservation stays; once its lease ends, the next request
		// with the key finds it unbound and runs again.
		s.log.Error("releasing an idempotency key", "key", key, "err", err)
	case rec.Ref != "" && rec.Status == 0 && api.Resolve != nil:
		resolved, err := s.resolve(ctx, api, rec)
		if err == nil {
			return resolved
		}
		s.log.Error("answering an idempotency key from what it committed", "key", key, "ref", rec.Ref, "err", err)
	}
	return a
}

// complete stores a as the answer of clientID's key. When that fails, the
// reservation stays unanswered and the next request past its lease
// resolves it.
func (s *Server) complete(ctx context.Context, clientID, key string, a Answer) {
	if err := s.store.Update(ctx, func(tx ports.Tx) error {
		return tx.Idempotency().Complete(ctx, clientID, key, a.Status, a.Body)
	}); err != nil {
		s.log.Error("storing an idempotent answer", "key", key, "err", err)
	}
}

// PurgeIdempotency deletes answers older than KeepIdempotency and returns
// how many went.
func (s *Server) PurgeIdempotency(ctx context.Context) (int, error) {
	n := 0
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		var err error
		n, err = tx.Idempotency().Purge(ctx, s.clock.Now().Add(-KeepIdempotency))
		return err
	})
	return n, err
}

// JSONAnswer marshals v as an Answer with status.
func JSONAnswer(status int, v any) Answer { return jsonAnswer(status, v) }

func jsonAnswer(status int, v any) Answer {
	b, err := marshal(v)
	if err != nil {
		return Answer{Status: http.StatusInternalServerError, Body: []byte(`{"status":"ERROR","errorMessage":"internal error"}` + "\n")}
	}
	return Answer{Status: status, Body: b}
}

// WriteAnswer writes a as a JSON response.
func WriteAnswer(w http.ResponseWriter, a Answer) { writeAnswer(w, a) }

func writeAnswer(w http.ResponseWriter, a Answer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}
