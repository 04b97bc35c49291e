package webui

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseCSV(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // per row: externalId|email|firstName|lastName|phoneNumber, or "!" + problem
		err      string
	}{
		{name: "header in the vendor's order",
			in:   "External ID,Email,First Name,Last Name,Phone Number\ntruck-12,t@x.example,Tom,Truck,+1 555\n",
			want: []string{"truck-12|t@x.example|Tom|Truck|+1 555"}},
		{name: "no header, external ids only, blank lines, CRLF, BOM",
			in:   "\ufefftruck-12\r\n\r\nvan-3\r\n",
			want: []string{"truck-12||||", "van-3||||"}},
		{name: "header in another order and spelling",
			in:   "email;external_id;PHONE\nd@x.example;driver-7;123\n",
			want: []string{"driver-7|d@x.example|||123"}},
		{name: "quoted commas and quotes",
			in:   `"a,b","x@y.example","Ann ""The"" Driver",,` + "\n",
			want: []string{`a,b|x@y.example|Ann "The" Driver||`}},
		{name: "row problems are the row's",
			in:   "External ID,Email\n,no-id@x.example\nok-1,\nok-2,,,,,,extra\n",
			want: []string{"!External ID is empty; it is the one required field", "ok-1||||", "!7 cells; a row has at most 2 (externalId, email)"}},
		{name: "unknown column", in: "External ID,Department\nx,y\n", err: `line 1: column "Department" is not one of`},
		{name: "header without external id", in: "Email,First Name\nx@y.example,X\n", err: "no External ID column"},
		{name: "bad quoting", in: "a\n\"b\nc,\"d\n", err: "line 2"},
		{name: "not UTF-8", in: "a\xff\n", err: "not UTF-8"},
		{name: "empty", in: "", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := parseCSV([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				if r.Err != "" {
					got = append(got, "!"+r.Err)
					continue
				}
				var f []string
				for _, c := range csvColumns {
					f = append(f, r.Fields[c])
				}
				got = append(got, strings.Join(f, "|"))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestParseCSVLimit(t *testing.T) {
	rows, err := parseCSV([]byte(strings.Repeat("u\n", maxCSVRows+1)))
	if len(rows) != maxCSVRows || err == nil || !strings.Contains(err.Error(), "at most 1000") {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

// FuzzParseCSV: whatever the input, parseCSV does not panic, every row it
// returns is a user with an External ID or says what is wrong, rows come
// in input order, and no cell holds a line break it did not quote.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{"External ID,Email,First Name,Last Name,Phone Number\ntruck-12,a@b.c,A,B,1\n",
		"a;b;c\n", "\"x\ny\",z\n", "\ufeffid\n1\n", ",,,\n", "External ID,External ID\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, err := parseCSV(in)
		if err == nil && !utf8.Valid(in) {
			t.Fatal("invalid UTF-8 accepted")
		}
		line := 0
		for _, r := range rows {
			if r.Line < line {
				t.Fatalf("row at line %d after line %d", r.Line, line)
			}
			line = r.Line
			if r.Err == "" && strings.TrimSpace(r.Fields["externalId"]) == "" {
				t.Fatalf("row at line %d has no External ID and no problem", r.Line)
			}
			for k := range r.Fields {
				if columnKey(k) != k {
					t.Fatalf("field %q is not a column", k)
				}
			}
		}
		if len(rows) > maxCSVRows {
			t.Fatalf("%d rows", len(rows))
		}
	})
}
