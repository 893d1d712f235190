package acr

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Transaction binding (ADR 0005, PSD2 dynamic linking). The relying party
// sends RFC 9396 authorization_details in the authorize request; Hydra v2.3
// does not parse them, so they are read from request_url, parsed strictly,
// canonicalised per RFC 8785 (JSON Canonicalization Scheme) and hashed. The
// WebAuthn challenge is 32 random bytes followed by that SHA-256, so the
// authenticator's signature covers the exact details the user approved.
//
// Amounts: JCS serialises numbers as ECMAScript does (IEEE 754 double,
// shortest round-trip form), which cannot carry every decimal exactly.
// Relying parties should therefore send amounts as strings
// ("amount": "123.50"), as RFC 9396's payment example does. A number is
// accepted only when it is already in JCS form, that is when converting it
// to a float64 and back gives the same text ("123.5", "100", "1e+21");
// anything else ("123.50", "1.0", "1E3", "-0", "9007199254740993") is
// rejected with ErrInvalidRequest rather than silently altered by
// canonicalisation.

// AuthorizationDetail is one object of an RFC 9396 authorization_details
// array (§2).
type AuthorizationDetail struct {
	// Type is the required "type" member, non-empty.
	Type string
	// The optional common data fields of RFC 9396 §2.2, when present.
	Locations  []string
	Actions    []string
	Datatypes  []string
	Identifier string
	Privileges []string
	// Members is every member of the object as parsed, "type", the common
	// fields and any type-specific members included. It alone determines
	// Canonical and Hash. Values are string, json.Number, bool, nil, []any
	// and map[string]any, as ParseAuthorizationDetails builds them.
	Members map[string]any
}

// AuthorizationDetails is a parsed authorization_details request parameter.
type AuthorizationDetails []AuthorizationDetail

// Limits on authorization_details; longer, larger or deeper input is rejected.
const (
	maxAuthorizationDetailsLen = 8 << 10
	maxAuthorizationDetails    = 16
	maxAuthorizationDepth      = 16
)

// ChallengeRandomLen is the length of the random prefix of a transaction
// challenge; the SHA-256 of the canonical details follows it.
const ChallengeRandomLen = 32

// ParseAuthorizationDetails parses the value of the authorization_details
// request parameter (RFC 9396 §2): a non-empty JSON array of at most 16
// objects, each with a non-empty string "type". Parsing is strict: at most
// 8 KiB of valid UTF-8, one JSON value with nothing after it, no duplicate
// member names at any depth, no unpaired UTF-16 surrogate escapes, nesting at
// most 16 deep, numbers already in JCS form (amounts belong in strings; see the
// note on amounts at the top of this file), and the common fields of §2.2 with their specified types.
// Errors wrap ErrInvalidRequest.
func ParseAuthorizationDetails(raw string) (AuthorizationDetails, error) {
	v, err := parseStrictJSON(raw, true)
	if err != nil {
		return nil, fmt.Errorf("%w: authorization_details: %w", ErrInvalidRequest, err)
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: authorization_details must be a JSON array", ErrInvalidRequest)
	}
	if len(arr) == 0 {
		return nil, fmt.Errorf("%w: authorization_details is an empty array", ErrInvalidRequest)
	}
	if len(arr) > maxAuthorizationDetails {
		return nil, fmt.Errorf("%w: authorization_details has more than %d elements", ErrInvalidRequest, maxAuthorizationDetails)
	}
	out := make(AuthorizationDetails, 0, len(arr))
	for i, e := range arr {
		d, err := detailFrom(e)
		if err != nil {
			return nil, fmt.Errorf("%w: authorization_details[%d]: %w", ErrInvalidRequest, i, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func detailFrom(e any) (AuthorizationDetail, error) {
	obj, ok := e.(map[string]any)
	if !ok {
		return AuthorizationDetail{}, errors.New("is not an object")
	}
	d := AuthorizationDetail{Members: obj}
	switch t := obj["type"].(type) {
	case string:
		if t == "" {
			return AuthorizationDetail{}, errors.New(`"type" is empty`)
		}
		d.Type = t
	case nil:
		return AuthorizationDetail{}, errors.New(`"type" is missing or null`)
	default:
		return AuthorizationDetail{}, errors.New(`"type" is not a string`)
	}
	var err error
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"locations", &d.Locations}, {"actions", &d.Actions}, {"datatypes", &d.Datatypes}, {"privileges", &d.Privileges}} {
		v, ok := obj[f.name]
		if !ok {
			continue
		}
		if *f.dst, err = stringArray(v); err != nil {
			return AuthorizationDetail{}, fmt.Errorf("%q %w", f.name, err)
		}
	}
	if v, ok := obj["identifier"]; ok {
		s, ok := v.(string)
		if !ok {
			return AuthorizationDetail{}, errors.New(`"identifier" is not a string`)
		}
		d.Identifier = s
	}
	return d, nil
}

func stringArray(v any) ([]string, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("is not an array of strings")
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, errors.New("is not an array of strings")
		}
		out = append(out, s)
	}
	return out, nil
}

// Canonical returns the RFC 8785 canonical form of the details as a JSON
// array: members sorted by their UTF-16 code units, no insignificant
// whitespace, strings and numbers serialised per JCS. It panics if Members
// holds a value of a type ParseAuthorizationDetails does not produce.
func (ds AuthorizationDetails) Canonical() []byte {
	b := []byte{'['}
	for i, d := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCanonical(b, d.Members)
	}
	return append(b, ']')
}

// Hash returns the SHA-256 of Canonical.
func (ds AuthorizationDetails) Hash() [32]byte { return sha256.Sum256(ds.Canonical()) }

// BindChallenge returns the WebAuthn challenge for approving the details:
// random (exactly ChallengeRandomLen bytes from a CSPRNG) followed by
// details.Hash().
//
// The random prefix stays because the hash alone is predictable and
// repeatable: the same payment approved twice would get the same challenge,
// so a captured assertion could be replayed and the server could not tell
// ceremonies apart. The random half keeps every challenge unique and
// unguessable (WebAuthn §13.4.3, at least 16 random bytes); the hash half
// commits the signature to exactly these details.
func BindChallenge(random []byte, details AuthorizationDetails) ([]byte, error) {
	if len(random) != ChallengeRandomLen {
		return nil, fmt.Errorf("transaction challenge: got %d random bytes, want %d", len(random), ChallengeRandomLen)
	}
	if len(details) == 0 {
		return nil, errors.New("transaction challenge: no authorization details to bind")
	}
	h := details.Hash()
	return append(slices.Clone(random), h[:]...), nil
}

// ChallengeCommitsTo reports whether challenge is a random prefix of
// ChallengeRandomLen bytes followed by details.Hash(), comparing the hash
// in constant time. It is false for a challenge of any other length and for
// empty details.
func ChallengeCommitsTo(challenge []byte, details AuthorizationDetails) bool {
	if len(challenge) != ChallengeRandomLen+sha256.Size || len(details) == 0 {
		return false
	}
	h := details.Hash()
	return subtle.ConstantTimeCompare(challenge[ChallengeRandomLen:], h[:]) == 1
}

// parseStrictJSON decodes one JSON value into string, json.Number, bool,
// nil, []any and map[string]any, rejecting duplicate member names, trailing
// data, invalid UTF-8, unpaired surrogate escapes and deep nesting. With
// exactNumbers, a number must already be in its JCS form.
func parseStrictJSON(raw string, exactNumbers bool) (any, error) {
	if len(raw) > maxAuthorizationDetailsLen {
		return nil, fmt.Errorf("longer than %d bytes", maxAuthorizationDetailsLen)
	}
	if !utf8.ValidString(raw) {
		return nil, errors.New("not valid UTF-8")
	}
	if err := checkSurrogateEscapes(raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	p := jsonParser{dec: dec, exactNumbers: exactNumbers}
	tok, err := dec.Token()
	if err == io.EOF {
		return nil, errors.New("empty")
	}
	if err != nil {
		return nil, err
	}
	v, err := p.value(tok, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

type jsonParser struct {
	dec          *json.Decoder
	exactNumbers bool
}

func (p jsonParser) value(tok json.Token, depth int) (any, error) {
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxAuthorizationDepth {
			return nil, fmt.Errorf("nested deeper than %d", maxAuthorizationDepth)
		}
		if t == '[' {
			return p.array(depth + 1)
		}
		if t == '{' {
			return p.object(depth + 1)
		}
		return nil, fmt.Errorf("unexpected %q", t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("number %s is out of range", t)
		}
		if p.exactNumbers {
			if c := string(appendES6Number(nil, f)); c != string(t) {
				return nil, fmt.Errorf("number %s is not in canonical form (it would become %s); send amounts as strings", t, c)
			}
		}
		return t, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func (p jsonParser) array(depth int) (any, error) {
	arr := []any{}
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim(']') {
			return arr, nil
		}
		v, err := p.value(tok, depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
}

func (p jsonParser) object(depth int) (any, error) {
	obj := map[string]any{}
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, err
		}
		if tok == json.Delim('}') {
			return obj, nil
		}
		name, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("unexpected %v where a member name belongs", tok)
		}
		if _, dup := obj[name]; dup {
			return nil, fmt.Errorf("duplicate member name %q", name)
		}
		if tok, err = p.dec.Token(); err != nil {
			return nil, err
		}
		v, err := p.value(tok, depth)
		if err != nil {
			return nil, err
		}
		obj[name] = v
	}
}

// checkSurrogateEscapes rejects \uD800–\uDFFF escapes that do not form a
// high-low pair; encoding/json would silently turn them into U+FFFD, and
// RFC 8785 §3.2.2.2 requires them to be rejected. Syntax errors are left to
// the decoder.
func checkSurrogateEscapes(raw string) error {
	inString := false
	pendingHigh := false // the previous escape was a high surrogate
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		var r rune = -1
		switch {
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(raw):
			i++
			if raw[i] == 'u' && i+4 < len(raw) {
				n, err := strconv.ParseUint(raw[i+1:i+5], 16, 16)
				if err != nil {
					return errors.New(`malformed \u escape`)
				}
				r = rune(n)
				i += 4
			}
		}
		switch {
		case pendingHigh && (r < 0xDC00 || r > 0xDFFF):
			return errors.New("unpaired UTF-16 surrogate escape")
		case pendingHigh:
			pendingHigh = false
		case r >= 0xD800 && r <= 0xDBFF:
			pendingHigh = true
		case r >= 0xDC00 && r <= 0xDFFF:
			return errors.New("unpaired UTF-16 surrogate escape")
		}
	}
	if pendingHigh {
		return errors.New("unpaired UTF-16 surrogate escape")
	}
	return nil
}

// appendCanonical appends the RFC 8785 serialisation of v.
func appendCanonical(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case string:
		return appendJCSString(b, v)
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(f, 0) {
			panic(fmt.Sprintf("acr: number %s cannot be canonicalised", v))
		}
		return appendES6Number(b, f)
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			panic(fmt.Sprintf("acr: number %v cannot be canonicalised", v))
		}
		return appendES6Number(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	case map[string]any:
		names := make([]string, 0, len(v))
		for name := range v {
			names = append(names, name)
		}
		slices.SortFunc(names, compareUTF16)
		b = append(b, '{')
		for i, name := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJCSString(b, name)
			b = append(b, ':')
			b = appendCanonical(b, v[name])
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("acr: cannot canonicalise a %T", v))
}

// compareUTF16 orders strings by their UTF-16 code units (RFC 8785 §3.2.3).
func compareUTF16(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

// appendJCSString appends s as a JSON string per RFC 8785 §3.2.2.2: only
// '"', '\\' and control characters are escaped; \b \t \n \f \r in their
// short forms, other controls as lower-case \u00xx.
func appendJCSString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, `\b`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\f':
			b = append(b, `\f`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// appendES6Number appends f as ECMAScript's Number.prototype.toString does
// (ECMA-262 Number::toString, RFC 8785 §3.2.2.3). f must be finite.
func appendES6Number(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0') // also -0
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// Shortest round-trip digits and exponent: d.ddde±x.
	e := strconv.AppendFloat(nil, f, 'e', -1, 64)
	mant, exp, _ := bytes.Cut(e, []byte{'e'})
	digits := bytes.ReplaceAll(mant, []byte{'.'}, nil)
	x, _ := strconv.Atoi(string(exp))
	k := len(digits)
	n := x + 1 // value = 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for range n - k {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, '0', '.')
		for range -n {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}
