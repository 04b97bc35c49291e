package main

import (
	"github.com/entitle-rules/entitle/adapters/httpapi/accountmanager"
	"github.com/entitle-rules/entitle/adapters/httpapi/accountops"
	"github.com/entitle-rules/entitle/adapters/httpapi/assignments"
	"github.com/entitle-rules/entitle/adapters/httpapi/managedbilling"
	"github.com/entitle-rules/entitle/adapters/httpapi/openapidocs"
	"github.com/entitle-rules/entitle/adapters/httpapi/rulesapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/tapstore"
)

// apiDocs lists the OpenAPI documents `entitle serve` serves at /openapi/,
// one per API it serves, named after the API's package. An API that adds a
// document adds it here.
func apiDocs() []openapidocs.Doc {
	return []openapidocs.Doc{
		{Name: "tapstore", YAML: tapstore.OpenAPI()},
		{Name: "accountmanager", YAML: accountmanager.OpenAPI()},
		{Name: "assignments", YAML: assignments.OpenAPI()},
		{Name: "managedbilling", YAML: managedbilling.OpenAPI()},
		{Name: "accountops", YAML: accountops.OpenAPI()},
		{Name: "rulesapi", YAML: rulesapi.OpenAPI()},
	}
}
