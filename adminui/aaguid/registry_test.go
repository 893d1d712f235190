package aaguid

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// mustBytes turns the canonical string form into the 16 bytes found in
// authenticator data.
func mustBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		t.Fatalf("bad test AAGUID %q", s)
	}
	return b
}

// TestDefaultName asserts names the fetched list actually contains (see
// SOURCE.md); YubiKeys are not among them, as they live in FIDO MDS.
func TestDefaultName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		aaguid string
		want   string
	}{
		{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", "Google Password Manager"},
		// Upstream renamed "iCloud Keychain" when Apple did.
		{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "Apple Passwords"},
		{"dd4ec289-e01d-41c9-bb89-70fa845d4bf2", "iCloud Keychain (Managed)"},
		{"08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello"},
		{"9ddd1817-af5a-4672-a2b9-3e3dd95000a9", "Windows Hello"},
		{"6028b017-b1d4-4c02-b4b3-afcdafc96bb2", "Windows Hello"},
		{"d548826e-79b4-db40-a3d8-11116f7e8349", "Bitwarden"},
		{"bada5566-a7aa-401f-bd96-45619a55120d", "1Password"},
		{"53414d53-554e-4700-0000-000000000000", "Samsung Pass"},
		{"891494da-2c90-4d31-a9cd-4eab0aed1309", "Sésame"},
	}
	for _, tt := range tests {
		t.Run(tt.want+"/"+tt.aaguid, func(t *testing.T) {
			t.Parallel()
			got, ok := Default().Name(mustBytes(t, tt.aaguid))
			if !ok || got != tt.want {
				t.Errorf("Name(%s) = %q, %v; want %q, true", tt.aaguid, got, ok, tt.want)
			}
			got, ok = Default().Lookup(tt.aaguid)
			if !ok || got != tt.want {
				t.Errorf("Lookup(%s) = %q, %v; want %q, true", tt.aaguid, got, ok, tt.want)
			}
			got, ok = Default().Lookup(strings.ToUpper(tt.aaguid))
			if !ok || got != tt.want {
				t.Errorf("Lookup(upper %s) = %q, %v; want %q, true", tt.aaguid, got, ok, tt.want)
			}
		})
	}
}

func TestNameNotFound(t *testing.T) {
	t.Parallel()
	google := mustBytes(t, "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4")
	tests := []struct {
		name   string
		aaguid []byte
	}{
		{"unknown", mustBytes(t, "00000000-0000-0000-0000-000000000001")},
		{"zero", make([]byte, 16)},
		{"nil", nil},
		{"empty", []byte{}},
		{"15 bytes", google[:15]},
		{"17 bytes", append(append([]byte{}, google...), 0)},
		{"32 bytes", append(append([]byte{}, google...), google...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, ok := Default().Name(tt.aaguid); ok || got != "" {
				t.Errorf("Name(%x) = %q, %v; want \"\", false", tt.aaguid, got, ok)
			}
		})
	}
}

func TestLookupNotFound(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"",
		"00000000-0000-0000-0000-000000000000",
		"00000000-0000-0000-0000-000000000001",
		"ea9b8d664d011d213ce4b6b48cb575d4",       // no hyphens
		"{ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4}", // braces
		"urn:uuid:ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
		"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d",  // short
		"ea9b8d66-4d01-1d21-3ce4-b6b48cb575dg", // not hex
	} {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			if got, ok := Default().Lookup(s); ok || got != "" {
				t.Errorf("Lookup(%q) = %q, %v; want \"\", false", s, got, ok)
			}
		})
	}
}

func TestNilAndZeroRegistry(t *testing.T) {
	t.Parallel()
	google := mustBytes(t, "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4")
	for name, r := range map[string]*Registry{"nil": nil, "zero": {}} {
		if got, ok := r.Name(google); ok {
			t.Errorf("%s: Name = %q, true; want not found", name, got)
		}
		if got := r.Len(); got != 0 {
			t.Errorf("%s: Len = %d, want 0", name, got)
		}
		if got := r.Merge(Default()).Len(); got != Default().Len() {
			t.Errorf("%s: Merge(Default).Len = %d, want %d", name, got, Default().Len())
		}
	}
}

// TestEmbedded guards the file Default panics on: it must parse, keep the
// sorted one-entry-a-line form the refresh recipe produces, and use only
// canonical lowercase keys.
func TestEmbedded(t *testing.T) {
	t.Parallel()
	r, err := Load(bytes.NewReader(embedded))
	if err != nil {
		t.Fatalf("Load(embedded) = %v", err)
	}
	if r.Len() < 40 {
		t.Errorf("embedded Len = %d, want at least 40 (truncated file?)", r.Len())
	}
	dec := json.NewDecoder(bytes.NewReader(embedded))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	prev, n := "", 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		if key <= prev {
			t.Errorf("key %q after %q: want strictly ascending", key, prev)
		}
		if _, err := parse(key); err != nil || key != strings.ToLower(key) {
			t.Errorf("key %q: not a canonical lowercase AAGUID: %v", key, err)
		}
		prev = key
		n++
	}
	if n != r.Len() {
		t.Errorf("file has %d keys, registry %d", n, r.Len())
	}
	// Same bytes as the recipe in SOURCE.md (jq -S, two-space indent,
	// trailing newline), so a refresh diff shows only real changes.
	var m map[string]string
	if err := json.Unmarshal(embedded, &m); err != nil {
		t.Fatal(err)
	}
	canon, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	canon = append(canon, '\n')
	// encoding/json escapes <, > and & by default; jq does not, and no
	// current name has them. Compare only if none is present.
	if !bytes.ContainsAny(embedded, "<>&") && !bytes.Equal(canon, embedded) {
		t.Errorf("aaguids.json is not in the canonical form; regenerate it as SOURCE.md says")
	}
}

func TestDefaultIsShared(t *testing.T) {
	t.Parallel()
	a, b := Default(), Default()
	if a != b {
		t.Errorf("Default() returned %p, then %p; want one shared value", a, b)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	r, err := Load(strings.NewReader(`{
		"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "Our Google",
		"00000000-0000-0000-0000-000000000001": "Lab key <b>&amp;</b> é"
	}`))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	tests := []struct {
		aaguid, want string
	}{
		{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", "Our Google"},
		// Markup stays literal text: html/template escapes it on output.
		{"00000000-0000-0000-0000-000000000001", "Lab key <b>&amp;</b> é"},
	}
	for _, tt := range tests {
		if got, ok := r.Lookup(tt.aaguid); !ok || got != tt.want {
			t.Errorf("Lookup(%s) = %q, %v; want %q, true", tt.aaguid, got, ok, tt.want)
		}
	}
	if got := r.Len(); got != 2 {
		t.Errorf("Len = %d, want 2", got)
	}

	empty, err := Load(strings.NewReader(" {} \n"))
	if err != nil || empty.Len() != 0 {
		t.Errorf("Load({}) = %v, Len %d; want empty registry", err, empty.Len())
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	const g = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
	tests := []struct {
		name    string
		in      string
		want    error
		wantKey string // the entry the message must name; "" if none
	}{
		{"empty input", ``, ErrSyntax, ""},
		{"array", `["x"]`, ErrSyntax, ""},
		{"string", `"x"`, ErrSyntax, ""},
		{"null", `null`, ErrSyntax, ""},
		{"unterminated", `{"` + g + `": "a"`, ErrSyntax, ""},
		{"trailing data", `{} {}`, ErrSyntax, ""},
		{"trailing garbage", `{}x`, ErrSyntax, ""},
		{"upstream object value", `{"` + g + `": {"name": "Google Password Manager"}}`, ErrSyntax, g},
		{"number value", `{"` + g + `": 1}`, ErrSyntax, g},
		{"null value", `{"` + g + `": null}`, ErrSyntax, g},
		{"invalid UTF-8", "{\"" + g + "\": \"a\xffb\"}", ErrInvalidUTF8, ""},
		{"upper-case key", `{"EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4": "a"}`, ErrMalformedAAGUID, "EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4"},
		{"no hyphens", `{"ea9b8d664d011d213ce4b6b48cb575d4": "a"}`, ErrMalformedAAGUID, "ea9b8d664d011d213ce4b6b48cb575d4"},
		{"braces", `{"{` + g + `}": "a"}`, ErrMalformedAAGUID, "{" + g + "}"},
		{"short", `{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d": "a"}`, ErrMalformedAAGUID, "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d"},
		{"hyphen misplaced", `{"ea9b8d6-64d01-1d21-3ce4-b6b48cb575d4": "a"}`, ErrMalformedAAGUID, "ea9b8d6-64d01-1d21-3ce4-b6b48cb575d4"},
		{"not hex", `{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575dz": "a"}`, ErrMalformedAAGUID, "ea9b8d66-4d01-1d21-3ce4-b6b48cb575dz"},
		{"empty key", `{"": "a"}`, ErrMalformedAAGUID, ""},
		{"zero AAGUID", `{"00000000-0000-0000-0000-000000000000": "None"}`, ErrZeroAAGUID, "00000000-0000-0000-0000-000000000000"},
		{"duplicate", `{"` + g + `": "a", "` + g + `": "b"}`, ErrDuplicate, g},
		// The same key spelled with a JSON escape is still a duplicate.
		{"duplicate escaped", `{"` + g + `": "a", "\u0065a9b8d66-4d01-1d21-3ce4-b6b48cb575d4": "b"}`, ErrDuplicate, g},
		{"empty name", `{"` + g + `": ""}`, ErrEmptyName, g},
		{"blank name", `{"` + g + `": " \t "}`, ErrEmptyName, g},
		{"spaces name", `{"` + g + `": "   "}`, ErrEmptyName, g},
		{"name too long", `{"` + g + `": "` + strings.Repeat("a", MaxNameLen+1) + `"}`, ErrNameTooLong, g},
		{"name too long multibyte", `{"` + g + `": "` + strings.Repeat("é", MaxNameLen/2+1) + `"}`, ErrNameTooLong, g},
		{"newline", `{"` + g + `": "a\nb"}`, ErrControlChar, g},
		{"NUL", `{"` + g + `": "a\u0000b"}`, ErrControlChar, g},
		{"escape", `{"` + g + `": "a\u001b[31mb"}`, ErrControlChar, g},
		{"DEL", `{"` + g + `": "a\u007fb"}`, ErrControlChar, g},
		{"C1", `{"` + g + `": "a\u0085b"}`, ErrControlChar, g},
		{"bidi override", `{"` + g + `": "a\u202eb"}`, ErrControlChar, g},
		{"bidi isolate", `{"` + g + `": "a\u2066b"}`, ErrControlChar, g},
		{"line separator", `{"` + g + `": "a\u2028b"}`, ErrControlChar, g},
		{"too large", `{"` + g + `": "` + strings.Repeat("a", MaxInput) + `"}`, ErrTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Load(strings.NewReader(tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Load error = %v, want %v", err, tt.want)
			}
			if r != nil {
				t.Errorf("Load returned a registry with an error")
			}
			if !strings.HasPrefix(err.Error(), "aaguid: ") {
				t.Errorf("error %q: want the package prefix", err)
			}
			if tt.wantKey != "" && !strings.Contains(err.Error(), `"`+tt.wantKey+`"`) {
				t.Errorf("error %q: want it to name entry %q", err, tt.wantKey)
			}
			var ee *EntryError
			if errors.As(err, &ee) && tt.wantKey != "" && ee.Key != tt.wantKey {
				t.Errorf("EntryError.Key = %q, want %q", ee.Key, tt.wantKey)
			}
		})
	}
}

// TestLoadExactlyMaxInput checks the limit is inclusive: a file of exactly
// MaxInput bytes is read, one byte more is not.
func TestLoadExactlyMaxInput(t *testing.T) {
	t.Parallel()
	in := append([]byte("{}"), bytes.Repeat([]byte(" "), MaxInput-2)...)
	if _, err := Load(bytes.NewReader(in)); err != nil {
		t.Errorf("Load(%d bytes) = %v, want nil", len(in), err)
	}
	in = append(in, ' ')
	if _, err := Load(bytes.NewReader(in)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Load(%d bytes) = %v, want %v", len(in), err, ErrTooLarge)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestLoadReadError(t *testing.T) {
	t.Parallel()
	if _, err := Load(failingReader{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Load(failing reader) = %v, want %v", err, io.ErrUnexpectedEOF)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	const (
		google  = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
		apple   = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"
		lab     = "00000000-0000-0000-0000-000000000001"
		unnamed = "00000000-0000-0000-0000-000000000002"
	)
	over, err := Load(strings.NewReader(`{"` + google + `": "Android phone", "` + lab + `": "Lab key"}`))
	if err != nil {
		t.Fatal(err)
	}
	base := Default()
	baseLen := base.Len()
	merged := base.Merge(over)

	tests := []struct {
		reg    *Registry
		aaguid string
		want   string
		wantOK bool
	}{
		{merged, google, "Android phone", true},  // overridden
		{merged, lab, "Lab key", true},           // added
		{merged, apple, "Apple Passwords", true}, // kept
		{merged, unnamed, "", false},
		// Merge leaves both inputs alone: Default is shared by everyone.
		{base, google, "Google Password Manager", true},
		{base, lab, "", false},
		{over, apple, "", false},
	}
	for _, tt := range tests {
		got, ok := tt.reg.Lookup(tt.aaguid)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Lookup(%s) = %q, %v; want %q, %v", tt.aaguid, got, ok, tt.want, tt.wantOK)
		}
	}
	if got, want := merged.Len(), baseLen+1; got != want {
		t.Errorf("merged Len = %d, want %d", got, want)
	}
	if got := base.Len(); got != baseLen {
		t.Errorf("base Len after Merge = %d, want %d", got, baseLen)
	}
	if got := base.Merge(nil).Len(); got != baseLen {
		t.Errorf("Merge(nil).Len = %d, want %d", got, baseLen)
	}
}
