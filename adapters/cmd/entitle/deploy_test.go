package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Dockerfile builds this program of this module with go.mod's Go, runs
// it as a non-root user, and its CMD parses with serve's flags.
func TestDockerfile(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	if goVersion == nil {
		t.Fatal("go.mod has no go directive")
	}
	if m := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)$`).FindSubmatch(df); m == nil || string(m[1]) != string(goVersion[1]) {
		t.Errorf("the Dockerfile's GO_VERSION is %q, go.mod's go is %s", m, goVersion[1])
	}
	// The build command's package, from the repository root (the build
	// context), is this directory.
	build := regexp.MustCompile(`go build [^\n]*-o (\S+) (\./\S+)`).FindSubmatch(df)
	if build == nil {
		t.Fatal("no go build -o OUT ./PKG in the Dockerfile")
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if got := filepath.Join(root, string(build[2])); got != wd {
		t.Errorf("the Dockerfile builds %s (%s), not this program (%s)", build[2], got, wd)
	}
	if !bytes.Contains(df, []byte("GOPROXY=https://proxy.golang.org")) {
		t.Error("the Dockerfile does not build with the Go module proxy")
	}
	stages := regexp.MustCompile(`(?m)^FROM `).FindAllIndex(df, -1)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(stages))
	}
	final := string(df[stages[len(stages)-1][0]:])
	if m := regexp.MustCompile(`(?m)^COPY --from=build (\S+) (\S+)$`).FindStringSubmatch(final); m == nil || m[1] != string(build[1]) {
		t.Errorf("the runtime stage does not copy the built binary %s: %v", build[1], m)
	} else if !strings.Contains(final, `ENTRYPOINT ["`+m[2]+`"]`) {
		t.Errorf("the ENTRYPOINT is not the copied binary %s", m[2])
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)$`).FindStringSubmatch(final)
	if user == nil || strings.HasPrefix(user[1], "root") || strings.HasPrefix(user[1], "0:") || user[1] == "0" {
		t.Errorf("the runtime stage runs as %v, want a non-root user", user)
	}
	// CMD and the image's environment parse as serve's configuration.
	cmd := regexp.MustCompile(`(?m)^CMD \[(.*)\]$`).FindStringSubmatch(final)
	if cmd == nil {
		t.Fatal("no CMD")
	}
	var args []string
	for _, a := range strings.Split(cmd[1], ",") {
		args = append(args, strings.Trim(strings.TrimSpace(a), `"`))
	}
	if args[0] != "serve" {
		t.Fatalf("CMD runs %q, want serve", args[0])
	}
	for _, kv := range regexp.MustCompile(`(ENTITLE_[A-Z_]+)=(\S+)`).FindAllStringSubmatch(final, -1) {
		t.Setenv(kv[1], kv[2])
	}
	var stderr bytes.Buffer
	cfg, code := parseServe(args[1:], &stderr)
	if code != 0 {
		t.Fatalf("CMD %q: exit %d: %s", args, code, stderr.String())
	}
	if cfg.addr != "0.0.0.0:8080" || *cfg.store.db != "/var/lib/entitle/entitle.db" || cfg.example {
		t.Errorf("the image serves %s on %s (example %v)", cfg.addr, *cfg.store.db, cfg.example)
	}
}

// The systemd unit's ExecStart parses with serve's flags, and systemd
// itself (systemd-analyze verify, when installed) finds nothing wrong in it.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("entitle.service")
	if err != nil {
		t.Fatal(err)
	}
	exec1 := regexp.MustCompile(`(?m)^ExecStart=(.*)$`).FindSubmatch(unit)
	if exec1 == nil {
		t.Fatal("no ExecStart")
	}
	argv := strings.Fields(string(exec1[1]))
	if filepath.Base(argv[0]) != "entitle" || argv[1] != "serve" {
		t.Fatalf("ExecStart runs %q", argv)
	}
	for _, k := range []string{"DynamicUser=yes", "EnvironmentFile=", "KillSignal=SIGTERM", "Restart=on-failure", "NoNewPrivileges=yes"} {
		if !bytes.Contains(unit, []byte("\n"+k)) {
			t.Errorf("the unit has no %s", k)
		}
	}
	var stderr bytes.Buffer
	cfg, code := parseServe(argv[2:], &stderr)
	if code != 0 {
		t.Fatalf("ExecStart %q: exit %d: %s", argv, code, stderr.String())
	}
	if cfg.ops.metricsAddr == "" || cfg.example {
		t.Errorf("the unit serves metrics on %q, example %v", cfg.ops.metricsAddr, cfg.example)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: the unit is not verified by systemd")
		return
	}
	// verify wants the executable to exist: the test binary stands in.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "entitle.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte(argv[0]), []byte(self)), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(analyze, "verify", path).CombinedOutput()
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if strings.Contains(sc.Text(), path) {
			t.Errorf("systemd-analyze verify: %s", sc.Text())
		}
	}
}
