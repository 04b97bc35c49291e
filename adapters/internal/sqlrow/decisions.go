package sqlrow

import (
	"strconv"

	"github.com/entitle-rules/entitle/domain"
)

// DecisionPageToken is the page token of the decision log after the record
// appended as seq: the stores page by their append order.
func DecisionPageToken(seq int64) string { return strconv.FormatInt(seq, 36) }

// ParseDecisionPageToken reads a DecisionPageToken; "" is the first page
// (0). Anything else that is not one is CodeInvalid.
func ParseDecisionPageToken(tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(tok, 36, 64)
	if err != nil || n < 0 {
		return 0, domain.Errorf(domain.CodeInvalid, "pageToken", "%q is not a page token of the decision log", tok)
	}
	return n, nil
}
