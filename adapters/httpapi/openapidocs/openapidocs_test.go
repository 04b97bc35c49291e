package openapidocs_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/entitle-rules/entitle/adapters/httpapi"
	"github.com/entitle-rules/entitle/adapters/httpapi/openapidocs"
)

const doc = "openapi: 3.1.0\ninfo: {title: A, version: \"1\"}\npaths: {}\n"

func get(t *testing.T, srv *httptest.Server, path string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestServesIndexYAMLAndJSON: /openapi/ lists the documents; each is served
// as written and as JSON; another name is a JSON 404.
func TestServesIndexYAMLAndJSON(t *testing.T) {
	api := httpapi.New(httpapi.Options{})
	if err := openapidocs.Register(api, []openapidocs.Doc{{Name: "b-api", YAML: []byte(doc)}, {Name: "a-api", YAML: []byte(doc)}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	status, ct, body := get(t, srv, "/openapi/")
	var index openapidocs.Index
	if err := json.Unmarshal([]byte(body), &index); status != 200 || ct != "application/json" || err != nil ||
		len(index.Documents) != 2 || index.Documents[0].Name != "a-api" || index.Documents[0].JSON != "/openapi/a-api.json" ||
		index.Documents[0].Title != "A" || index.Documents[0].OpenAPI != "3.1.0" {
		t.Errorf("index: %d %s %s", status, ct, body)
	}
	if status, ct, body := get(t, srv, "/openapi/a-api.yaml"); status != 200 || ct != "application/yaml" || body != doc {
		t.Errorf("yaml: %d %s %q", status, ct, body)
	}
	var v map[string]any
	if status, ct, body := get(t, srv, "/openapi/a-api.json"); status != 200 || ct != "application/json" ||
		json.Unmarshal([]byte(body), &v) != nil || v["openapi"] != "3.1.0" {
		t.Errorf("json: %d %s %q", status, ct, body)
	}
	if status, ct, body := get(t, srv, "/openapi/c-api.json"); status != 404 || ct != "application/json" || !strings.Contains(body, "not_found") {
		t.Errorf("unknown: %d %s %q", status, ct, body)
	}
}

// TestRefusesBadDocuments: a bad name, a name given twice or a text that is
// not an OpenAPI document is an error, and nothing is served.
func TestRefusesBadDocuments(t *testing.T) {
	for name, docs := range map[string][]openapidocs.Doc{
		"a bad name":     {{Name: "../x", YAML: []byte(doc)}},
		"a name twice":   {{Name: "a", YAML: []byte(doc)}, {Name: "a", YAML: []byte(doc)}},
		"not a document": {{Name: "a", YAML: []byte("hello: [")}},
		"no title":       {{Name: "a", YAML: []byte("openapi: 3.1.0\n")}},
	} {
		if err := openapidocs.Register(httpapi.New(httpapi.Options{}), docs); err == nil {
			t.Errorf("%s: registered", name)
		}
	}
}
