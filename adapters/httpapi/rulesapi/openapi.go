package rulesapi

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the rule authors' API (YAML):
// GET /rulesets, POST /rulesets/check, the decision log, explain and replay.
// `entitle serve` serves it at /openapi/; the tests check real answers
// against it.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
