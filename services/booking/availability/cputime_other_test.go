//go:build !unix

package availability

import "time"

// processCPU is not measured here; the benchmarks then report zero.
func processCPU() time.Duration { return 0 }
