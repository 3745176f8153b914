//go:build unix

package availability

import (
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, GC workers included; the
// benchmarks report it per operation because wall time on a shared machine
// also counts other tenants' work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
