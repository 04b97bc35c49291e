package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
)

// holdWriter starts an Update that keeps the writer until release is
// closed, and returns once it has begun; it returns a wait that reports the
// Update's error.
func holdWriter(t *testing.T, s *Store, release <-chan struct{}) (wait func() error) {
	t.Helper()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(t.Context(), func(tx ports.Tx) error {
			close(started)
			<-release
			return tx.Devices().Put(t.Context(), domain.Device{Serial: "HOLDER"})
		})
	}()
	<-started
	return func() error { return <-done }
}

// awaitQueued waits until n Updates wait for the writer. Correctness never
// depends on this wait; it only makes sure they share the next batch.
func awaitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s.w.mu.Lock()
		got := len(s.w.waiting)
		s.w.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d Updates queued after a minute, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// devicesStored reports which of serials have a device in the file.
func devicesStored(t *testing.T, s *Store, serials []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := s.View(t.Context(), func(tx ports.Tx) error {
		for _, serial := range serials {
			_, err := tx.Devices().BySerial(t.Context(), serial)
			switch domain.ErrorCode(err) {
			case "":
				out[serial] = true
			case domain.CodeNotFound:
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The Updates queued behind a running one share one transaction, and each
// caller gets its own outcome: those whose fn succeeded are committed (one
// commit for them all), while one that fails, panics, calls runtime.Goexit,
// gives up while queued or gives up in fn (its next statement refused, none
// interrupted) leaves nothing and disturbs none of the others.
func TestGroupCommitGivesEachUpdateItsOutcome(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	ctx := t.Context()
	commits0, updates0 := s.w.batchStats()
	release := make(chan struct{})
	holder := holdWriter(t, s, release)

	const n = 12
	boom := errors.New("boom")
	type kind int
	const (
		succeeds kind = iota
		fails
		panics
		exits
		abandons
		quits
	)
	kindOf := func(i int) kind {
		switch i {
		case 2, 7:
			return fails
		case 4:
			return panics
		case 9:
			return exits
		case 5:
			return abandons
		case 10:
			return quits
		}
		return succeeds
	}
	serial := func(i int) string { return fmt.Sprintf("D-%02d", i) }
	results := make([]error, n)
	recovered := make([]any, n)
	exited := make([]bool, n)
	cancelOne, cancel := context.WithCancel(ctx)
	quitting, quit := context.WithCancel(ctx)
	defer quit()
	var afterQuit error
	var wg sync.WaitGroup
	for i := range n {
		uctx := ctx
		switch kindOf(i) {
		case abandons:
			uctx = cancelOne
		case quits:
			uctx = quitting
		}
		wg.Go(func() {
			defer func() { recovered[i] = recover() }()
			exited[i] = true // cleared when the Update returns
			results[i] = s.Update(uctx, func(tx ports.Tx) error {
				if err := tx.Devices().Put(uctx, domain.Device{Serial: serial(i)}); err != nil {
					return err
				}
				switch kindOf(i) {
				case fails:
					return boom
				case panics:
					panic("panic " + serial(i))
				case exits:
					runtime.Goexit()
				case quits:
					quit()
					afterQuit = tx.Devices().Put(uctx, domain.Device{Serial: serial(i) + "-after"})
				}
				return nil
			})
			exited[i] = false
		})
		awaitQueued(t, s, i+1) // queued in i's order
	}
	cancel()
	close(release)
	wg.Wait()
	if err := holder(); err != nil {
		t.Fatalf("the Update holding the writer: %v", err)
	}

	var serials []string
	for i := range n {
		serials = append(serials, serial(i))
	}
	stored := devicesStored(t, s, serials)
	wantCommitted := 1 // the holder
	for i := range n {
		k := kindOf(i)
		switch k {
		case succeeds:
			wantCommitted++
			if results[i] != nil {
				t.Errorf("Update %d = %v, want nil", i, results[i])
			}
		case fails:
			if !errors.Is(results[i], boom) {
				t.Errorf("Update %d = %v, want its fn's error", i, results[i])
			}
		case panics:
			if recovered[i] != "panic "+serial(i) {
				t.Errorf("Update %d panicked with %v, want its fn's panic", i, recovered[i])
			}
		case exits:
			if !exited[i] {
				t.Errorf("Update %d returned, want its goroutine to exit from fn", i)
			}
		case abandons:
			if domain.ErrorCode(results[i]) != domain.CodeUnavailable {
				t.Errorf("Update %d, abandoned while queued, = %v, want %s", i, results[i], domain.CodeUnavailable)
			}
		case quits:
			if domain.ErrorCode(results[i]) != domain.CodeUnavailable || domain.ErrorCode(afterQuit) != domain.CodeUnavailable {
				t.Errorf("Update %d, abandoned in fn, = %v, and its write after = %v, want %s for both",
					i, results[i], afterQuit, domain.CodeUnavailable)
			}
		}
		if want := k == succeeds; stored[serial(i)] != want {
			t.Errorf("device of Update %d stored: %v, want %v", i, stored[serial(i)], want)
		}
	}
	commits, updates := s.w.batchStats()
	if commits-commits0 != 2 || updates-updates0 != int64(wantCommitted) {
		t.Errorf("%d commits held %d Updates, want 2 commits (the holder's, then one for the queue) holding %d",
			commits-commits0, updates-updates0, wantCommitted)
	}
	// Nothing was left open: the writer takes another Update at once.
	if err := s.Update(ctx, func(tx ports.Tx) error { return tx.Devices().Put(ctx, domain.Device{Serial: "AFTER"}) }); err != nil {
		t.Fatal(err)
	}
	checkIntegrity(t, s)
}

// When an Update's failure ends the transaction it shares, the Updates
// before it in the batch lose their work through no fault of theirs: they
// run again in the next transaction and commit, while the one that failed
// gets its own error.
func TestGroupCommitRunsInnocentUpdatesAgain(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	ctx := t.Context()
	release := make(chan struct{})
	holder := holdWriter(t, s, release)

	failed := errors.New("the transaction ended under this Update")
	// Options.OnRetry is told of the run again, and why.
	var retried []string
	s.w.onRetry = func(attempt int, err error) { retried = append(retried, fmt.Sprintf("%d: %v", attempt, err != nil)) }
	var runs [3]int
	var results [3]error
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			results[i] = s.Update(ctx, func(ptx ports.Tx) error {
				runs[i]++
				if err := ptx.Devices().Put(ctx, domain.Device{Serial: fmt.Sprintf("R-%d", i)}); err != nil {
					return err
				}
				if i == 1 {
					// What SQLite does on its own after SQLITE_FULL or
					// SQLITE_IOERR: the whole transaction is rolled back.
					if err := ptx.(*tx).c.exec(ctx, "ROLLBACK"); err != nil {
						return err
					}
					return failed
				}
				return nil
			})
		})
		awaitQueued(t, s, i+1)
	}
	close(release)
	wg.Wait()
	if err := holder(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(results[1], failed) {
		t.Errorf("the failing Update = %v, want its fn's error", results[1])
	}
	for _, i := range []int{0, 2} {
		if results[i] != nil {
			t.Errorf("Update %d = %v, want nil", i, results[i])
		}
	}
	if fmt.Sprint(retried) != "[1: true]" {
		t.Errorf("OnRetry was told %v, want [1: true]: the first Update's first run was lost", retried)
	}
	if runs != [3]int{2, 1, 1} {
		t.Errorf("the fns ran %v times, want [2 1 1]: the first again, after the second lost their transaction", runs)
	}
	stored := devicesStored(t, s, []string{"R-0", "R-1", "R-2"})
	if !stored["R-0"] || stored["R-1"] || !stored["R-2"] {
		t.Errorf("devices stored %v, want R-0 and R-2", stored)
	}
	checkIntegrity(t, s)
}

// Close lets the batch under way commit and answers the Updates still
// queued with CodeUnavailable.
func TestGroupCommitClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	release := make(chan struct{})
	holder := holdWriter(t, s, release)
	const n = 3
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = s.Update(ctx, func(tx ports.Tx) error { return tx.Devices().Put(ctx, domain.Device{Serial: "Q"}) })
		})
	}
	awaitQueued(t, s, n)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	<-s.closing
	close(release)
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := holder(); err != nil {
		t.Errorf("the Update under way at Close = %v, want nil", err)
	}
	for i, err := range results {
		if domain.ErrorCode(err) != domain.CodeUnavailable {
			t.Errorf("queued Update %d = %v, want %s", i, err, domain.CodeUnavailable)
		}
	}
	s2 := openTest(t, path)
	if got := devicesStored(t, s2, []string{"HOLDER", "Q"}); !got["HOLDER"] || got["Q"] {
		t.Errorf("devices stored after Close: %v, want HOLDER only", got)
	}
}

// The writer keeps its savepoints' sub-journal in memory (temp_store=MEMORY,
// see dsn); the readers, which may sort large results, keep the default.
func TestWriterSubJournalInMemory(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "e.db"))
	for _, p := range []struct {
		name string
		pool *pool
		want string
	}{{"writer", s.writer, "2"}, {"reader", s.readers, "0"}} {
		onConn(t, s, p.pool, func(c *sql.Conn) {
			var got string
			if err := c.QueryRowContext(t.Context(), "PRAGMA temp_store").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != p.want {
				t.Errorf("%s: PRAGMA temp_store = %s, want %s", p.name, got, p.want)
			}
		})
	}
}
