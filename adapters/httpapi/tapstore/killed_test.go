package tapstore_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/tapstore"
	"github.com/entitle-rules/entitle/adapters/internal/pgtest"
	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/access"
	"github.com/entitle-rules/entitle/rules/orders"
)

// The environment of TestServeChild: the store it serves ("sqlite:<file>" or
// "postgres:<schema>" of ENTITLE_POSTGRES_DSN), how far its clock runs ahead
// of start, and whether it loads the example data set first.
const (
	childStoreEnv  = "ENTITLE_TAPSTORE_CHILD_STORE"
	childOffsetEnv = "ENTITLE_TAPSTORE_CHILD_CLOCK_OFFSET"
	childLoadEnv   = "ENTITLE_TAPSTORE_CHILD_LOAD"
)

// openChildStore opens what spec names.
func openChildStore(ctx context.Context, spec string) (ports.Store, error) {
	kind, where, _ := strings.Cut(spec, ":")
	switch kind {
	case "sqlite":
		return sqlite.Open(where, sqlite.Options{})
	case "postgres":
		return postgres.Open(ctx, os.Getenv("ENTITLE_POSTGRES_DSN"), postgres.Options{Schema: where})
	}
	return nil, fmt.Errorf("no store %q", spec)
}

// TestServeChild is the server TestKilledServer kills: the store API over
// the store its environment names, wired as entitle serve wires it (orders
// left in progress are finished at start), at a clock that starts at start
// plus the offset and runs in real time. It prints "listening <addr>" and
// serves until it is killed.
func TestServeChild(t *testing.T) {
	spec := os.Getenv(childStoreEnv)
	if spec == "" {
		return
	}
	ctx := context.Background()
	store, err := openChildStore(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	offset, err := time.ParseDuration(os.Getenv(childOffsetEnv))
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	clock := ports.ClockFunc(func() time.Time { return start.Add(offset + time.Since(began)) })
	set, err := loadRules()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := orders.New(orders.Options{Store: store, Rules: set, Clock: clock, IDs: ports.IDsFunc(rand.Text)})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv(childLoadEnv) != "" {
		ds, err := loadExample()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ds.Load(ctx, store); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.ResumeOlderThan(ctx, 0); err != nil {
		t.Fatal(err)
	}
	acc, err := access.New(access.Options{Store: store, Clock: clock, Random: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Options{Store: store, Clock: clock, Access: acc})
	tapstore.Register(api, svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "listening %s\n", ln.Addr())
	t.Fatal(http.Serve(ln, api))
}

// child is a running TestServeChild.
type child struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
}

func startChild(t *testing.T, spec string, offset time.Duration, load bool) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), childStoreEnv+"="+spec, childOffsetEnv+"="+offset.String())
	if load {
		cmd.Env = append(cmd.Env, childLoadEnv+"=1")
	}
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.kill() })
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadString('\n')
		line <- l
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(strings.TrimSpace(l), "listening ")
		if !ok {
			t.Fatalf("the child said %q:\n%s", l, c.stderr)
		}
		c.base = "http://" + addr
	case <-time.After(2 * time.Minute):
		t.Fatalf("the child did not start in 2 minutes:\n%s", c.stderr)
	}
	return c
}

// kill ends the child with SIGKILL, as a crash or an OOM killer would.
func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	}
}

// answer is what a client got: the status and the decoded body, or the
// error of a request the dying server never answered.
type answer struct {
	status int
	body   map[string]any
	raw    string
	err    error
}

func (c *child) post(client *http.Client, tok, key, body string) answer {
	req, err := http.NewRequest(http.MethodPost, c.base+storePath, strings.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(b), err: err}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func (c *child) token(t *testing.T) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tapClient}, "client_secret": {tapSecret}}
	resp, err := http.PostForm(c.base+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("no token: %d, %v", resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestKilledServer: orders sent under Idempotency-Keys to a server that is
// SIGKILLed while it works on them, then retried with the same keys at a
// server restarted on the same database once IdempotencyLease is over. Every
// retry gets a final answer (never a 409): an order the dead server
// acknowledged is answered with the same uniqueId, any other key with the
// order its first request committed or, when that committed nothing, a new
// one; and every PO is ordered exactly once. On SQLite, and on PostgreSQL
// when ENTITLE_POSTGRES_DSN is set.
func TestKilledServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills servers")
	}
	specs := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "e.db") },
	}
	if dsn := os.Getenv("ENTITLE_POSTGRES_DSN"); dsn != "" {
		specs["postgres"] = func(t *testing.T) string {
			schema := pgtest.Schema(t, dsn)
			return "postgres:" + schema
		}
	}
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) { killedServer(t, spec(t)) })
	}
}

func killedServer(t *testing.T, spec string) {
	// Each round kills the server at another moment, until the keys it
	// left include both kinds of reservation: bound to an order that
	// committed, and bound to nothing. A round's servers run at clocks of
	// their own, ten minutes apart, so no round sees another's leases.
	seen := map[string]int{}
	for round, killAfter := range []time.Duration{-1, 2 * time.Millisecond, 5 * time.Millisecond, 0, 10 * time.Millisecond, 20 * time.Millisecond} {
		left := killRound(t, spec, round, killAfter)
		for k, v := range left {
			seen[k] += v
		}
		if t.Failed() || seen["reserved, order committed"] > 0 && seen["reserved, nothing committed"] > 0 {
			return
		}
	}
	t.Logf("the kills left %v, not both kinds of reservation", seen)
}

// killRound sends orders under keys of its own to a server, kills it once
// one order is answered (killAfter < 0) or killAfter after sending, retries
// every key at a server restarted past the lease, and returns the states the
// killed server left the keys in.
func killRound(t *testing.T, spec string, round int, killAfter time.Duration) map[string]int {
	const n = 24
	po := func(i int) string { return fmt.Sprintf("PO-KILL-%d-%02d", round, i) }
	body := func(i int) string { return orderWith(po(i), []string{fmt.Sprintf("7700%02d03%02d", round, i)}) }
	key := func(i int) string { return fmt.Sprintf("kill-%d-%02d", round, i) }
	at := time.Duration(round) * 10 * time.Minute

	first := startChild(t, spec, at, round == 0)
	tok := first.token(t)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	answers := make([]answer, n)
	var (
		wg       sync.WaitGroup
		answered = make(chan struct{}, n)
	)
	for i := range n {
		wg.Go(func() {
			answers[i] = first.post(client, tok, key(i), body(i))
			answered <- struct{}{}
		})
	}
	if killAfter >= 0 {
		time.Sleep(killAfter)
	} else {
		select {
		case <-answered:
		case <-time.After(2 * time.Minute):
			t.Fatalf("no answer in 2 minutes:\n%s", first.stderr)
		}
	}
	first.kill()
	wg.Wait()
	client.CloseIdleConnections()

	acked := map[int]int64{}
	for i, a := range answers {
		switch {
		case a.err != nil:
		case a.status == http.StatusOK:
			id, _ := a.body["uniqueId"].(float64)
			acked[i] = int64(id)
		default:
			t.Errorf("%s before the kill: %d %s", key(i), a.status, a.raw)
		}
	}
	left := keyStates(t, spec, n, key)
	t.Logf("round %d: killed the server: %d of %d orders acknowledged; the keys it left: %v", round, len(acked), n, left)

	// The restarted server's clock is past the lease of every reservation
	// the killed one left: every key is resolved.
	second := startChild(t, spec, at+httpapi.IdempotencyLease+time.Minute, false)
	tok = second.token(t)
	for i := range n {
		a := second.post(http.DefaultClient, tok, key(i), body(i))
		id, _ := a.body["uniqueId"].(float64)
		switch {
		case a.err != nil || a.status != http.StatusOK:
			t.Errorf("%s retried after the lease: %d %s %v; want 200", key(i), a.status, a.raw, a.err)
		case acked[i] != 0 && int64(id) != acked[i]:
			t.Errorf("%s retried: uniqueId %v, but the killed server acknowledged %d", key(i), id, acked[i])
		}
	}
	second.kill()

	store, err := openChildStore(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range n {
		var found []domain.Order
		if err := store.View(context.Background(), func(tx ports.Tx) (err error) {
			found, err = tx.Orders().Find(context.Background(), domain.OrderQuery{ClientID: tapClient, PONumber: po(i)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 {
			t.Errorf("%s: %d orders, want exactly 1", po(i), len(found))
		}
	}
	return left
}

// keyStates counts the states the keys are in: answered, reserved and bound
// to a committed order, reserved and bound to nothing, or never reserved.
func keyStates(t *testing.T, spec string, n int, key func(int) string) map[string]int {
	t.Helper()
	store, err := openChildStore(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	states := map[string]int{}
	for i := range n {
		err := store.View(context.Background(), func(tx ports.Tx) error {
			rec, err := tx.Idempotency().Get(context.Background(), tapClient, key(i))
			switch {
			case domain.ErrorCode(err) == domain.CodeNotFound:
				states["never reserved"]++
			case err != nil:
				return err
			case rec.Status != 0:
				states["answered "+strconv.Itoa(rec.Status)]++
			case rec.Ref != "":
				states["reserved, order committed"]++
			default:
				states["reserved, nothing committed"]++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return states
}
