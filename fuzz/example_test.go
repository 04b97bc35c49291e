package fuzz_test

import (
	"fmt"
	"time"

	"pgregory.net/rapid"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/fuzz"
)

// A service that stores subscriptions checks, with generated device
// histories, that what it writes and reads back keeps the timeline
// invariants. In a test, pass the test's *testing.T to rapid.Check; this
// example runs the same property under exampleTB so it can print its result.
func Example() {
	today := domain.Today(time.Date(2025, time.April, 24, 17, 0, 0, 0, time.UTC), domain.Pacific)
	property := func(t *rapid.T) {
		cat := fuzz.Catalog().Draw(t, "catalog")
		serial := fuzz.Serial().Draw(t, "serial")
		h := fuzz.History(serial, cat, today).Draw(t, "history")

		stored := roundTrip(h.Subscriptions) // the service's own write and read
		if err := fuzz.CheckTimeline(stored); err != nil {
			t.Fatal(err)
		}
		if err := fuzz.CheckTrialOnce(h.Trials); err != nil {
			t.Fatal(err)
		}
	}

	var tb exampleTB
	rapid.Check(&tb, property)
	fmt.Println(tb.result())
	// Output: ok
}

// roundTrip stands for a store's write then read.
func roundTrip(tl domain.Timeline) domain.Timeline {
	return append(domain.Timeline(nil), tl...)
}

// exampleTB is the rapid.TB an Example runs a property under; it records a
// failure instead of failing a test.
type exampleTB struct {
	failed bool
	msg    string
}

func (tb *exampleTB) result() string {
	if tb.failed {
		return "failed: " + tb.msg
	}
	return "ok"
}

func (tb *exampleTB) Helper()                   {}
func (tb *exampleTB) Name() string              { return "Example" }
func (tb *exampleTB) Log(args ...any)           {}
func (tb *exampleTB) Logf(string, ...any)       {}
func (tb *exampleTB) Error(args ...any)         { tb.fail(fmt.Sprint(args...)) }
func (tb *exampleTB) Errorf(f string, a ...any) { tb.fail(fmt.Sprintf(f, a...)) }
func (tb *exampleTB) Fatal(args ...any)         { tb.fail(fmt.Sprint(args...)) }
func (tb *exampleTB) Fatalf(f string, a ...any) { tb.fail(fmt.Sprintf(f, a...)) }
func (tb *exampleTB) Fail()                     { tb.failed = true }
func (tb *exampleTB) FailNow()                  { tb.failed = true }
func (tb *exampleTB) Failed() bool              { return tb.failed }
func (tb *exampleTB) Skip(args ...any)          {}
func (tb *exampleTB) Skipf(string, ...any)      {}
func (tb *exampleTB) SkipNow()                  {}

func (tb *exampleTB) fail(msg string) {
	if !tb.failed {
		tb.msg = msg
	}
	tb.failed = true
}
