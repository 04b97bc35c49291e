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

// Answer is a response to write: a status and a JSON body.
type Answer struct {
	Status int
	Body   []byte
}

// Idempotent runs do under the request's Idempotency-Key, if it has one: the
// first request with a key reserves it, runs do and stores the answer; a
// retry with the same key and the same request gets that answer again
// without running do (header Idempotent-Replayed: true); the same key with
// another request gets 422; a retry while the first is still running gets
// 409. Answers are kept KeepIdempotency; a 5xx is replayed like any other
// answer, so retry a failed write under a new key.
func (s *Server) Idempotent(w http.ResponseWriter, r *http.Request, clientID string, body []byte, do func() Answer) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		writeAnswer(w, do())
		return
	}
	if len(key) > 255 {
		writeAnswer(w, jsonAnswer(http.StatusBadRequest, map[string]any{"status": "ERROR", "errorMessage": "Idempotency-Key must be at most 255 characters"}))
		return
	}
	// The path is folded: the store API answers at two spellings of it.
	sum := sha256.Sum256([]byte(r.Method + " " + strings.ToLower(r.URL.Path) + "\n" + string(body)))
	hash := hex.EncodeToString(sum[:])
	ctx := r.Context()
	var prior ports.IdempotencyRecord
	err := s.store.Update(ctx, func(tx ports.Tx) error {
		err := tx.Idempotency().Put(ctx, ports.IdempotencyRecord{ClientID: clientID, Key: key, RequestHash: hash, CreatedAt: s.clock.Now()})
		if domain.ErrorCode(err) == domain.CodeConflict {
			prior, err = tx.Idempotency().Get(ctx, clientID, key)
			if err == nil {
				err = errAlreadyReserved
			}
		}
		return err
	})
	switch {
	case err == errAlreadyReserved && prior.RequestHash != hash:
		writeAnswer(w, jsonAnswer(http.StatusUnprocessableEntity, map[string]any{"status": "ERROR",
			"errorMessage": "Idempotency-Key " + key + " was used with a different request; use a new key for a new request"}))
		return
	case err == errAlreadyReserved && prior.Status == 0:
		writeAnswer(w, jsonAnswer(http.StatusConflict, map[string]any{"status": "ERROR",
			"errorMessage": "a request with Idempotency-Key " + key + " is still being processed; retry it later"}))
		return
	case err == errAlreadyReserved:
		w.Header().Set("Idempotent-Replayed", "true")
		writeAnswer(w, Answer{Status: prior.Status, Body: prior.Body})
		return
	case err != nil:
		s.log.Error("reserving an idempotency key", "err", err)
		writeAnswer(w, jsonAnswer(http.StatusServiceUnavailable, map[string]any{"status": "ERROR", "errorMessage": "the service is unavailable; retry later"}))
		return
	}
	// The answer is stored even when the client has gone or do panicked, so
	// a retry replays what happened instead of finding the key forever in
	// progress.
	bg := context.WithoutCancel(ctx)
	complete := func(a Answer) {
		if err := s.store.Update(bg, func(tx ports.Tx) error {
			return tx.Idempotency().Complete(bg, clientID, key, a.Status, a.Body)
		}); err != nil {
			s.log.Error("storing an idempotent answer", "key", key, "err", err)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			complete(jsonAnswer(http.StatusInternalServerError, map[string]any{"status": "ERROR", "errorMessage": "internal error"}))
			panic(p)
		}
	}()
	a := do()
	complete(a)
	writeAnswer(w, a)
}

var errAlreadyReserved = domain.Errorf(domain.CodeConflict, "Idempotency-Key", "already reserved")

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
