package accountops

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3 document of the account operations API (YAML),
// with every choice made where the vendor is silent. The end-to-end tests
// check real answers against it.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
