package testkit

import (
	"context"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/tidbok/tidbok/docs"
)

// OpenAPI loads and validates docs/openapi.yaml and routes requests to its
// operations whatever their host.
func OpenAPI() (*openapi3.T, routers.Router, error) {
	spec, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		return nil, nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, nil, fmt.Errorf("openapi.yaml is invalid: %w", err)
	}
	spec.Servers = nil // match any host
	router, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, nil, err
	}
	return spec, router, nil
}
