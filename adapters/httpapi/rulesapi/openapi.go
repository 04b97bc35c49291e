package rulesapi

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3 document of the rule authors' decision log,
// explain and replay endpoints (YAML). The tests check real answers
// against it.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
