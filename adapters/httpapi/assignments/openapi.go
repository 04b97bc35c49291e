package assignments

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3 document of License Assignments v2 (YAML),
// with every choice made where the seed is silent. TestOpenAPI checks real
// answers against it.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
