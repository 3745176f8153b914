package authstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/authstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/auth"
)

// t0 is a whole second, so times compare equal after PostgreSQL's
// microseconds and SQLite's text.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var (
	agencyA = core.StableID("test/agency-a")
	agencyB = core.StableID("test/agency-b")
)

// racers is how many goroutines the race tests let loose at once.
const racers = 20

// race runs f from racers goroutines released together and returns their errors.
func race(f func(i int) error) []error {
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// successes counts the nil errors, and reports every error that is neither
// nil nor one of allowed.
func successes(t *testing.T, errs []error, allowed ...error) int {
	t.Helper()
	n := 0
	for i, err := range errs {
		if err == nil {
			n++
			continue
		}
		if !slices.ContainsFunc(allowed, func(a error) bool { return errors.Is(err, a) }) {
			t.Errorf("racer %d: unexpected error %v", i, err)
		}
	}
	return n
}

// TestStore is the store's suite, run on a fresh SQLite and a fresh
// PostgreSQL database. The parts share the database but no rows.
func TestStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		t.Run("citizens", func(t *testing.T) { testCitizens(t, d) })
		t.Run("staff", func(t *testing.T) { testStaff(t, d) })
		t.Run("clients", func(t *testing.T) { testClients(t, d) })
		t.Run("service clients", func(t *testing.T) { testServiceClients(t, d) })
		t.Run("challenges", func(t *testing.T) { testChallenges(t, d) })
		t.Run("refresh tokens", func(t *testing.T) { testRefreshTokens(t, d) })
		t.Run("throttle", func(t *testing.T) { testThrottle(t, d) })
		t.Run("signing keys", func(t *testing.T) { testSigningKeys(t, d) })
		t.Run("audit", func(t *testing.T) { testAudit(t, d) })
	})
}

func citizen(email, phone string) auth.Citizen {
	return auth.Citizen{ID: core.NewID(), Email: email, Phone: phone, Name: "Karin", Language: "sv",
		NotifyEmail: email != "", NotifySMS: phone != "", CreatedAt: t0, UpdatedAt: t0}
}

func testCitizens(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)
	karin := citizen("karin@example.se", "+46701234567")
	sealed := []byte{1, 2, 3, 4}
	if err := s.CreateCitizen(ctx, karin, sealed, "lookup-karin"); err != nil {
		t.Fatalf("CreateCitizen: %v", err)
	}

	t.Run("found by id, e-mail, phone and pin look-up, with the sealed number", func(t *testing.T) {
		for name, get := range map[string]func() (auth.Citizen, []byte, error){
			"id":     func() (auth.Citizen, []byte, error) { return s.Citizen(ctx, karin.ID) },
			"email":  func() (auth.Citizen, []byte, error) { return s.CitizenByEmail(ctx, karin.Email) },
			"phone":  func() (auth.Citizen, []byte, error) { return s.CitizenByPhone(ctx, karin.Phone) },
			"lookup": func() (auth.Citizen, []byte, error) { return s.CitizenByPINLookup(ctx, "lookup-karin") },
		} {
			got, gotSealed, err := get()
			if err != nil {
				t.Fatalf("by %s: %v", name, err)
			}
			if got.ID != karin.ID || got.Email != karin.Email || got.Phone != karin.Phone || got.Name != "Karin" ||
				!got.NotifyEmail || !got.NotifySMS || !got.CreatedAt.Equal(t0) || got.CreatedAt.Location() != time.UTC {
				t.Errorf("by %s: got %+v", name, got)
			}
			if !slices.Equal(gotSealed, sealed) {
				t.Errorf("by %s: sealed = %v, want %v", name, gotSealed, sealed)
			}
		}
	})

	t.Run("an unknown citizen is not found", func(t *testing.T) {
		if _, _, err := s.CitizenByEmail(ctx, "nobody@example.se"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if _, _, err := s.Citizen(ctx, core.NewID()); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	for _, tc := range []struct {
		name   string
		c      auth.Citizen
		lookup string
	}{
		{"a second citizen with the same e-mail conflicts", citizen("karin@example.se", ""), ""},
		{"a second citizen with the same phone conflicts", citizen("", "+46701234567"), ""},
		{"a second citizen with the same personal identity number conflicts", citizen("other@example.se", ""), "lookup-karin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.CreateCitizen(ctx, tc.c, nil, tc.lookup); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
		})
	}

	t.Run("citizens without e-mail, phone or number share no empty value", func(t *testing.T) {
		// Empty strings are stored as NULL, which a unique index lets repeat.
		for i := range 2 {
			c := citizen(fmt.Sprintf("only-mail-%d@example.se", i), "")
			if err := s.CreateCitizen(ctx, c, nil, ""); err != nil {
				t.Fatalf("citizen %d: %v", i, err)
			}
		}
	})

	t.Run("update changes the profile and refuses another's phone", func(t *testing.T) {
		other := citizen("", "+46709999999")
		if err := s.CreateCitizen(ctx, other, nil, ""); err != nil {
			t.Fatal(err)
		}
		other.Name, other.Language, other.UpdatedAt = "Olle", "en", t0.Add(time.Hour)
		if err := s.UpdateCitizen(ctx, other, []byte{9}, "lookup-olle"); err != nil {
			t.Fatalf("UpdateCitizen: %v", err)
		}
		got, sealed, err := s.CitizenByPINLookup(ctx, "lookup-olle")
		if err != nil || got.Name != "Olle" || got.Language != "en" || !got.UpdatedAt.Equal(t0.Add(time.Hour)) || !slices.Equal(sealed, []byte{9}) {
			t.Fatalf("after update: %+v %v %v", got, sealed, err)
		}
		other.Phone = karin.Phone
		if err := s.UpdateCitizen(ctx, other, nil, ""); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("taking another's phone: err = %v, want ErrConflict", err)
		}
		if err := s.UpdateCitizen(ctx, citizen("ghost@example.se", ""), nil, ""); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("updating an unknown citizen: err = %v, want ErrNotFound", err)
		}
	})

	t.Run("identities link to their owner", func(t *testing.T) {
		if err := s.LinkIdentity(ctx, "https://idp.example", "sub-1", "citizen", karin.ID, t0); err != nil {
			t.Fatal(err)
		}
		kind, id, err := s.IdentityOwner(ctx, "https://idp.example", "sub-1")
		if err != nil || kind != "citizen" || id != karin.ID {
			t.Fatalf("IdentityOwner = %q, %q, %v", kind, id, err)
		}
		if err := s.LinkIdentity(ctx, "https://idp.example", "sub-1", "citizen", karin.ID, t0); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("linking twice: err = %v, want ErrConflict", err)
		}
		if _, _, err := s.IdentityOwner(ctx, "https://idp.example", "sub-2"); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown identity: err = %v, want ErrNotFound", err)
		}
	})
}

func staff(email string, role core.Role, agency string) auth.Staff {
	return auth.Staff{ID: core.NewID(), Email: email, Name: "Hanna " + string(role), Role: role, AgencyID: agency,
		PasswordHash: "$argon2id$not-a-real-hash", CreatedAt: t0, UpdatedAt: t0}
}

func testStaff(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)
	hanna := staff("hanna@exempelby.se", core.RoleCaseworker, agencyA)
	if err := s.CreateStaff(ctx, hanna, nil); err != nil {
		t.Fatalf("CreateStaff: %v", err)
	}

	t.Run("found by e-mail as created", func(t *testing.T) {
		got, sealed, err := s.StaffByEmail(ctx, "hanna@exempelby.se")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != hanna.ID || got.Role != core.RoleCaseworker || got.AgencyID != agencyA || got.PasswordHash != hanna.PasswordHash ||
			got.TOTPEnabled || got.Disabled || got.LastLoginAt != nil || !got.CreatedAt.Equal(t0) || sealed != nil {
			t.Fatalf("got %+v, sealed %v", got, sealed)
		}
	})

	t.Run("update keeps every field", func(t *testing.T) {
		u := hanna
		login := t0.Add(time.Minute)
		u.Name, u.Role, u.Disabled, u.TOTPEnabled, u.LastLoginAt = "Hanna H", core.RoleAgencyAdmin, true, true, &login
		u.PasswordHash, u.UpdatedAt = "$argon2id$new", t0.Add(time.Minute)
		if err := s.UpdateStaff(ctx, u, []byte("sealed-totp")); err != nil {
			t.Fatalf("UpdateStaff: %v", err)
		}
		got, sealed, err := s.Staff(ctx, hanna.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Hanna H" || got.Role != core.RoleAgencyAdmin || !got.Disabled || !got.TOTPEnabled ||
			got.LastLoginAt == nil || !got.LastLoginAt.Equal(login) || got.PasswordHash != "$argon2id$new" ||
			string(sealed) != "sealed-totp" {
			t.Fatalf("got %+v, sealed %q", got, sealed)
		}
	})

	t.Run("an authenticator step is used once, whoever races for it", func(t *testing.T) {
		const step = 59_000_000
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.UseTOTPStep(ctx, hanna.ID, step)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d uses of one step succeeded, want 1", wins.Load())
		}
		if ok, err := s.UseTOTPStep(ctx, hanna.ID, step-1); err != nil || ok {
			t.Fatalf("an earlier step after a later one: ok=%v err=%v, want refused", ok, err)
		}
		if ok, err := s.UseTOTPStep(ctx, hanna.ID, step+1); err != nil || !ok {
			t.Fatalf("the next step: ok=%v err=%v, want accepted", ok, err)
		}
	})

	t.Run("update of an unknown account is not found", func(t *testing.T) {
		if err := s.UpdateStaff(ctx, staff("ghost@exempelby.se", core.RoleCaseworker, agencyA), nil); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("a second account with the same e-mail conflicts", func(t *testing.T) {
		if err := s.CreateStaff(ctx, staff("hanna@exempelby.se", core.RoleCaseworker, agencyB), nil); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("err = %v, want ErrConflict", err)
		}
	})

	t.Run("the database refuses a system admin bound to an agency", func(t *testing.T) {
		if err := s.CreateStaff(ctx, staff("root@tidbok.se", core.RoleSystemAdmin, agencyA), nil); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
		if err := s.CreateStaff(ctx, staff("loose@tidbok.se", core.RoleCaseworker, ""), nil); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("caseworker without agency: err = %v, want ErrInvalid", err)
		}
	})

	t.Run("list holds one agency's staff only", func(t *testing.T) {
		if err := s.CreateStaff(ctx, staff("bengt@vardcentral.se", core.RoleCaseworker, agencyB), nil); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListStaff(ctx, agencyA)
		if err != nil || len(list) != 1 || list[0].ID != hanna.ID {
			t.Fatalf("ListStaff = %+v, %v", list, err)
		}
	})
}

func testClients(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)
	c := auth.Client{ID: "tbk_0123456789abcdef01234567", AgencyID: agencyA, Name: "Ärendesystem", SecretHash: "hash",
		Scopes: []string{core.ScopeCasesRead, core.ScopeCasesWrite}, CreatedBy: core.NewID(), CreatedAt: t0}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}

	t.Run("found with its scopes and secret hash", func(t *testing.T) {
		got, err := s.Client(ctx, c.ID)
		if err != nil || got.SecretHash != "hash" || !slices.Equal(got.Scopes, c.Scopes) || got.RevokedAt != nil || got.Name != c.Name {
			t.Fatalf("Client = %+v, %v", got, err)
		}
	})

	t.Run("a list never holds secret hashes", func(t *testing.T) {
		list, err := s.ListClients(ctx, agencyA)
		if err != nil || len(list) != 1 || list[0].SecretHash != "" {
			t.Fatalf("ListClients = %+v, %v", list, err)
		}
		if other, err := s.ListClients(ctx, agencyB); err != nil || len(other) != 0 {
			t.Fatalf("another agency's clients = %+v, %v", other, err)
		}
	})

	t.Run("revoke marks the client, and revoking again changes nothing", func(t *testing.T) {
		at := t0.Add(time.Hour)
		if err := s.RevokeClient(ctx, c.ID, at); err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeClient(ctx, c.ID, at.Add(time.Hour)); err != nil {
			t.Fatalf("revoking twice: %v", err)
		}
		got, err := s.Client(ctx, c.ID)
		if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
			t.Fatalf("after revoke: %+v, %v", got, err)
		}
	})

	t.Run("a second client with the same id conflicts", func(t *testing.T) {
		if err := s.CreateClient(ctx, c); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("err = %v, want ErrConflict", err)
		}
	})
}

func challenge(destination string, created time.Time) auth.Challenge {
	return auth.Challenge{ID: core.NewID(), Channel: "email", Destination: destination, Language: "sv",
		CodeHash: "code-hash", ExpiresAt: created.Add(10 * time.Minute), CreatedAt: created}
}

func testChallenges(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)

	t.Run("each attempt counts and comes back counted", func(t *testing.T) {
		c := challenge("karin@example.se", t0)
		if err := s.CreateChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		for want := 1; want <= 3; want++ {
			got, err := s.AttemptChallenge(ctx, c.ID)
			if err != nil || got.Attempts != want || got.CodeHash != "code-hash" || !got.ExpiresAt.Equal(c.ExpiresAt) {
				t.Fatalf("attempt %d: %+v, %v", want, got, err)
			}
		}
	})

	t.Run("an unknown challenge is not found", func(t *testing.T) {
		if _, err := s.AttemptChallenge(ctx, core.NewID()); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("consuming twice conflicts", func(t *testing.T) {
		c := challenge("olle@example.se", t0)
		if err := s.CreateChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		if err := s.ConsumeChallenge(ctx, c.ID, t0.Add(time.Minute)); err != nil {
			t.Fatalf("first consume: %v", err)
		}
		if err := s.ConsumeChallenge(ctx, c.ID, t0.Add(2*time.Minute)); !errors.Is(err, core.ErrConflict) {
			t.Fatalf("second consume: err = %v, want ErrConflict", err)
		}
		got, err := s.AttemptChallenge(ctx, c.ID)
		if err != nil || got.ConsumedAt == nil || !got.ConsumedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("after consume: %+v, %v", got, err)
		}
	})

	t.Run("of 20 racing consumers exactly one wins", func(t *testing.T) {
		c := challenge("race@example.se", t0)
		if err := s.CreateChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		errs := race(func(int) error { return s.ConsumeChallenge(ctx, c.ID, t0.Add(time.Minute)) })
		if n := successes(t, errs, core.ErrConflict); n != 1 {
			t.Fatalf("%d consumers won, want 1", n)
		}
	})

	t.Run("20 racing attempts all count", func(t *testing.T) {
		c := challenge("attempts@example.se", t0)
		if err := s.CreateChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		counts := make([]int, racers)
		errs := race(func(i int) error {
			got, err := s.AttemptChallenge(ctx, c.ID)
			counts[i] = got.Attempts
			return err
		})
		if n := successes(t, errs); n != racers {
			t.Fatalf("%d attempts succeeded, want %d", n, racers)
		}
		slices.Sort(counts)
		for i, n := range counts {
			if n != i+1 {
				t.Fatalf("attempt counts = %v, want 1..%d each once", counts, racers)
			}
		}
	})

	t.Run("codes sent to an address are counted since a time", func(t *testing.T) {
		for _, at := range []time.Time{t0.Add(-time.Hour), t0.Add(-5 * time.Minute), t0} {
			if err := s.CreateChallenge(ctx, challenge("count@example.se", at)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.CountChallengesSince(ctx, "count@example.se", t0.Add(-15*time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("CountChallengesSince = %d, %v; want 2", n, err)
		}
	})
}

func refresh(hash string) auth.RefreshToken {
	return auth.RefreshToken{ID: core.NewID(), FamilyID: core.NewID(), TokenHash: hash, SubjectKind: core.KindStaff,
		SubjectID: core.NewID(), ExpiresAt: t0.Add(12 * time.Hour), CreatedAt: t0}
}

func next(hash string) auth.RefreshToken {
	return auth.RefreshToken{ID: core.NewID(), TokenHash: hash, CreatedAt: t0.Add(time.Minute)}
}

// familyState reads every token of a family straight from the database, on
// a connection of its own: what it sees has been committed.
func familyState(t *testing.T, d *db.DB, family string) (tokens, revoked int) {
	t.Helper()
	err := d.QueryRowContext(context.Background(), d.Rebind(
		`SELECT count(*), count(revoked_at) FROM auth_refresh_tokens WHERE family_id = ?`), family).Scan(&tokens, &revoked)
	if err != nil {
		t.Fatalf("read family: %v", err)
	}
	return tokens, revoked
}

func testRefreshTokens(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)

	t.Run("rotation stores the next token in the same family with the same expiry", func(t *testing.T) {
		first := refresh("h1")
		if err := s.CreateRefreshToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		old, err := s.RotateRefreshToken(ctx, "h1", next("h2"), t0.Add(time.Minute))
		if err != nil || old.ID != first.ID || old.SubjectID != first.SubjectID || old.SubjectKind != core.KindStaff {
			t.Fatalf("RotateRefreshToken = %+v, %v", old, err)
		}
		newer, err := s.RotateRefreshToken(ctx, "h2", next("h3"), t0.Add(2*time.Minute))
		if err != nil {
			t.Fatalf("rotating the new token: %v", err)
		}
		if newer.FamilyID != first.FamilyID || newer.SubjectID != first.SubjectID || !newer.ExpiresAt.Equal(first.ExpiresAt) {
			t.Fatalf("rotated token = %+v, want family %s, subject %s, expiry %v", newer, first.FamilyID, first.SubjectID, first.ExpiresAt)
		}
	})

	t.Run("reuse of a rotated token revokes the whole family, committed", func(t *testing.T) {
		first := refresh("r1")
		if err := s.CreateRefreshToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, "r1", next("r2"), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		old, err := s.RotateRefreshToken(ctx, "r1", next("r3"), t0.Add(2*time.Minute))
		if !errors.Is(err, auth.ErrRefreshReuse) {
			t.Fatalf("reuse: err = %v, want ErrRefreshReuse", err)
		}
		if old.FamilyID != first.FamilyID || old.SubjectID != first.SubjectID {
			t.Fatalf("reuse returned %+v, want the reused token", old)
		}
		if n, revoked := familyState(t, d, first.FamilyID); n != 2 || revoked != 2 {
			t.Fatalf("family has %d tokens, %d revoked; want 2 and 2 (no token stored for the reuse)", n, revoked)
		}
		if _, err := s.RotateRefreshToken(ctx, "r2", next("r4"), t0.Add(3*time.Minute)); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("the newest token after reuse: err = %v, want ErrNotFound", err)
		}
		if n, revoked := familyState(t, d, first.FamilyID); n != 2 || revoked != 2 {
			t.Fatalf("family has %d tokens, %d revoked after the call; want 2 and 2", n, revoked)
		}
	})

	t.Run("an expired token does not rotate", func(t *testing.T) {
		first := refresh("e1")
		if err := s.CreateRefreshToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RotateRefreshToken(ctx, "e1", next("e2"), first.ExpiresAt); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("an unknown token is not found", func(t *testing.T) {
		if _, err := s.RotateRefreshToken(ctx, "nope", next("n2"), t0); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})

	t.Run("of 20 racing rotations of one token exactly one succeeds", func(t *testing.T) {
		first := refresh("race")
		if err := s.CreateRefreshToken(ctx, first); err != nil {
			t.Fatal(err)
		}
		errs := race(func(i int) error {
			_, err := s.RotateRefreshToken(ctx, "race", next(fmt.Sprintf("race-%d", i)), t0.Add(time.Minute))
			return err
		})
		if n := successes(t, errs, auth.ErrRefreshReuse, core.ErrNotFound); n != 1 {
			t.Fatalf("%d rotations succeeded, want 1", n)
		}
		// The losers presented a token already rotated: that is reuse.
		if n, revoked := familyState(t, d, first.FamilyID); n != 2 || revoked != 2 {
			t.Fatalf("family has %d tokens, %d revoked; want 2 and 2", n, revoked)
		}
	})

	t.Run("revoking a family and a subject's tokens", func(t *testing.T) {
		a, b := refresh("f1"), refresh("f2")
		b.SubjectID = a.SubjectID
		for _, rt := range []auth.RefreshToken{a, b} {
			if err := s.CreateRefreshToken(ctx, rt); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.RevokeRefreshFamily(ctx, "f1", t0)
		if err != nil || got.FamilyID != a.FamilyID {
			t.Fatalf("RevokeRefreshFamily = %+v, %v", got, err)
		}
		if _, revoked := familyState(t, d, a.FamilyID); revoked != 1 {
			t.Fatalf("family a: %d revoked, want 1", revoked)
		}
		if _, revoked := familyState(t, d, b.FamilyID); revoked != 0 {
			t.Fatalf("family b revoked with a")
		}
		if err := s.RevokeSubjectRefreshTokens(ctx, string(core.KindStaff), a.SubjectID, t0); err != nil {
			t.Fatal(err)
		}
		if _, revoked := familyState(t, d, b.FamilyID); revoked != 1 {
			t.Fatalf("family b: %d revoked after revoking the subject, want 1", revoked)
		}
		if _, err := s.RevokeRefreshFamily(ctx, "unknown", t0); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("unknown token: err = %v, want ErrNotFound", err)
		}
	})
}

func testThrottle(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)
	lockAfter3 := func(failures int) time.Duration {
		if failures < 3 {
			return 0
		}
		return time.Duration(failures) * time.Minute
	}

	t.Run("failures count up and lock from the count", func(t *testing.T) {
		for want := 1; want <= 3; want++ {
			got, err := s.RecordFailure(ctx, "login:a", t0, lockAfter3)
			if err != nil || got.Failures != want {
				t.Fatalf("failure %d: %+v, %v", want, got, err)
			}
			if (got.LockedUntil != nil) != (want == 3) {
				t.Fatalf("failure %d: LockedUntil = %v", want, got.LockedUntil)
			}
		}
		states, err := s.Throttles(ctx, "login:a", "", "login:unknown")
		if err != nil || len(states) != 1 || states[0].Failures != 3 || states[0].LockedUntil == nil ||
			!states[0].LockedUntil.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("Throttles = %+v, %v", states, err)
		}
	})

	t.Run("clearing forgets the key", func(t *testing.T) {
		if err := s.ClearThrottle(ctx, "login:a"); err != nil {
			t.Fatal(err)
		}
		if states, err := s.Throttles(ctx, "login:a"); err != nil || len(states) != 0 {
			t.Fatalf("Throttles = %+v, %v", states, err)
		}
		if states, err := s.Throttles(ctx); err != nil || len(states) != 0 {
			t.Fatalf("Throttles() = %+v, %v", states, err)
		}
	})

	t.Run("a failure after a quiet day counts from one again", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if _, err := s.RecordFailure(ctx, "login:quiet", t0, lockAfter3); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.RecordFailure(ctx, "login:quiet", t0.Add(auth.ThrottleWindow+time.Minute), lockAfter3)
		if err != nil || got.Failures != 1 || got.LockedUntil != nil {
			t.Fatalf("after a quiet day: %+v, %v; want a first failure without a lock", got, err)
		}
		got, err = s.RecordFailure(ctx, "login:quiet", t0.Add(auth.ThrottleWindow+2*time.Minute), lockAfter3)
		if err != nil || got.Failures != 2 {
			t.Fatalf("the next failure: %+v, %v; want 2", got, err)
		}
	})

	t.Run("20 racing failures all count", func(t *testing.T) {
		counts := make([]int, racers)
		errs := race(func(i int) error {
			got, err := s.RecordFailure(ctx, "address:race", t0, lockAfter3)
			counts[i] = got.Failures
			return err
		})
		if n := successes(t, errs); n != racers {
			t.Fatalf("%d failures recorded, want %d", n, racers)
		}
		states, err := s.Throttles(ctx, "address:race")
		if err != nil || len(states) != 1 || states[0].Failures != racers {
			t.Fatalf("Throttles = %+v, %v; want %d failures", states, err, racers)
		}
		slices.Sort(counts)
		for i, n := range counts {
			if n != i+1 {
				t.Fatalf("returned counts = %v, want 1..%d each once", counts, racers)
			}
		}
	})
}

func testSigningKeys(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)
	if keys, err := s.SigningKeys(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("SigningKeys on a new database = %+v, %v", keys, err)
	}
	k1 := auth.StoredKey{KID: "k1", SealedPrivate: []byte("sealed-1"), Public: []byte("public-1"), CreatedAt: t0}
	k2 := auth.StoredKey{KID: "k2", SealedPrivate: []byte("sealed-2"), Public: []byte("public-2"), CreatedAt: t0.Add(time.Hour)}
	for _, k := range []auth.StoredKey{k1, k2} {
		if err := s.AddSigningKey(ctx, k); err != nil {
			t.Fatalf("AddSigningKey(%s): %v", k.KID, err)
		}
	}
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("SigningKeys = %+v, %v", keys, err)
	}
	if keys[0].KID != "k1" || keys[0].RetiredAt == nil || !keys[0].RetiredAt.Equal(k2.CreatedAt) {
		t.Errorf("the first key = %+v, want k1 retired when k2 came", keys[0])
	}
	if keys[1].KID != "k2" || keys[1].RetiredAt != nil || string(keys[1].SealedPrivate) != "sealed-2" || string(keys[1].Public) != "public-2" {
		t.Errorf("the second key = %+v, want k2 active", keys[1])
	}
	if err := s.AddSigningKey(ctx, k2); !errors.Is(err, core.ErrConflict) {
		t.Errorf("adding a key id twice: err = %v, want ErrConflict", err)
	}
	if keys, _ := s.SigningKeys(ctx); keys[1].RetiredAt != nil {
		t.Errorf("a failed AddSigningKey retired k2: the retirement was not rolled back")
	}
}

func testAudit(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)
	actor := core.NewID()
	var all []auth.AuditEntry
	// Seven entries, two pairs at the same instant, so pages must break
	// ties by id.
	for i, at := range []time.Time{t0, t0, t0.Add(time.Second), t0.Add(2 * time.Second), t0.Add(2 * time.Second), t0.Add(3 * time.Second), t0.Add(4 * time.Second)} {
		e := auth.AuditEntry{ID: core.NewID(), At: at, ActorKind: "staff", ActorID: actor, AgencyID: agencyA,
			Action: "auth.login", TargetKind: "staff", TargetID: fmt.Sprint(i), Outcome: "success",
			ClientIP: "192.0.2.1", RequestID: "req", Detail: fmt.Sprintf("entry %d", i)}
		if i%2 == 1 {
			e.Action, e.ActorID, e.AgencyID, e.Outcome = "auth.login_failed", "", "", "failure"
		}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
		all = append(all, e)
	}
	ids := func(es []auth.AuditEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.TargetID)
		}
		return out
	}

	t.Run("entries come back whole, oldest first", func(t *testing.T) {
		got, err := s.ListAudit(ctx, auth.AuditQuery{}, auth.AuditCursor{}, 100)
		if err != nil || len(got) != len(all) {
			t.Fatalf("ListAudit = %d entries, %v", len(got), err)
		}
		want := all[0]
		if g := got[0]; g.ID != want.ID || !g.At.Equal(want.At) || g.ActorKind != "staff" || g.ActorID != actor ||
			g.AgencyID != agencyA || g.Action != want.Action || g.TargetKind != "staff" || g.Outcome != "success" ||
			g.ClientIP != "192.0.2.1" || g.RequestID != "req" || g.Detail != "entry 0" {
			t.Fatalf("first entry = %+v, want %+v", g, want)
		}
		if fmt.Sprint(ids(got)) != "[0 1 2 3 4 5 6]" {
			t.Fatalf("order = %v", ids(got))
		}
	})

	for _, tc := range []struct {
		name string
		q    auth.AuditQuery
		want string
	}{
		{"filtered by action", auth.AuditQuery{Action: "auth.login_failed"}, "[1 3 5]"},
		{"filtered by actor", auth.AuditQuery{ActorID: actor}, "[0 2 4 6]"},
		{"filtered by target", auth.AuditQuery{TargetKind: "staff", TargetID: "4"}, "[4]"},
		{"filtered by time, from inclusive and to exclusive", auth.AuditQuery{From: t0.Add(time.Second), To: t0.Add(3 * time.Second)}, "[2 3 4]"},
		{"filtered by an unknown action", auth.AuditQuery{Action: "nothing"}, "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAudit(ctx, tc.q, auth.AuditCursor{}, 100)
			if err != nil || fmt.Sprint(ids(got)) != tc.want {
				t.Fatalf("ListAudit = %v, %v; want %s", ids(got), err, tc.want)
			}
		})
	}

	t.Run("pages by cursor without gaps or repeats", func(t *testing.T) {
		var seen []auth.AuditEntry
		after := auth.AuditCursor{}
		for range 10 {
			page, err := s.ListAudit(ctx, auth.AuditQuery{}, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			seen = append(seen, page...)
			last := page[len(page)-1]
			after = auth.AuditCursor{At: last.At, ID: last.ID}
		}
		if fmt.Sprint(ids(seen)) != "[0 1 2 3 4 5 6]" {
			t.Fatalf("pages gave %v", ids(seen))
		}
	})

	t.Run("pages by cursor within a filter", func(t *testing.T) {
		page, err := s.ListAudit(ctx, auth.AuditQuery{Action: "auth.login_failed"}, auth.AuditCursor{At: all[1].At, ID: all[1].ID}, 100)
		if err != nil || fmt.Sprint(ids(page)) != "[3 5]" {
			t.Fatalf("ListAudit = %v, %v", ids(page), err)
		}
	})

	// The append-only rule must hold against anyone with SQL access, not
	// just against this store's methods.
	for _, stmt := range []string{
		`UPDATE auth_audit SET detail = 'rewritten'`,
		`UPDATE auth_audit SET outcome = 'success' WHERE outcome = 'failure'`,
		`DELETE FROM auth_audit`,
		`DELETE FROM auth_audit WHERE action = 'auth.login_failed'`,
	} {
		t.Run("the database refuses "+stmt, func(t *testing.T) {
			if _, err := d.ExecContext(ctx, stmt); err == nil {
				t.Fatalf("%s succeeded", stmt)
			}
			got, err := s.ListAudit(ctx, auth.AuditQuery{}, auth.AuditCursor{}, 100)
			if err != nil || len(got) != len(all) {
				t.Fatalf("after %s: %d entries, %v", stmt, len(got), err)
			}
			for i, e := range got {
				if e.Detail != all[i].Detail || e.Outcome != all[i].Outcome {
					t.Fatalf("after %s: entry %d = %+v, want %+v", stmt, i, e, all[i])
				}
			}
		})
	}
}

func testServiceClients(t *testing.T, d *db.DB) {
	ctx := context.Background()
	s := authstore.New(d)
	c := auth.Client{ID: "tbsvc_0123456789abcdef0123", Name: "notify", SecretHash: "hash",
		Scopes: []string{core.ScopeEventsRead, core.ScopePeopleRead}, CreatedAt: t0}
	if err := s.CreateServiceClient(ctx, c); err != nil {
		t.Fatalf("CreateServiceClient: %v", err)
	}
	got, err := s.ServiceClient(ctx, c.ID)
	if err != nil || got.SecretHash != "hash" || !slices.Equal(got.Scopes, c.Scopes) || got.AgencyID != "" || got.RevokedAt != nil {
		t.Fatalf("ServiceClient = %+v, %v", got, err)
	}
	if _, err := s.Client(ctx, c.ID); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("a service client found among the agencies' clients: %v", err)
	}
	if err := s.CreateServiceClient(ctx, c); !errors.Is(err, core.ErrConflict) {
		t.Fatalf("the same id twice: %v, want ErrConflict", err)
	}
	at := t0.Add(time.Hour)
	if err := s.RevokeServiceClient(ctx, c.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeServiceClient(ctx, c.ID, at.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if got, err := s.ServiceClient(ctx, c.ID); err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
		t.Fatalf("after revoke: %+v, %v", got, err)
	}
	if err := s.RevokeServiceClient(ctx, "tbsvc_unknown", at); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("revoking an unknown client: %v, want ErrNotFound", err)
	}
}
