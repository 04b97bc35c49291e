package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/entitle-rules/entitle/adapters/httpapi/rulesapi"
	"github.com/entitle-rules/entitle/rules"
	"github.com/entitle-rules/entitle/rulesets"
)

// shippedSource names the rulesets built into the program in GET /rulesets
// and the log.
const shippedSource = "shipped"

// ruleState is the rule set `entitle serve` decides with: the Live every
// service reads once per decision, where it came from, and when it went into
// force. A reload swaps a new set in only when it compiles and its own tests
// pass; otherwise the set in force stays and the log says why. Safe for
// concurrent use.
type ruleState struct {
	live *rules.Live
	dir  string // "" for the shipped rulesets, which never change
	log  *slog.Logger

	// inForceNow is what GET /rulesets reports: the set in force and when
	// it went into force, swapped together right after the Live, so a
	// reload in progress never blocks a reader.
	inForceNow atomic.Pointer[rulesapi.InForce]

	mu    sync.Mutex // one reload at a time; guards the fields below
	stamp string     // the names, sizes and mtimes of the directory's files when last read
	tried string     // the content hash of the files last compiled, in force or refused
}

// loadRules compiles the rule files of dir (the shipped ones for "") and
// puts them in force.
func loadRules(dir string, log *slog.Logger) (*ruleState, error) {
	rs := &ruleState{dir: dir, log: log}
	var set *rules.Set
	var err error
	if dir == "" {
		set, err = language().Load(rulesets.FS)
	} else {
		var names []string
		var files map[string][]byte
		if rs.stamp, err = dirStamp(dir); err == nil {
			names, files, err = readRuleFiles(dir)
		}
		if err == nil {
			rs.tried = contentHash(names, files)
			set, err = language().Compile(names, files)
		}
	}
	if err != nil {
		return nil, err
	}
	rs.live = rules.NewLive(set)
	rs.inForceNow.Store(&rulesapi.InForce{Set: set, Source: rs.source(), LoadedAt: time.Now()})
	return rs, nil
}

// source names where the rules come from.
func (rs *ruleState) source() string {
	if rs.dir == "" {
		return shippedSource
	}
	return rs.dir
}

// inForce reports the set in force, for GET /rulesets.
func (rs *ruleState) inForce() rulesapi.InForce { return *rs.inForceNow.Load() }

// rulesetsOptions wires the rule authors' /rulesets endpoints to rs.
func (rs *ruleState) rulesetsOptions(authors rulesapi.Authors) rulesapi.RulesetsOptions {
	return rulesapi.RulesetsOptions{Authors: authors, InForce: rs.inForce, Language: language(), Testers: testers}
}

// errUnchanged says a reload found the files as they were last compiled.
var errUnchanged = errors.New("the rule files are unchanged")

// reload reads the directory again and, when its files differ from those
// last compiled, compiles them and runs their tests: the new set goes into
// force only when both succeed. why ("SIGHUP", "the directory changed") is
// logged. It returns errUnchanged when there was nothing to do, and the
// reason a new set was refused otherwise (logged too).
func (rs *ruleState) reload(ctx context.Context, why string) error {
	if rs.dir == "" {
		return errUnchanged // the shipped files are part of the program
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	old := rs.live.Set()
	err := rs.tryReload(ctx)
	switch {
	case errors.Is(err, errUnchanged):
		if why == "SIGHUP" {
			rs.log.Info("rules reload: the files are unchanged", "source", rs.dir, "ruleset", old.Hash()[:12])
		}
	case err != nil:
		rs.log.Error("rules reload refused; the rules in force stay", "source", rs.dir, "why", why,
			"ruleset", old.Hash()[:12], "err", err.Error())
	default:
		set := rs.live.Set()
		rs.log.Info("rules reloaded", "source", rs.dir, "why", why, "ruleset", set.Hash()[:12], "was", old.Hash()[:12],
			"files", len(set.Files()), "rules", len(set.Rules()))
	}
	return err
}

// tryReload does reload's work with rs.mu held.
func (rs *ruleState) tryReload(ctx context.Context) error {
	stamp, err := dirStamp(rs.dir)
	if err != nil {
		rs.stamp = stamp // the poll tries again when the error changes
		return err
	}
	names, files, err := readRuleFiles(rs.dir)
	if err != nil {
		return err
	}
	rs.stamp = stamp
	hash := contentHash(names, files)
	if hash == rs.tried {
		return errUnchanged
	}
	rs.tried = hash
	set, err := language().Compile(names, files)
	if err != nil {
		return err
	}
	if sk := set.Skipped(); len(sk) > 0 {
		return fmt.Errorf("%s declares context %q, which entitle does not know (it knows %s)", sk[0].File, sk[0].Context, knownContexts())
	}
	results, err := set.RunTests(ctx, testers()...)
	if err != nil {
		return err
	}
	if fails := set.Failures(results); len(fails) > 0 {
		broken := 0
		for _, r := range results {
			if !r.Passed() {
				broken++
			}
		}
		return fmt.Errorf("%d of %d tests fail: %s", broken, len(results), describeFailure(fails[0]))
	}
	rs.live.Swap(set)
	rs.inForceNow.Store(&rulesapi.InForce{Set: set, Source: rs.source(), LoadedAt: time.Now()})
	return nil
}

// changed reports whether the directory's names, sizes or mtimes differ
// from when it was last read: the cheap look the poll takes every second.
func (rs *ruleState) changed() bool {
	stamp, _ := dirStamp(rs.dir)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return stamp != rs.stamp
}

// watch reloads, in a goroutine of its own until ctx is done, on SIGHUP and
// when a look at the directory, every poll, finds it changed. The SIGHUP
// handler is in place when watch returns. The shipped rulesets are not
// watched.
func (rs *ruleState) watch(ctx context.Context, poll time.Duration) {
	if rs.dir == "" {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		tick := time.NewTicker(poll)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				_ = rs.reload(ctx, "SIGHUP")
			case <-tick.C:
				if rs.changed() {
					_ = rs.reload(ctx, "the directory changed")
				}
			}
		}
	}()
}

// readRuleFiles reads the *.yaml and *.yml files at the root of dir, in name
// order, as rules.Language.Load does.
func readRuleFiles(dir string) ([]string, map[string][]byte, error) {
	return readRuleFS(os.DirFS(dir), dir)
}

// readRuleFS reads the rule files at the root of fsys, which where names.
func readRuleFS(fsys fs.FS, where string) ([]string, map[string][]byte, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, nil, err
	}
	var names []string
	files := map[string][]byte{}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, nil, err
		}
		names = append(names, e.Name())
		files[e.Name()] = b
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, nil, fmt.Errorf("%s holds no *.yaml rule files", where)
	}
	return names, files, nil
}

// dirStamp describes the rule files of dir by name, size and mtime; a
// directory that cannot be read is described by the error.
func dirStamp(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error(), err
	}
	var b strings.Builder
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); e.IsDir() || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed since ReadDir: the next look sees it gone
		}
		fmt.Fprintf(&b, "%s\x00%d\x00%d\n", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return b.String(), nil
}

// contentHash hashes the names and contents of every rule file read, those
// a set leaves out too (the set's own hash covers only what it compiled).
func contentHash(names []string, files map[string][]byte) string {
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// describeFailure words one cause of failed tests on one line.
func describeFailure(f rules.Failure) string {
	s := fmt.Sprintf("%s: test %q: %s", f.Pos, f.Tests[0].Name, f.Message)
	if f.RuleID != "" {
		s = fmt.Sprintf("%s: %s", f.Pos, f.Message) // a rule's error names the rule
	}
	if n := len(f.Tests); n > 1 || f.RuleID != "" {
		s += fmt.Sprintf(" (broke %d test(s))", n)
	}
	return s
}
