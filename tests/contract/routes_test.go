package contract_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tidbok/tidbok/tokens"
)

// routeSources are where routes are registered on the server's mux: every
// transport, and app (the root) with httpkit (health). A new place that
// registers routes belongs here.
var routeSources = []string{"../../transport", "../../app"}

// pages are routes that serve HTML to people, not the API: the citizen's
// manage-link pages (transport/web). openapi.yaml describes the JSON API an
// integrator calls; these are reached only through a link in an invitation,
// and docs/api.md describes them instead.
var pages = map[string]bool{
	"GET /m/{token}":                    true,
	"GET /m/{token}/reschedule":         true,
	"GET /m/{token}/reschedule/confirm": true,
	"POST /m/{token}/reschedule":        true,
	"POST /m/{token}/cancel":            true,
	"GET /m/assets/site.css":            true,
}

// constants resolves the few non-literal patterns the sources build.
var constants = map[string]string{"tokens.JWKSPath": tokens.JWKSPath}

// registeredRoutes reads every mux.Handle/HandleFunc pattern out of the
// sources, as "METHOD /path" with ServeMux wildcards as OpenAPI ones.
func registeredRoutes(t *testing.T) map[string]string {
	t.Helper()
	routes := map[string]string{} // route → where
	fset := token.NewFileSet()
	for _, root := range routeSources {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
					return true
				}
				where := fset.Position(call.Pos()).String()
				pattern, ok := constString(call.Args[0])
				if !ok {
					t.Errorf("%s: a route pattern this test cannot read; write it as a literal or add it to constants", where)
					return true
				}
				method, path, found := strings.Cut(pattern, " ")
				if !found || method == "" || !strings.HasPrefix(path, "/") {
					t.Errorf("%s: pattern %q has no method: every route names its method", where, pattern)
					return true
				}
				routes[method+" "+openAPIPath(path)] = where
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return routes
}

func constString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			s, ok := constants[x.Name+"."+e.Sel.Name]
			return s, ok
		}
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := constString(e.X)
		b, ok2 := constString(e.Y)
		return a + b, ok1 && ok2
	case *ast.ParenExpr:
		return constString(e.X)
	}
	return "", false
}

var wildcard = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}`)

// openAPIPath turns a ServeMux path into an OpenAPI one: {$} (the exact
// path) goes, {name...} becomes {name}.
func openAPIPath(p string) string {
	p = strings.ReplaceAll(p, "{$}", "")
	return wildcard.ReplaceAllString(p, "{$1}")
}

// TestEveryRouteIsDocumented compares the routes the code registers with
// the operations openapi.yaml describes, both ways.
func TestEveryRouteIsDocumented(t *testing.T) {
	spec, _ := loadSpec(t)
	code := registeredRoutes(t)
	if len(code) < 90 {
		t.Fatalf("found only %d routes in %v: is the scan still reading the route lists?", len(code), routeSources)
	}
	documented := map[string]bool{}
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var undocumented, unregistered []string
	for route := range pages {
		if _, ok := code[route]; !ok {
			t.Errorf("%s is listed as a page but no code registers it", route)
		}
	}
	for route, where := range code {
		if !documented[route] && !pages[route] {
			undocumented = append(undocumented, route+"  ("+where+")")
		}
	}
	for route := range documented {
		if _, ok := code[route]; !ok {
			unregistered = append(unregistered, route)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unregistered)
	if len(undocumented) > 0 {
		t.Errorf("routes missing from docs/openapi.yaml:\n  %s", strings.Join(undocumented, "\n  "))
	}
	if len(unregistered) > 0 {
		t.Errorf("operations in docs/openapi.yaml that no code registers:\n  %s", strings.Join(unregistered, "\n  "))
	}
}
