package aaguid

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzLoad feeds Load arbitrary bytes, as an operator's file may hold
// anything. Load must not panic, must fail with an error of its own, and
// whatever it accepts must obey the rules and survive a round trip.
func FuzzLoad(f *testing.F) {
	f.Add(embedded)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "a", "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "b"}`))
	f.Add([]byte(`{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": {"name": "x"}}`))
	f.Add([]byte(`{"00000000-0000-0000-0000-000000000000": "x"}`))
	f.Add([]byte(`{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "a\u202eb"}`))
	f.Add([]byte("{\"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4\": \"\xff\"}"))
	f.Add([]byte(`{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "x"} trailing`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Load(bytes.NewReader(data))
		if err != nil {
			if r != nil {
				t.Fatalf("Load returned a registry with error %v", err)
			}
			for _, want := range []error{ErrTooLarge, ErrSyntax, ErrInvalidUTF8, ErrMalformedAAGUID, ErrZeroAAGUID, ErrDuplicate, ErrEmptyName, ErrNameTooLong, ErrControlChar} {
				if errors.Is(err, want) {
					return
				}
			}
			t.Fatalf("Load error %v wraps none of the package's errors", err)
		}
		out := make(map[string]string, r.Len())
		for k, name := range r.names {
			if k == ([16]byte{}) {
				t.Fatalf("zero AAGUID accepted")
			}
			if err := checkName(name); err != nil {
				t.Fatalf("accepted name %q: %v", name, err)
			}
			if got, ok := r.Name(k[:]); !ok || got != name {
				t.Fatalf("Name(%x) = %q, %v; want %q, true", k, got, ok, name)
			}
			out[format(k)] = name
		}
		// What Load accepts, written back in our format, loads the same.
		enc, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Load(bytes.NewReader(enc))
		if err != nil {
			t.Fatalf("round trip: Load(%s) = %v", enc, err)
		}
		if r2.Len() != r.Len() {
			t.Fatalf("round trip Len = %d, want %d", r2.Len(), r.Len())
		}
		for k, name := range r.names {
			if got, ok := r2.Name(k[:]); !ok || got != name {
				t.Fatalf("round trip Name(%x) = %q, %v; want %q, true", k, got, ok, name)
			}
		}
	})
}

// format is the canonical string form, for the round trip only.
func format(k [16]byte) string {
	const hexdigits = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, c := range k {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&0xf])
	}
	return string(b)
}
