package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashAndCheck(t *testing.T) {
	h, err := Hash("example-secret", rand.Reader, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(h, "example-secret") || !Valid(h) {
		t.Fatalf("stored form %q", h)
	}
	if ok, legacy := Check(h, "example-secret"); !ok || legacy {
		t.Errorf("the right secret: ok=%v legacy=%v", ok, legacy)
	}
	if ok, _ := Check(h, "example-secreT"); ok {
		t.Error("a wrong secret matched")
	}
	// Salted: the same secret hashes differently each time.
	h2, _ := Hash("example-secret", rand.Reader, cheap)
	if h2 == h {
		t.Error("two hashes of one secret are equal: no salt")
	}
	// A hash from before argon2id still matches, flagged as legacy.
	sum := sha256.Sum256([]byte("example-secret"))
	old := hex.EncodeToString(sum[:])
	if ok, legacy := Check(old, "example-secret"); !ok || !legacy {
		t.Errorf("a legacy SHA-256: ok=%v legacy=%v", ok, legacy)
	}
	if ok, _ := Check(old, "guess"); ok {
		t.Error("a wrong secret matched a legacy hash")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=64,t=1,p=1$x"} {
		if ok, _ := Check(bad, ""); ok || Valid(bad) {
			t.Errorf("%q: matched or valid", bad)
		}
	}
}
