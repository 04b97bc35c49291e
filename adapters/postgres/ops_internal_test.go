package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// The schema of a DSN's search_path is read as PostgreSQL reads the
// setting: the first entry, quoted names as written, others folded to
// lower case, "$user" the user connecting; Options.Schema wins.
func TestSchemaFor(t *testing.T) {
	for _, tc := range []struct{ dsn, given, want string }{
		{"postgres://u@h/db", "", "public"},
		{"postgres://u@h/db", "mine", "mine"},
		{"postgres://u@h/db?search_path=entitle", "", "entitle"},
		{"postgres://u@h/db?search_path=entitle", "mine", "mine"},
		{"postgres://u@h/db?search_path=Entitle,public", "", "entitle"},
		{"postgres://u@h/db?search_path=%22My%20Schema%22,public", "", "My Schema"},
		{"postgres://u@h/db?search_path=%22a%22%22b%22", "", `a"b`},
		{"postgres://alice@h/db?search_path=%24user,public", "", "alice"},
		{"host=h user=u dbname=db search_path=' tenant_7 , public'", "", "tenant_7"},
	} {
		cfg, err := pgx.ParseConfig(tc.dsn)
		if err != nil {
			t.Fatalf("%s: %v", tc.dsn, err)
		}
		if got := schemaFor(tc.given, cfg); got != tc.want {
			t.Errorf("schemaFor(%q, %s) = %q, want %q", tc.given, tc.dsn, got, tc.want)
		}
	}
}
