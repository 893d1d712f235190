package aaguid

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	// MaxInput is the largest file Load accepts. The embedded list is a few
	// KiB; 4 MiB leaves room for any real override file while keeping a
	// mistaken path (a log, a disk image) from being read into memory.
	MaxInput = 4 << 20

	// MaxNameLen bounds a name in bytes so one entry cannot break the
	// dashboard's layout; the longest real name is far shorter.
	MaxNameLen = 128
)

// Errors Load reports, wrapped in an *EntryError when they concern one
// entry, so callers can test with errors.Is and operators read which entry.
var (
	ErrTooLarge        = errors.New("input larger than 4 MiB")
	ErrSyntax          = errors.New("not a JSON object of AAGUID to name strings")
	ErrInvalidUTF8     = errors.New("input is not valid UTF-8")
	ErrMalformedAAGUID = errors.New("malformed AAGUID: want the lowercase 8-4-4-4-12 hex form")
	ErrZeroAAGUID      = errors.New("the all-zero AAGUID means no AAGUID and cannot be named")
	ErrDuplicate       = errors.New("duplicate AAGUID")
	ErrEmptyName       = errors.New("name is empty or blank")
	ErrNameTooLong     = fmt.Errorf("name is longer than %d bytes", MaxNameLen)
	ErrControlChar     = errors.New("name contains a control or bidirectional-formatting character")
)

// EntryError is a validation failure of one entry of a file given to Load.
type EntryError struct {
	Key string // the entry's key as written in the file
	Err error  // one of the Err… values above
}

// Error names the entry, as operators need to find it in their file.
func (e *EntryError) Error() string { return fmt.Sprintf("aaguid: entry %q: %v", e.Key, e.Err) }

// Unwrap lets errors.Is see the sentinel.
func (e *EntryError) Unwrap() error { return e.Err }

// Registry maps AAGUIDs to authenticator names. It is immutable once built
// (Merge returns a new one), so a Registry, Default's included, is safe to
// share between goroutines. The zero value and a nil *Registry are empty.
type Registry struct {
	names map[[16]byte]string
}

//go:embed aaguids.json
var embedded []byte

// defaultRegistry parses the embedded list once, on first use, so
// importing the package costs nothing.
var defaultRegistry = sync.OnceValue(func() *Registry {
	r, err := Load(bytes.NewReader(embedded))
	if err != nil {
		// The embedded file is checked by TestEmbedded; reaching this
		// means a broken build, not bad input.
		panic("aaguid: embedded aaguids.json: " + err.Error())
	}
	return r
})

// Default returns the registry built from the embedded community list
// (see the package documentation for its source). Every call returns the
// same Registry.
func Default() *Registry { return defaultRegistry() }

// Name returns the name registered for a 16-byte AAGUID as found in
// authenticator data. A wrong length or the all-zero AAGUID is never found:
// the zero value is what authenticators send when they do not say what
// they are.
func (r *Registry) Name(aaguid []byte) (name string, ok bool) {
	if r == nil || len(aaguid) != 16 {
		return "", false
	}
	var k [16]byte
	copy(k[:], aaguid)
	if k == ([16]byte{}) {
		return "", false
	}
	name, ok = r.names[k]
	return name, ok
}

// Lookup is Name for the 36-character string form
// (ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4). Unlike Load it accepts upper-case
// hex too, since callers pass what they were given rather than what they
// wrote.
func (r *Registry) Lookup(aaguid string) (name string, ok bool) {
	k, err := parse(strings.ToLower(aaguid))
	if err != nil {
		return "", false
	}
	return r.Name(k[:])
}

// Len reports the number of named AAGUIDs.
func (r *Registry) Len() int {
	if r == nil {
		return 0
	}
	return len(r.names)
}

// Merge returns a new Registry with r's entries and over's, over's name
// winning where both have one: the operator's file overrides the default.
// Neither r nor over changes; either may be nil.
func (r *Registry) Merge(over *Registry) *Registry {
	m := make(map[[16]byte]string, r.Len()+over.Len())
	for _, src := range []*Registry{r, over} {
		if src == nil {
			continue
		}
		for k, v := range src.names {
			m[k] = v
		}
	}
	return &Registry{names: m}
}

// Load reads a registry from a JSON object mapping canonical lowercase
// AAGUIDs to names, the format of the embedded aaguids.json. It refuses
// input over MaxInput bytes and reports the first invalid entry as an
// *EntryError; see the package documentation for the rules. An empty
// object is valid and gives an empty Registry.
func Load(r io.Reader) (*Registry, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("aaguid: read: %w", err)
	}
	if len(data) > MaxInput {
		return nil, fmt.Errorf("aaguid: %w", ErrTooLarge)
	}
	// encoding/json would silently turn invalid UTF-8 into U+FFFD; a file
	// like that is corrupt, so say so rather than show mangled names.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("aaguid: %w", ErrInvalidUTF8)
	}

	// Walk the tokens instead of decoding into a map: a map would keep the
	// last of two duplicate keys without a word, hiding an operator's typo.
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, syntaxError(dec, "top level", err)
	}
	names := make(map[[16]byte]string)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(dec, "key", err)
		}
		key, isString := tok.(string)
		if !isString { // the decoder yields only strings here; belt and braces
			return nil, syntaxError(dec, "key", nil)
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, syntaxError(dec, fmt.Sprintf("entry %q", key), err)
		}
		name, isString := tok.(string)
		if !isString {
			// Most likely the upstream {name, icon_dark, icon_light}
			// objects; SOURCE.md has the conversion.
			return nil, fmt.Errorf("aaguid: entry %q: value is not a string (convert upstream {\"name\": …} objects as SOURCE.md shows): %w", key, ErrSyntax)
		}
		k, err := parse(key)
		if err != nil {
			return nil, &EntryError{Key: key, Err: err}
		}
		if _, dup := names[k]; dup {
			return nil, &EntryError{Key: key, Err: ErrDuplicate}
		}
		if err := checkName(name); err != nil {
			return nil, &EntryError{Key: key, Err: err}
		}
		names[k] = name
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, syntaxError(dec, "end of object", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntaxError(dec, "after the object", err)
	}
	return &Registry{names: names}, nil
}

// syntaxError gives the byte offset too: a JSON mistake in a long file is
// otherwise hard to find.
func syntaxError(dec *json.Decoder, where string, err error) error {
	if err == nil {
		return fmt.Errorf("aaguid: %s (near byte %d): %w", where, dec.InputOffset(), ErrSyntax)
	}
	return fmt.Errorf("aaguid: %s (near byte %d): %w: %v", where, dec.InputOffset(), ErrSyntax, err)
}

// parse accepts exactly the canonical lowercase 8-4-4-4-12 form: one
// spelling per AAGUID keeps the file greppable and makes duplicates
// visible to a reader, not only to Load.
func parse(s string) ([16]byte, error) {
	var k [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return k, ErrMalformedAAGUID
	}
	src := s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	for i := 0; i < len(src); i++ {
		if c := src[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return k, ErrMalformedAAGUID
		}
	}
	if _, err := hex.Decode(k[:], []byte(src)); err != nil {
		return k, ErrMalformedAAGUID
	}
	if k == ([16]byte{}) {
		return k, ErrZeroAAGUID
	}
	return k, nil
}

// checkName enforces what a name shown in the dashboard may be. Control
// characters (C0, DEL, C1) would break the layout or smuggle line breaks
// into logs; bidirectional overrides and isolates would visually reorder
// the text around the name, a known spoofing trick (CVE-2021-42574).
func checkName(name string) error {
	if strings.TrimSpace(name) == "" {
		return ErrEmptyName
	}
	if len(name) > MaxNameLen {
		return ErrNameTooLong
	}
	for _, c := range name {
		if unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) || c == '\u2028' || c == '\u2029' {
			return ErrControlChar
		}
	}
	return nil
}
