// Package openapidocs serves the OpenAPI documents of the APIs on one
// httpapi.Server at /openapi/: an index listing them, and each document as
// YAML (as written) and as JSON. The program (adapters/cmd/entitle) hands
// it the documents; it knows no API itself.
package openapidocs
