package bookingstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/db"
	"github.com/tidbok/tidbok/db/bookingstore"
	"github.com/tidbok/tidbok/db/dbtest"
	"github.com/tidbok/tidbok/services/booking"
)

var t0 = time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)

func agency(name, org string) booking.Agency {
	return booking.Agency{
		ID: core.NewID(), Name: name, OrgNumber: org, Kind: booking.Municipality,
		TimeZone: "Europe/Stockholm", DefaultLanguage: booking.Swedish, CreatedAt: t0, UpdatedAt: t0,
	}
}

func TestDirectoryStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := bookingstore.New(d)

		var saved []booking.Agency
		for i, name := range []string{"Cederby kommun", "Alby kommun", "Bergby region", "Dalby kommun", "Eby kommun"} {
			a := agency(name, fmt.Sprintf("212000-%04d", i))
			if err := s.SaveAgency(ctx, a); err != nil {
				t.Fatalf("SaveAgency(%s): %v", name, err)
			}
			saved = append(saved, a)
		}

		t.Run("agencies come back as saved, times in UTC", func(t *testing.T) {
			got, err := s.Agency(ctx, saved[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.CreatedAt.Equal(t0) || got.CreatedAt.Location() != time.UTC {
				t.Fatalf("CreatedAt = %v", got.CreatedAt)
			}
			got.CreatedAt, got.UpdatedAt = t0, t0
			if fmt.Sprint(got) != fmt.Sprint(saved[0]) {
				t.Fatalf("got %+v\nwant %+v", got, saved[0])
			}
		})

		t.Run("list pages by name then id without gaps or repeats", func(t *testing.T) {
			var names []string
			after := booking.Cursor{}
			for page := 0; page < 10; page++ {
				got, err := s.ListAgencies(ctx, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 {
					break
				}
				for _, a := range got {
					names = append(names, a.Name)
				}
				last := got[len(got)-1]
				after = booking.Cursor{Name: last.Name, ID: last.ID}
			}
			want := "[Alby kommun Bergby region Cederby kommun Dalby kommun Eby kommun]"
			if fmt.Sprint(names) != want {
				t.Fatalf("names = %v, want %s", names, want)
			}
		})

		t.Run("unknown agency is not found", func(t *testing.T) {
			if _, err := s.Agency(ctx, core.NewID()); !errors.Is(err, core.ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
		})

		t.Run("a second agency with the same organisation number conflicts", func(t *testing.T) {
			dup := agency("Kopia", saved[0].OrgNumber)
			if err := s.SaveAgency(ctx, dup); !errors.Is(err, core.ErrConflict) {
				t.Fatalf("err = %v, want ErrConflict", err)
			}
		})

		t.Run("saving again updates in place", func(t *testing.T) {
			a := saved[1]
			a.Name = "Alby stad"
			if err := s.SaveAgency(ctx, a); err != nil {
				t.Fatal(err)
			}
			got, err := s.Agency(ctx, a.ID)
			if err != nil || got.Name != "Alby stad" {
				t.Fatalf("got %q, %v", got.Name, err)
			}
		})

		t.Run("offices and meeting types belong to their agency", func(t *testing.T) {
			o := booking.Office{
				ID: core.NewID(), AgencyID: saved[0].ID, Name: "Medborgarkontoret",
				Address:            booking.Address{Street: "Torget 1", PostalCode: "123 45", City: "Cederby"},
				AccessibilityNotes: "Hörselslinga", CreatedAt: t0, UpdatedAt: t0,
			}
			if err := s.SaveOffice(ctx, o); err != nil {
				t.Fatal(err)
			}
			mt := booking.MeetingType{
				ID: core.NewID(), AgencyID: saved[0].ID,
				Name:        booking.Text{SV: "Bygglov", EN: "Building permit"},
				Description: booking.Text{SV: "Råd", EN: "Advice"},
				Duration:    30 * time.Minute, Modes: []booking.Mode{booking.Phone, booking.InPerson},
				SlotStep: 15 * time.Minute, Horizon: 30 * 24 * time.Hour, MaxActivePerCitizen: 1,
				CreatedAt: t0, UpdatedAt: t0,
			}
			if err := s.SaveMeetingType(ctx, mt); err != nil {
				t.Fatal(err)
			}
			offices, err := s.Offices(ctx, saved[0].ID)
			if err != nil || len(offices) != 1 || offices[0].Address != o.Address || offices[0].AccessibilityNotes != "Hörselslinga" {
				t.Fatalf("Offices = %+v, %v", offices, err)
			}
			types, err := s.MeetingTypes(ctx, saved[0].ID)
			if err != nil || len(types) != 1 {
				t.Fatalf("MeetingTypes = %+v, %v", types, err)
			}
			if got := types[0]; got.Duration != 30*time.Minute || fmt.Sprint(got.Modes) != "[phone in_person]" || got.Name != mt.Name {
				t.Fatalf("meeting type = %+v", got)
			}
			if other, err := s.Offices(ctx, saved[1].ID); err != nil || len(other) != 0 {
				t.Fatalf("another agency's offices = %+v, %v", other, err)
			}
		})

		t.Run("what to bring comes back from every read and is updated", func(t *testing.T) {
			mt := booking.MeetingType{
				ID: core.NewID(), AgencyID: saved[2].ID,
				Name:        booking.Text{SV: "Läkarbesök", EN: "Doctor's visit"},
				WhatToBring: booking.Text{SV: "Ta med legitimation\noch läkemedelslista", EN: "Bring ID"},
				Duration:    20 * time.Minute, Modes: []booking.Mode{booking.InPerson},
				SlotStep: 10 * time.Minute, Horizon: 30 * 24 * time.Hour, MaxActivePerCitizen: 1,
				CreatedAt: t0, UpdatedAt: t0,
			}
			if err := s.SaveMeetingType(ctx, mt); err != nil {
				t.Fatal(err)
			}
			check := func(want booking.Text) {
				t.Helper()
				types, err := s.MeetingTypes(ctx, saved[2].ID)
				if err != nil || len(types) != 1 || types[0].WhatToBring != want {
					t.Fatalf("MeetingTypes = %+v, %v; want what to bring %+v", types, err, want)
				}
				one, err := s.MeetingType(ctx, mt.ID)
				if err != nil || one.WhatToBring != want {
					t.Fatalf("MeetingType = %+v, %v", one.WhatToBring, err)
				}
				withAgency, a, err := s.MeetingTypeAgency(ctx, mt.ID)
				if err != nil || withAgency.WhatToBring != want || a.ID != saved[2].ID {
					t.Fatalf("MeetingTypeAgency = %+v, %s, %v", withAgency.WhatToBring, a.ID, err)
				}
			}
			check(mt.WhatToBring)
			mt.WhatToBring = booking.Text{SV: "Ta med ritningar", EN: ""}
			mt.UpdatedAt = t0.Add(time.Hour)
			if err := s.SaveMeetingType(ctx, mt); err != nil {
				t.Fatal(err)
			}
			check(mt.WhatToBring)

			mt.WhatToBring = booking.Text{SV: "Ta med\x00", EN: strings.Repeat("x", 1001)}
			err := s.SaveMeetingType(ctx, mt)
			var ve *core.ValidationError
			if !errors.As(err, &ve) || fmt.Sprint(ve.Fields) != "[{what_to_bring.sv must be plain text: no control characters except line breaks} {what_to_bring.en must be at most 1000 characters}]" {
				t.Fatalf("err = %v, want what_to_bring.sv and .en named", err)
			}
			check(booking.Text{SV: "Ta med ritningar"})
		})

		t.Run("an office of an unknown agency is refused", func(t *testing.T) {
			o := booking.Office{
				ID: core.NewID(), AgencyID: core.NewID(), Name: "X",
				Address: booking.Address{Street: "S", PostalCode: "12345", City: "C"}, CreatedAt: t0, UpdatedAt: t0,
			}
			if err := s.SaveOffice(ctx, o); !errors.Is(err, core.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})

		t.Run("invalid values never reach the database", func(t *testing.T) {
			bad := agency("", "1")
			bad.Kind, bad.TimeZone = "county", "Mars/Olympus"
			err := s.SaveAgency(ctx, bad)
			var ve *core.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 4 {
				t.Fatalf("err = %v, want 4 field errors", err)
			}
		})
	})
}
