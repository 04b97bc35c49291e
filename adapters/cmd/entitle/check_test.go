package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestCheckRun: -run runs only the tests whose name matches.
func TestCheckRun(t *testing.T) {
	code, out, errs := runCmd("check", "-run", "sample order", "../../../rulesets")
	if code != 0 || !strings.Contains(out, "\n1 passed, 0 failed\n") {
		t.Errorf("-run 'sample order': exit %d\n%s%s", code, out, errs)
	}
	// A broken test outside the selection does not run.
	dir := copyRulesets(t, "20-lines.yaml", "start_window_days: 3", "start_window_days: 5")
	if code, out, errs := runCmd("check", "-run", "^the seed's sample order", dir); code != 0 {
		t.Errorf("a failing test -run leaves out failed the run: exit %d\n%s%s", code, out, errs)
	}
	if code, _, _ := runCmd("check", "-run", "four days out", dir); code != 1 {
		t.Errorf("the failing test -run selects passed: exit %d", code)
	}
	if code, _, errs := runCmd("check", "-run", "(", dir); code != 2 || !strings.Contains(errs, "-run") {
		t.Errorf("a bad -run: exit %d %s", code, errs)
	}
}

// TestCheckVerboseListsTests: -v names every test run with its verdict.
func TestCheckVerboseListsTests(t *testing.T) {
	dir := copyRulesets(t, "20-lines.yaml", "start_window_days: 3", "start_window_days: 5")
	code, out, _ := runCmd("check", "-v", dir)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	if !regexp.MustCompile(`(?m)^--- PASS: the seed's sample order is accepted \(.*10-orders\.yaml:\d+\)$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^--- FAIL: a start four days out is refused \(.*20-lines\.yaml:\d+\)$`).MatchString(out) {
		t.Errorf("-v does not list the tests:\n%s", out)
	}
	if _, quiet, _ := runCmd("check", dir); strings.Contains(quiet, "--- PASS") {
		t.Errorf("without -v the tests are listed:\n%s", quiet)
	}
}

// TestCheckJSON: -json prints one object a program reads: the tests, the
// coverage, and the errors with their positions and snippets.
func TestCheckJSON(t *testing.T) {
	code, out, errs := runCmd("check", "-json", "../../../rulesets")
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 {
		t.Fatalf("exit %d, %v:\n%s%s", code, err, out, errs)
	}
	if !rep.OK || rep.Passed == 0 || rep.Failed != 0 || len(rep.Tests) != rep.Passed || rep.Rules == 0 || len(rep.Hash) != 64 {
		t.Errorf("report: ok %v, %d passed, %d failed, %d tests, %d rules, hash %q", rep.OK, rep.Passed, rep.Failed, len(rep.Tests), rep.Rules, rep.Hash)
	}
	c := rep.Coverage
	if c == nil || c.Branches != 2*rep.Rules || len(c.Rules) != rep.Rules || c.Percent != 100*float64(c.Covered)/float64(c.Branches) {
		t.Fatalf("coverage: %+v", c)
	}

	dir := copyRulesets(t, "20-lines.yaml", "when: serial.orderInProgress", "when: serial.orderInProgres")
	code, out, _ = runCmd("check", "-json", dir)
	rep = checkReport{}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 1 || rep.OK || len(rep.Errors) != 1 {
		t.Fatalf("a broken copy: exit %d, %v: %s", code, err, out)
	}
	e := rep.Errors[0]
	if !strings.HasSuffix(e.File, "20-lines.yaml") || e.Column != 18 || e.Message != "serial has no field orderInProgres" ||
		!strings.HasSuffix(e.Snippet, "when: serial.orderInProgres\n                 ^") {
		t.Errorf("the error: %+v", e)
	}
}

// TestCheckCoverageMin: -coverage prints the percentage of rule branches;
// -coverage-min fails below it and passes at or above it.
func TestCheckCoverageMin(t *testing.T) {
	code, out, _ := runCmd("check", "-coverage", "../../../rulesets")
	m := regexp.MustCompile(`(?m)^coverage: (\d+\.\d)% of rule branches \((\d+) of (\d+)\)$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("exit %d, no percentage:\n%s", code, out)
	}
	if code, _, errs := runCmd("check", "-coverage-min", "100", "../../../rulesets"); code != 1 || !strings.Contains(errs, "is below -coverage-min 100%") {
		t.Errorf("-coverage-min 100 at %s%%: exit %d %s", m[1], code, errs)
	}
	if code, _, errs := runCmd("check", "-coverage-min", "90", "../../../rulesets"); code != 0 {
		t.Errorf("-coverage-min 90 at %s%%: exit %d %s", m[1], code, errs)
	}
	// Fewer tests, less coverage.
	if code, out, _ := runCmd("check", "-coverage-min", "90", "-run", "sample order", "../../../rulesets"); code != 1 {
		t.Errorf("one test reached 90%%:\n%s", out)
	}
	if code, _, _ := runCmd("check", "-coverage-min", "101"); code != 2 {
		t.Errorf("-coverage-min 101: exit %d", code)
	}
}

// TestCheckReportsAFailureOnce: a rule that fails at run time breaks most
// tests; check names it once, with the count of tests it broke, not once
// per test.
func TestCheckReportsAFailureOnce(t *testing.T) {
	dir := copyRulesets(t, "10-orders.yaml", "when: order.lineCount > params.max_order_lines", "when: order.lineNumbers[99] > params.max_order_lines")
	code, out, errs := runCmd("check", dir)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 1 || !regexp.MustCompile(`10-orders\.yaml:\d+:\d+: rule order\.max-lines could not be evaluated: .*; broke (\d+) test\(s\): "[^"]+", "[^"]+", "[^"]+" and \d+ more \(-v lists them\)$`).MatchString(lines[0]) {
		t.Errorf("not one line naming the rule:\n%s", errs)
	}
	failed := regexp.MustCompile(`(?m)^0 passed, (\d+) failed$|^\d+ passed, (\d+) failed$`).FindString(out)
	if failed == "" || strings.HasSuffix(failed, " 1 failed") {
		t.Errorf("the failure broke one test or none: %s", out)
	}
	_, _, verrs := runCmd("check", "-v", dir)
	if strings.Contains(verrs, "more (-v lists them)") {
		t.Errorf("-v cut the list of tests:\n%s", verrs)
	}
}

// TestCheckCatchesAtCompileTime: a misspelt deny field and a read of a
// result that can be nil (the renewalOf(...).endDate) are compile
// errors at their position with the line and a caret, not failures at run
// time.
func TestCheckCatchesAtCompileTime(t *testing.T) {
	for _, tc := range []struct {
		name, file, old, new, want string
	}{
		{"a misspelt deny field", "20-lines.yaml", "field: serviceStartDate", "field: serviceStartDat",
			`20-lines\.yaml:\d+:35: rule line\.start-required: deny field "serviceStartDat": serviceStartDat is not a field of the line scope \(did you mean serviceStartDate\?\)\n \|     deny: \{code: REQUIRED, field: serviceStartDat, .*\n \| {35}\^\n`},
		{"a nil result read", "20-lines.yaml", "when: part.found and not part.trial and renewalOf(serial, part.productLine, today) != nil", "when: part.found and not part.trial",
			`20-lines\.yaml:\d+:76: renewalOf\(serial, part\.productLine, today\) may be nil here: reading \.endDate of it would fail.*\n \|       serviceStartDate: addDays\(renewalOf\(serial, part\.productLine, today\)\.endDate, 1\)\n \| {76}\^\n`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyRulesets(t, tc.file, tc.old, tc.new)
			code, out, errs := runCmd("check", dir)
			if code != 1 || !regexp.MustCompile(tc.want).MatchString(errs) || strings.Contains(out, "passed") {
				t.Errorf("exit %d, stderr does not match %s:\n%s%s", code, tc.want, errs, out)
			}
		})
	}
}
