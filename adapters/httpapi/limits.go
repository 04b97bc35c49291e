package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound what hostile or runaway clients can make a server do. The
// zero value of a field means its default.
type Limits struct {
	// MaxConcurrent is how many requests are served at once; more wait for
	// nothing and get 503 with Retry-After. Default 256.
	MaxConcurrent int
	// PerClient is how many requests a second one principal may make, with
	// PerClientBurst at once; more get 429. Defaults 100 and 200.
	PerClient      rate.Limit
	PerClientBurst int
	// TokenPerAddress is how many token requests a second one network
	// address may make, with TokenPerAddressBurst at once. Defaults 2 and 10.
	TokenPerAddress      rate.Limit
	TokenPerAddressBurst int
	// TokenFailures is how many wrong secrets in a row a client id may
	// send before each further try waits, twice as long each time (1 s,
	// 2 s, 4 s, ... up to TokenMaxBackoff). Defaults 5 and 15 minutes.
	TokenFailures   int
	TokenMaxBackoff time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxConcurrent == 0 {
		l.MaxConcurrent = 256
	}
	if l.PerClient == 0 {
		l.PerClient, l.PerClientBurst = 100, 200
	}
	if l.TokenPerAddress == 0 {
		l.TokenPerAddress, l.TokenPerAddressBurst = 2, 10
	}
	if l.TokenFailures == 0 {
		l.TokenFailures = 5
	}
	if l.TokenMaxBackoff == 0 {
		l.TokenMaxBackoff = 15 * time.Minute
	}
	return l
}

// keyed holds one rate limiter per key (a principal, an address), forgetting
// keys idle for ten minutes so the map stays bounded by recent callers.
type keyed struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	m     map[string]*keyedEntry
	swept time.Time
}

type keyedEntry struct {
	lim  *rate.Limiter
	last time.Time
}

func newKeyed(every rate.Limit, burst int) *keyed {
	return &keyed{every: every, burst: burst, m: map[string]*keyedEntry{}}
}

// allow reports whether key may act at now, and if not how long to wait.
func (k *keyed) allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if now.Sub(k.swept) > time.Minute {
		for key, e := range k.m {
			if now.Sub(e.last) > 10*time.Minute {
				delete(k.m, key)
			}
		}
		k.swept = now
	}
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{lim: rate.NewLimiter(k.every, k.burst)}
		k.m[key] = e
	}
	e.last = now
	r := e.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// failures counts wrong secrets in a row per client id and makes each try
// past the allowance wait, exponentially.
type failures struct {
	mu    sync.Mutex
	free  int
	max   time.Duration
	m     map[string]failure
	swept time.Time
}

type failure struct {
	n    int
	last time.Time
}

func newFailures(free int, max time.Duration) *failures {
	return &failures{free: free, max: max, m: map[string]failure{}}
}

// wait returns how long id must still wait before its next try at now.
func (f *failures) wait(id string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl, ok := f.m[id]
	if !ok || fl.n < f.free {
		return 0
	}
	backoff := time.Duration(math.Min(float64(time.Second)*math.Pow(2, float64(fl.n-f.free)), float64(f.max)))
	if d := fl.last.Add(backoff).Sub(now); d > 0 {
		return d
	}
	return 0
}

// record notes a try's outcome: a success forgets the id's failures.
func (f *failures) record(id string, ok bool, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.swept) > time.Minute {
		for k, fl := range f.m {
			if now.Sub(fl.last) > f.max+time.Minute {
				delete(f.m, k)
			}
		}
		f.swept = now
	}
	if ok {
		delete(f.m, id)
		return
	}
	fl := f.m[id]
	f.m[id] = failure{n: fl.n + 1, last: now}
}

// retryAfter sets Retry-After to d, rounded up to whole seconds.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	secs := int(math.Ceil(d.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

// address is the request's network address without its port: the key of
// per-address limits. Behind a proxy every client shares the proxy's address;
// put the limit at the proxy then.
func address(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
