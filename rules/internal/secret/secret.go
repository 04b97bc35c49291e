// Package secret stores client secrets with a salted, slow hash (argon2id,
// RFC 9106) and checks them in constant time. The contexts that store
// secrets (rules/dataset, from data files) and check them (rules/access)
// share it, so one encoding is written and read.
package secret

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's costs.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// Default is OWASP's first recommended argon2id setting (19 MiB, 2 passes,
// 1 thread): about 20-40 ms a hash on this project's machine.
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const (
	prefix  = "$argon2id$v=19$"
	saltLen = 16
	keyLen  = 32
)

// Hash returns the stored form of secret: argon2id with a fresh 16-byte
// salt read from random, encoded as
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (base64, no padding).
func Hash(secret string, random io.Reader, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("secret: reading a salt: %w", err)
	}
	key := argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", prefix, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Check reports whether secret matches the stored form encoded. A stored
// form from before argon2id (the hex SHA-256 of the secret) still matches,
// and then legacy is true so the caller can store a new hash. Anything else
// never matches.
func Check(encoded, secret string) (ok, legacy bool) {
	if p, salt, key, good := parse(encoded); good {
		got := argon2.IDKey([]byte(secret), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
		return subtle.ConstantTimeCompare(got, key) == 1, false
	}
	if want, err := hex.DecodeString(encoded); err == nil && len(want) == sha256.Size {
		got := sha256.Sum256([]byte(secret))
		return subtle.ConstantTimeCompare(got[:], want) == 1, true
	}
	return false, false
}

// Valid reports whether encoded is a stored form Check can read.
func Valid(encoded string) bool {
	if _, _, _, ok := parse(encoded); ok {
		return true
	}
	b, err := hex.DecodeString(encoded)
	return err == nil && len(b) == sha256.Size
}

// parse reads an argon2id encoding with costs in sane bounds (so a stored
// value cannot make a check allocate gigabytes).
func parse(encoded string) (Params, []byte, []byte, bool) {
	rest, ok := strings.CutPrefix(encoded, prefix)
	if !ok {
		return Params{}, nil, nil, false
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return Params{}, nil, nil, false
	}
	var p Params
	if n, err := fmt.Sscanf(parts[0], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); n != 3 || err != nil {
		return Params{}, nil, nil, false
	}
	if p.Memory < 8 || p.Memory > 256*1024 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return Params{}, nil, nil, false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, false
	}
	return p, salt, key, true
}
