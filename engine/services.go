package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/labelguard/labelguard/terminology"
)

// servicesDoc is services.json. Prefetch holds the templates every service
// asks for, stated once; a service's own prefetch adds keys to them.
type servicesDoc struct {
	Prefetch map[string]string `json:"prefetch,omitempty"`
	Services []Service         `json:"services"`
}

// placeholderOpen opens a placeholder: a part of a prefetch template that
// the loader fills in from the policy set's data, so that a list the data
// already states (the lab codes) is not typed again. It is not a CDS Hooks
// prefetch token: discovery publishes the template with it filled in.
const placeholderOpen = "{{labelguard."

// placeholders fill in the placeholders by name (what {{ }} encloses).
var placeholders = map[string]func(labs *terminology.LabTable) (string, error){
	// Every code of the lab table, comma-separated, in the file's order:
	// the observations the rules read are asked for by code, not by
	// category (sites file weight under vital-signs, smoking under
	// social-history).
	"labelguard.labCodes": func(labs *terminology.LabTable) (string, error) {
		if labs == nil {
			return "", fmt.Errorf("needs %s, which does not load", labsFile)
		}
		codes := labs.Codes()
		if len(codes) == 0 {
			return "", fmt.Errorf("%s lists no codes", labsFile)
		}
		return strings.Join(codes, ","), nil
	},
}

// LoadServices returns the services of the policy set in fsys as discovery
// publishes them: services.json with the shared prefetch templates given
// to each service and the placeholders filled in from the lab table. It
// compiles no policy, for tools that need only the templates.
func LoadServices(fsys fs.FS) ([]Service, error) {
	labs, err := terminology.LoadLabTable(fsys, labsFile)
	if err != nil {
		return nil, fmt.Errorf("engine.LoadServices: %w", err)
	}
	svcs, err := loadServices(fsys, labs)
	if err != nil {
		return nil, fmt.Errorf("engine.LoadServices: %w", err)
	}
	return svcs, nil
}

// loadServices reads services.json, gives each service the shared prefetch
// templates, fills in their placeholders from labs (nil when the lab table
// does not load) and checks each declaration. A prefetch key declared both
// shared and by a service is refused: which template the service asks with
// would depend on a precedence rule the file does not show.
func loadServices(fsys fs.FS, labs *terminology.LabTable) ([]Service, error) {
	data, err := fs.ReadFile(fsys, servicesFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", servicesFile, err)
	}
	var legacy struct {
		Services []map[string]json.RawMessage `json:"services"`
	}
	if json.Unmarshal(data, &legacy) == nil {
		for _, s := range legacy.Services {
			if _, ok := s["query"]; ok {
				return nil, fmt.Errorf("%s: a service no longer names a query: the rule packages it runs are found from their package METADATA (custom.hooks); remove \"query\"", servicesFile)
			}
		}
	}
	var doc servicesDoc
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", servicesFile, err)
	}
	if len(doc.Services) == 0 {
		return nil, fmt.Errorf("%s: no services declared", servicesFile)
	}
	shared, err := expandPrefetch(doc.Prefetch, "prefetch", labs)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i := range doc.Services {
		s := &doc.Services[i]
		at := fmt.Sprintf("services[%d]", i)
		if s.ID != "" {
			at += fmt.Sprintf(" (%s)", s.ID)
		}
		for _, k := range slices.Sorted(maps.Keys(s.Prefetch)) {
			if _, dup := shared[k]; dup {
				return nil, fmt.Errorf("%s: %s: prefetch.%s is declared in the shared prefetch too: declare a key once, shared by every service or in each service that asks for it", servicesFile, at, k)
			}
		}
		own, err := expandPrefetch(s.Prefetch, at+": prefetch", labs)
		if err != nil {
			return nil, err
		}
		s.Prefetch = make(map[string]string, len(shared)+len(own))
		maps.Copy(s.Prefetch, shared)
		maps.Copy(s.Prefetch, own)
		if len(s.Prefetch) == 0 {
			return nil, fmt.Errorf("%s: %s: no prefetch: declare the templates in the shared \"prefetch\" or in the service", servicesFile, at)
		}
		if err := s.Service.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", servicesFile, at, err)
		}
		if seen[s.ID] {
			return nil, fmt.Errorf("%s: duplicate service id %q", servicesFile, s.ID)
		}
		seen[s.ID] = true
	}
	return doc.Services, nil
}

// expandPrefetch fills in the placeholders of each template of prefetch;
// at names the object in messages ("prefetch", "services[0] (id): prefetch").
func expandPrefetch(prefetch map[string]string, at string, labs *terminology.LabTable) (map[string]string, error) {
	out := make(map[string]string, len(prefetch))
	for _, k := range slices.Sorted(maps.Keys(prefetch)) {
		v, err := expandTemplate(prefetch[k], labs)
		if err != nil {
			return nil, fmt.Errorf("%s: %s.%s: %w", servicesFile, at, k, err)
		}
		out[k] = v
	}
	return out, nil
}

// expandTemplate fills in each {{labelguard.<name>}} of tmpl. The other
// {{ }} tokens are the client's, left for Service.Validate to check.
func expandTemplate(tmpl string, labs *terminology.LabTable) (string, error) {
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, placeholderOpen)
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		n := strings.Index(rest[i:], "}}")
		if n < 0 {
			return "", fmt.Errorf("placeholder %s... is not closed with }}", rest[i:min(len(rest), i+len(placeholderOpen)+20)])
		}
		name := rest[i+2 : i+n]
		fill, ok := placeholders[name]
		if !ok {
			return "", fmt.Errorf("unknown placeholder {{%s}}: the placeholders are %s", name, knownPlaceholders())
		}
		v, err := fill(labs)
		if err != nil {
			return "", fmt.Errorf("placeholder {{%s}}: %w", name, err)
		}
		b.WriteString(rest[:i])
		b.WriteString(v)
		rest = rest[i+n+2:]
	}
}

func knownPlaceholders() string {
	names := slices.Sorted(maps.Keys(placeholders))
	for i, n := range names {
		names[i] = "{{" + n + "}}"
	}
	return strings.Join(names, ", ")
}
