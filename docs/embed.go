// Package docs embeds the API description so the binary can serve it at
// /openapi.yaml and tests can check real responses against it.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
