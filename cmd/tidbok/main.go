// Command tidbok runs Tidbok: every service in one process on an embedded
// database, or any subset of them against PostgreSQL.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // agency time zones must load in minimal containers too
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tidbok:", err)
		if err == errUsage {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
