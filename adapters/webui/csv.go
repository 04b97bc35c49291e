package webui

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxCSVRows bounds one import: the rows beyond it are refused, not read.
const maxCSVRows = 1000

// csvColumns are the columns of the Account Manager's user import, in its
// order: External ID, Email, First Name, Last Name, Phone Number.
var csvColumns = []string{"externalId", "email", "firstName", "lastName", "phoneNumber"}

// csvRow is one user of a CSV list, or why its line is not one.
type csvRow struct {
	Line   int               // 1-based line of the record in the input
	Fields map[string]string // by csvColumns name; externalId is never empty when Err is
	Err    string
}

// columnKey turns a header cell into a csvColumns name: "External ID",
// "external_id", "externalId" and "EXTERNAL-ID" are one column.
func columnKey(cell string) string {
	k := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t', '\ufeff':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(cell)))
	for _, c := range csvColumns {
		if strings.ToLower(c) == k {
			return c
		}
	}
	switch k {
	case "phone", "phonenumber", "mobile":
		return "phoneNumber"
	case "emailaddress", "mail":
		return "email"
	case "id", "userid", "externalid":
		return "externalId"
	}
	return ""
}

// parseCSV reads a user list: a header row naming the columns (in any
// order, extra spellings allowed) or none, then the columns in the
// Account Manager's order. Commas or semicolons separate (whichever the
// first line uses); quotes follow RFC 4180; blank lines are skipped; a
// UTF-8 byte order mark is ignored. Each record is one row, with its own
// problem when it has no External ID or too many cells. The error is for
// input that is not CSV at all (bad quoting, not UTF-8, more than
// maxCSVRows records), with the line at fault.
func parseCSV(in []byte) ([]csvRow, error) {
	in = bytes.TrimPrefix(in, []byte("\ufeff"))
	if !utf8.Valid(in) {
		return nil, errors.New("the list is not UTF-8 text; save it as CSV UTF-8")
	}
	first, _, _ := bytes.Cut(in, []byte("\n"))
	rd := csv.NewReader(bytes.NewReader(in))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		rd.Comma = ';'
	}
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	rd.ReuseRecord = false
	cols := csvColumns
	var rows []csvRow
	for n := 0; ; n++ {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if pe.StartLine != pe.Line {
					return rows, fmt.Errorf("line %d: the row starting there: line %d: %v", pe.StartLine, pe.Line, pe.Err)
				}
				return rows, fmt.Errorf("line %d: %v", pe.Line, pe.Err)
			}
			return rows, err
		}
		line, _ := rd.FieldPos(0)
		if n == 0 && isHeader(rec) {
			cols = make([]string, len(rec))
			seen := map[string]bool{}
			for i, cell := range rec {
				k := columnKey(cell)
				if k == "" {
					return nil, fmt.Errorf("line %d: column %q is not one of External ID, Email, First Name, Last Name, Phone Number", line, strings.TrimSpace(cell))
				}
				if seen[k] {
					return nil, fmt.Errorf("line %d: column %q is given twice", line, strings.TrimSpace(cell))
				}
				seen[k], cols[i] = true, k
			}
			if !seen["externalId"] {
				return nil, fmt.Errorf("line %d: the header has no External ID column", line)
			}
			continue
		}
		if allBlank(rec) {
			continue
		}
		if len(rows) == maxCSVRows {
			return rows, fmt.Errorf("line %d: a list holds at most %d users; split it", line, maxCSVRows)
		}
		row := csvRow{Line: line, Fields: map[string]string{}}
		for i, cell := range rec {
			if i >= len(cols) {
				if strings.TrimSpace(cell) != "" {
					row.Err = fmt.Sprintf("%d cells; a row has at most %d (%s)", len(rec), len(cols), strings.Join(cols, ", "))
				}
				continue
			}
			row.Fields[cols[i]] = strings.TrimSpace(cell)
		}
		if row.Err == "" && row.Fields["externalId"] == "" {
			row.Err = "External ID is empty; it is the one required field"
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// isHeader reports whether a first record names columns: its cells are all
// column names (a user whose External ID is "email" is not a likely list).
func isHeader(rec []string) bool {
	named := 0
	for _, c := range rec {
		if columnKey(c) != "" {
			named++
		}
	}
	return columnKey(rec[0]) != "" && named*2 >= len(rec)
}

func allBlank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
