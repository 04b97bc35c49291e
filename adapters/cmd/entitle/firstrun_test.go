package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// serveFor runs `entitle serve` in-process in dir until it prints that it
// listens (or exits), then stops it; it returns the exit code and stdout.
func serveFor(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chdir(wd) }()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, logs syncBuffer
	done := make(chan error, 1)
	cfg, code := parseServe(args, &logs)
	if code != 0 {
		return code, out.String(), logs.String()
	}
	go func() { done <- runServer(ctx, cfg, &out, discardLog()) }()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-done:
			if err != nil {
				return 1, out.String(), err.Error()
			}
			return 0, out.String(), ""
		case <-deadline:
			t.Fatal("serve neither listened nor stopped")
		case <-time.After(10 * time.Millisecond):
			if strings.Contains(out.String(), "listening on") {
				cancel()
				<-done
				return 0, out.String(), ""
			}
		}
	}
}

// Regression (issue 8): the example data set and its public secret went
// into any empty store, PostgreSQL or a file the operator named.
func TestExampleOnlyIntoANewDefaultFile(t *testing.T) {
	clientsIn := func(path string) int {
		s, err := sqlite.Open(path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		n := 0
		_ = s.View(context.Background(), func(tx ports.Tx) error {
			if _, err := tx.Clients().Get(context.Background(), "tap-client"); err == nil {
				n++
			} else if domain.ErrorCode(err) != domain.CodeNotFound {
				t.Fatal(err)
			}
			return nil
		})
		return n
	}
	t.Run("a named file stays empty", func(t *testing.T) {
		dir := t.TempDir()
		code, out, errs := serveFor(t, dir, "--addr", "127.0.0.1:0", "--db", "mine.db")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if clientsIn(filepath.Join(dir, "mine.db")) != 0 || strings.Contains(out, "example-secret") {
			t.Errorf("the example went into a named file:\n%s", out)
		}
	})
	t.Run("the default file, new, gets it", func(t *testing.T) {
		dir := t.TempDir()
		if code, _, errs := serveFor(t, dir, "--addr", "127.0.0.1:0"); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if clientsIn(filepath.Join(dir, "entitle.db")) != 1 {
			t.Error("a first run's default file has no example client")
		}
	})
	t.Run("the default file, existing, does not", func(t *testing.T) {
		dir := t.TempDir()
		s, err := sqlite.Open(filepath.Join(dir, "entitle.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		if code, _, errs := serveFor(t, dir, "--addr", "127.0.0.1:0"); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if clientsIn(filepath.Join(dir, "entitle.db")) != 0 {
			t.Error("the example went into an existing default file")
		}
	})
	t.Run("--example asks for it", func(t *testing.T) {
		dir := t.TempDir()
		if code, _, errs := serveFor(t, dir, "--addr", "127.0.0.1:0", "--db", "mine.db", "--example"); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if clientsIn(filepath.Join(dir, "mine.db")) != 1 {
			t.Error("--example did not load the example")
		}
	})
}

// Regression (issue 8): with its port busy, serve opened (and filled) the
// database and printed "Get a token" for the other process before exiting.
func TestBusyPortTouchesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	code, out, errs := serveFor(t, dir, "--addr", ln.Addr().String())
	if code == 0 || !strings.Contains(errs, "address already in use") {
		t.Errorf("serve on a busy port: exit %d, %q", code, errs)
	}
	if strings.Contains(out, "token") {
		t.Errorf("serve on a busy port printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "entitle.db")); !os.IsNotExist(err) {
		t.Errorf("serve on a busy port created the database (%v)", err)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
