package tapstore

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the TAP store API (YAML): the
// seven procs of seed 001 at /cloud/tapstoreapis/v1 (and the stage
// spelling), /oauth/token, each proc's error payload, with every choice made
// where the seed is silent. TestOpenAPI checks real answers against it.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }
