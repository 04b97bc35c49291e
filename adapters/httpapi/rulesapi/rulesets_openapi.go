package rulesapi

import _ "embed"

//go:embed rulesets.openapi.yaml
var rulesetsOpenAPI []byte

// RulesetsOpenAPI returns the OpenAPI 3 document of GET /rulesets and POST
// /rulesets/check (YAML). The tests check real answers against it.
func RulesetsOpenAPI() []byte { return append([]byte(nil), rulesetsOpenAPI...) }
