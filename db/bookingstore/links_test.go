package bookingstore_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
)

func TestManageLinkSecret(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		// Replicas starting at once: each offers its own secret, all must
		// end up with the same one.
		const replicas = 8
		got := make([][]byte, replicas)
		errs := make([]error, replicas)
		var wg sync.WaitGroup
		for i := range replicas {
			wg.Go(func() { got[i], errs[i] = bookingstore.New(d).ManageLinkSecret(ctx) })
		}
		wg.Wait()
		for i := range replicas {
			if errs[i] != nil {
				t.Fatalf("replica %d: %v", i, errs[i])
			}
			if len(got[i]) != booking.ManageLinkSecretSize {
				t.Fatalf("replica %d: secret of %d bytes", i, len(got[i]))
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("replica %d got another secret than replica 0", i)
			}
		}
		// A restart reads the same secret again.
		again, err := bookingstore.New(d).ManageLinkSecret(ctx)
		if err != nil || !bytes.Equal(again, got[0]) {
			t.Fatalf("after restart: %x, %v; want the first secret", again, err)
		}
		if bytes.Equal(got[0], make([]byte, booking.ManageLinkSecretSize)) {
			t.Fatal("the secret is all zero")
		}
	})
}
