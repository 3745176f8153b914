package booking_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tidbok/tidbok/core"
	"github.com/tidbok/tidbok/services/booking"
)

func TestTextInEitherLanguage(t *testing.T) {
	tests := []struct {
		text   booking.Text
		sv, en string
	}{
		{booking.Text{SV: "Legitimation", EN: "ID"}, "Legitimation", "ID"},
		{booking.Text{SV: "Legitimation"}, "Legitimation", "Legitimation"},
		{booking.Text{SV: "  ", EN: "ID"}, "ID", "ID"},
		{booking.Text{}, "", ""},
	}
	for _, tc := range tests {
		if sv, en := tc.text.InEither(booking.Swedish), tc.text.InEither(booking.English); sv != tc.sv || en != tc.en {
			t.Errorf("%+v: sv %q, en %q; want %q, %q", tc.text, sv, en, tc.sv, tc.en)
		}
	}
}

func TestWhatToBringIsValidated(t *testing.T) {
	mt := booking.MeetingType{ID: core.NewID(), AgencyID: core.NewID(), Name: booking.Text{SV: "Bygglov", EN: "Building permit"},
		Duration: 30 * time.Minute, Modes: []booking.Mode{booking.InPerson}, SlotStep: 15 * time.Minute,
		Horizon: 30 * 24 * time.Hour, MaxActivePerCitizen: 1}
	tests := []struct {
		name   string
		bring  booking.Text
		fields []string
	}{
		{"empty is fine", booking.Text{}, nil},
		{"line breaks and 1000 characters are fine", booking.Text{SV: "Ritningar\n" + strings.Repeat("ä", 990), EN: strings.Repeat("x", 1000)}, nil},
		{"1001 characters", booking.Text{SV: strings.Repeat("ä", 1001)}, []string{"what_to_bring.sv"}},
		{"a tab, a carriage return", booking.Text{SV: "a\tb", EN: "a\r\nb"}, []string{"what_to_bring.sv", "what_to_bring.en"}},
		{"NUL and invalid UTF-8", booking.Text{SV: "a\x00", EN: "\xff"}, []string{"what_to_bring.sv", "what_to_bring.en"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mt
			m.WhatToBring = tc.bring
			err := m.Validate()
			var ve *core.ValidationError
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.As(err, &ve) || len(ve.Fields) != len(tc.fields) {
				t.Fatalf("err = %v, want %v", err, tc.fields)
			}
			for i, f := range tc.fields {
				if ve.Fields[i].Field != f {
					t.Errorf("field %d = %s, want %s", i, ve.Fields[i].Field, f)
				}
			}
		})
	}
}
