package sqlrow

import (
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// Migration is one version of a store's schema: an embedded file
// NNNN_name.sql. A released file is never edited; a change is a new file,
// and migrations only go forward.
type Migration struct {
	Version int    // NNNN
	Name    string // name
	File    string // NNNN_name.sql
	SQL     string
}

// Migrations reads a schema's history from the files dir/*.sql of fsys,
// named NNNN_name.sql and numbered from 0001 without gaps, in version order.
// An error, CodeInternal, is a broken build: a misnamed file, a gap, a
// version twice.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, domain.Wrap(err, domain.CodeInternal, "list the embedded migrations")
	}
	// fs.Glob returns names sorted, so zero-padded versions come in order.
	ms := make([]Migration, 0, len(names))
	for i, name := range names {
		file := path.Base(name)
		num, label, ok := strings.Cut(strings.TrimSuffix(file, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 || label == "" {
			return nil, domain.Errorf(domain.CodeInternal, "", "embedded migration %s is not named NNNN_name.sql", file)
		}
		if v != i+1 {
			return nil, domain.Errorf(domain.CodeInternal, "",
				"embedded migration %s has version %d, want %d: versions run from 1 without gaps", file, v, i+1)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, domain.Wrap(err, domain.CodeInternal, "read embedded migration %s", file)
		}
		ms = append(ms, Migration{Version: v, Name: label, File: file, SQL: string(text)})
	}
	return ms, nil
}

// MigrationState is one migration of a store's schema and whether the
// database has it: what `entitle migrate status` lists.
type MigrationState struct {
	Version int
	Name    string
	// Applied: the database records the migration; AppliedAt is when
	// (zero when the store does not record it).
	Applied   bool
	AppliedAt time.Time
	// Newer: applied by a newer entitle; this build does not know it (Name
	// is what the database recorded, if anything).
	Newer bool
}

// MigrationStates lists the migrations ms of this build and those the
// database recorded (applied: version -> when, zero when unknown), in
// version order.
func MigrationStates(ms []Migration, applied map[int]time.Time, names map[int]string) []MigrationState {
	out := make([]MigrationState, 0, max(len(ms), len(applied)))
	for _, m := range ms {
		at, ok := applied[m.Version]
		out = append(out, MigrationState{Version: m.Version, Name: m.Name, Applied: ok, AppliedAt: at})
	}
	var newer []int
	for v := range applied {
		if v > len(ms) {
			newer = append(newer, v)
		}
	}
	slices.Sort(newer)
	for _, v := range newer {
		out = append(out, MigrationState{Version: v, Name: names[v], Applied: true, AppliedAt: applied[v], Newer: true})
	}
	return out
}
