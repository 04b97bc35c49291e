package accountmanager

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3 document of the Account Manager API (YAML),
// with every choice made where the vendor is silent. TestOpenAPI checks real
// answers against it.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
