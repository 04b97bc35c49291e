package openapidocs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/entitle-rules/entitle/adapters/httpapi"
)

// Doc is one API's OpenAPI document: Name is the file name it is served
// under (/openapi/Name.yaml and /openapi/Name.json), YAML its text.
type Doc struct {
	Name string
	YAML []byte
}

// Entry is one document in the index.
type Entry struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Version string `json:"version"`
	OpenAPI string `json:"openapi"`
	YAML    string `json:"yaml"`
	JSON    string `json:"json"`
}

// Index is GET /openapi/'s answer.
type Index struct {
	Documents []Entry `json:"documents"`
}

var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Register serves docs on s at /openapi/. It fails, serving nothing, when a
// name is not lower-case letters, digits and dashes or is given twice, or a
// document is not YAML with openapi and info.title.
func Register(s *httpapi.Server, docs []Doc) error {
	index := Index{Documents: []Entry{}}
	asJSON := map[string][]byte{}
	asYAML := map[string][]byte{}
	for _, d := range docs {
		if !validName.MatchString(d.Name) {
			return fmt.Errorf("openapidocs: name %q is not lower-case letters, digits and dashes", d.Name)
		}
		if _, dup := asYAML[d.Name]; dup {
			return fmt.Errorf("openapidocs: %s is given twice", d.Name)
		}
		var head struct {
			OpenAPI string `yaml:"openapi"`
			Info    struct {
				Title   string `yaml:"title"`
				Version string `yaml:"version"`
			} `yaml:"info"`
		}
		if err := yaml.Unmarshal(d.YAML, &head); err != nil || head.OpenAPI == "" || head.Info.Title == "" {
			return fmt.Errorf("openapidocs: %s is not an OpenAPI document with openapi and info.title (%v)", d.Name, err)
		}
		j, err := yaml.YAMLToJSON(d.YAML)
		if err != nil {
			return fmt.Errorf("openapidocs: %s: %w", d.Name, err)
		}
		asYAML[d.Name], asJSON[d.Name] = d.YAML, j
		index.Documents = append(index.Documents, Entry{Name: d.Name, Title: head.Info.Title, Version: head.Info.Version,
			OpenAPI: head.OpenAPI, YAML: "/openapi/" + d.Name + ".yaml", JSON: "/openapi/" + d.Name + ".json"})
	}
	slices.SortFunc(index.Documents, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}
	s.NameAPI("openapi", "/openapi/")
	s.Handle("GET /openapi/{$}", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		write(w, "application/json", indexJSON)
	}))
	s.Handle("GET /openapi/{file}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file := r.PathValue("file")
		for name, y := range asYAML {
			switch file {
			case name + ".yaml":
				write(w, "application/yaml", y)
				return
			case name + ".json":
				write(w, "application/json", asJSON[name])
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "not_found",
			"message": "there is no document " + file + " here; GET /openapi/ lists them"}})
	}))
	return nil
}

func write(w http.ResponseWriter, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}
