package acr

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Challenge is a Bearer challenge of a WWW-Authenticate header: RFC 6750 §3's
// parameters plus RFC 9470 §3's acr_values and max_age.
type Challenge struct {
	Realm            string
	Scope            string
	Error            string // "insufficient_user_authentication", "invalid_token", …
	ErrorDescription string
	ErrorURI         string
	ACRValues        []string      // acr_values, split on spaces; preference order
	MaxAge           time.Duration // max_age, when HasMaxAge
	HasMaxAge        bool
	// Params holds every auth-param as received, names in lower case
	// (ParseChallenge only; String ignores it).
	Params map[string]string
}

// Error codes of resource-server challenges.
const (
	// ErrorInsufficientUserAuthentication is RFC 9470 §3's error code.
	ErrorInsufficientUserAuthentication = "insufficient_user_authentication"
	// ErrorInvalidToken is RFC 6750 §3.1's code for a missing-in-effect,
	// expired, revoked or malformed access token.
	ErrorInvalidToken = "invalid_token"
)

// ErrInvalidChallenge is wrapped by every ParseChallenge error.
var ErrInvalidChallenge = errors.New("invalid WWW-Authenticate challenge")

// maxChallengeLen bounds the header ParseChallenge reads.
const maxChallengeLen = 8 << 10

// Insufficient reports whether the challenge asks for a stronger or more
// recent authentication (RFC 9470 §3).
func (c Challenge) Insufficient() bool { return c.Error == ErrorInsufficientUserAuthentication }

// AuthorizeParams returns the parameters a client adds to its next
// authorization request to meet the challenge (RFC 9470 §4): acr_values and
// max_age. Against Hydra, max_age forces a fresh login only when the
// session is older than it; add prompt=login to always get one.
func (c Challenge) AuthorizeParams() url.Values {
	v := url.Values{}
	if len(c.ACRValues) > 0 {
		v.Set("acr_values", strings.Join(c.ACRValues, " "))
	}
	if c.HasMaxAge {
		v.Set("max_age", strconv.FormatInt(int64(c.MaxAge/time.Second), 10))
	}
	return v
}

// String formats the challenge as a WWW-Authenticate value:
//
//	Bearer realm="…", error="…", error_description="…", acr_values="…", max_age="…"
//
// Parameters that are empty are left out. Every value is a quoted-string
// (RFC 9110 §11.2, §5.6.4): '"' and '\' are escaped as quoted-pairs, and
// control characters other than HTAB, which a quoted-string cannot carry,
// become spaces. max_age is whole seconds, quoted as in RFC 9470 §3's example.
func (c Challenge) String() string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	param := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteString(sep)
		b.WriteString(name)
		b.WriteString("=")
		writeQuoted(&b, value)
		sep = ", "
	}
	param("realm", c.Realm)
	param("scope", c.Scope)
	param("error", c.Error)
	param("error_description", c.ErrorDescription)
	param("error_uri", c.ErrorURI)
	param("acr_values", strings.Join(c.ACRValues, " "))
	if c.HasMaxAge {
		param("max_age", strconv.FormatInt(int64(c.MaxAge/time.Second), 10))
	}
	return b.String()
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case (c < 0x20 && c != '\t') || c == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

// ParseChallenge finds the first Bearer challenge in a WWW-Authenticate value
// and reads its parameters. It parses the whole value by RFC 9110 §11.6.1
// (a comma-separated list of challenges, each a scheme with a token68 or
// auth-params), so other schemes before or after it are skipped; several
// WWW-Authenticate fields can be joined with ", " first (RFC 9110 §5.3).
//
// Parameter names and the scheme are case-insensitive; a parameter given
// twice in one challenge is an error (RFC 9110 §11.2, RFC 6750 §3); max_age
// must be a non-negative integer of seconds. Every error wraps
// ErrInvalidChallenge. The value comes from the network: the parser bounds
// its input and never panics.
func ParseChallenge(header string) (Challenge, error) {
	if len(header) > maxChallengeLen {
		return Challenge{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidChallenge, maxChallengeLen)
	}
	all, err := parseChallenges(header)
	if err != nil {
		return Challenge{}, fmt.Errorf("%w: %w", ErrInvalidChallenge, err)
	}
	for _, rc := range all {
		if strings.EqualFold(rc.scheme, "Bearer") {
			return rc.bearer()
		}
	}
	return Challenge{}, fmt.Errorf("%w: no Bearer challenge", ErrInvalidChallenge)
}

type rawChallenge struct {
	scheme  string
	token68 string
	params  [][2]string // name (lower case), value
}

func (rc rawChallenge) bearer() (Challenge, error) {
	c := Challenge{Params: make(map[string]string, len(rc.params))}
	for _, p := range rc.params {
		name, value := p[0], p[1]
		if _, dup := c.Params[name]; dup {
			return Challenge{}, fmt.Errorf("%w: parameter %q appears twice", ErrInvalidChallenge, name)
		}
		c.Params[name] = value
		switch name {
		case "realm":
			c.Realm = value
		case "scope":
			c.Scope = value
		case "error":
			c.Error = value
		case "error_description":
			c.ErrorDescription = value
		case "error_uri":
			c.ErrorURI = value
		case "acr_values":
			if vals := strings.FieldsFunc(value, func(r rune) bool { return r == ' ' || r == '\t' }); len(vals) > 0 {
				c.ACRValues = vals
			}
		case "max_age":
			if len(value) > 12 || !allDigits(value) {
				return Challenge{}, fmt.Errorf("%w: max_age must be a non-negative integer of seconds, got %q", ErrInvalidChallenge, value)
			}
			n, _ := strconv.ParseInt(value, 10, 64) // at most 12 digits: fits
			if n > int64(maxMaxAge/time.Second) {
				return Challenge{}, fmt.Errorf("%w: max_age %s is beyond %s", ErrInvalidChallenge, value, maxMaxAgeText)
			}
			c.MaxAge, c.HasMaxAge = time.Duration(n)*time.Second, true
		}
	}
	return c, nil
}

// challengeParser reads RFC 9110 §11.6.1:
//
//	WWW-Authenticate = #challenge
//	challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//	auth-param = token BWS "=" BWS ( token / quoted-string )
//	token68    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// A token followed by "=" is a parameter of the current challenge; any other
// token starts a new challenge.
type challengeParser struct {
	s string
	i int
}

func parseChallenges(s string) ([]rawChallenge, error) {
	p := &challengeParser{s: s}
	var out []rawChallenge
	for {
		p.skip(func(c byte) bool { return c == ' ' || c == '\t' || c == ',' })
		if p.i == len(p.s) {
			return out, nil
		}
		start := p.i
		name := p.token()
		if name == "" {
			return nil, fmt.Errorf("unexpected %q at byte %d", p.s[p.i], p.i)
		}
		spaces := p.skip(isOWS)
		if p.peek() == '=' {
			if len(out) == 0 {
				return nil, fmt.Errorf("parameter %q at byte %d before any scheme", name, start)
			}
			p.i++
			p.skip(isOWS)
			value, err := p.value()
			if err != nil {
				return nil, fmt.Errorf("parameter %q: %w", name, err)
			}
			cur := &out[len(out)-1]
			if cur.token68 != "" {
				return nil, fmt.Errorf("parameter %q after a token68 in the %s challenge", name, cur.scheme)
			}
			cur.params = append(cur.params, [2]string{strings.ToLower(name), value})
			if err := p.endOfElement(); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, rawChallenge{scheme: name})
		if p.i == len(p.s) || p.peek() == ',' {
			continue
		}
		if spaces == 0 {
			return nil, fmt.Errorf("unexpected %q at byte %d after scheme %q", p.s[p.i], p.i, name)
		}
		if t68, ok := p.token68(); ok {
			out[len(out)-1].token68 = t68
			if err := p.endOfElement(); err != nil {
				return nil, err
			}
		}
	}
}

// token68 reads a token68 if one stands alone here (followed by the end of
// the list element); otherwise it consumes nothing.
func (p *challengeParser) token68() (string, bool) {
	j := p.i
	for j < len(p.s) && isToken68(p.s[j]) {
		j++
	}
	if j == p.i {
		return "", false
	}
	for j < len(p.s) && p.s[j] == '=' {
		j++
	}
	k := j
	for k < len(p.s) && isOWS(p.s[k]) {
		k++
	}
	if k < len(p.s) && p.s[k] != ',' {
		return "", false // "name=value": an auth-param
	}
	t := p.s[p.i:j]
	p.i = j
	return t, true
}

// endOfElement expects optional whitespace, then a comma or the end.
func (p *challengeParser) endOfElement() error {
	p.skip(isOWS)
	if p.i < len(p.s) && p.s[p.i] != ',' {
		return fmt.Errorf("unexpected %q at byte %d, want \",\"", p.s[p.i], p.i)
	}
	return nil
}

func (p *challengeParser) value() (string, error) {
	if p.peek() != '"' {
		if t := p.token(); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("want a token or quoted-string at byte %d", p.i)
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\':
			if p.i+1 == len(p.s) || !isQuotable(p.s[p.i+1]) {
				return "", fmt.Errorf("bad quoted-pair at byte %d", p.i)
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case isQuotable(c):
			b.WriteByte(c)
			p.i++
		default:
			return "", fmt.Errorf("control character %q in quoted-string at byte %d", c, p.i)
		}
	}
	return "", errors.New("unterminated quoted-string")
}

func (p *challengeParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *challengeParser) skip(f func(byte) bool) int {
	n := 0
	for p.i < len(p.s) && f(p.s[p.i]) {
		p.i++
		n++
	}
	return n
}

func (p *challengeParser) token() string {
	start := p.i
	p.skip(isTchar)
	return p.s[start:p.i]
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// isTchar: RFC 9110 §5.6.2.
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isToken68: RFC 9110 §11.2, without the trailing "=".
func isToken68(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~+/", c) >= 0
}

// isQuotable: qdtext plus '"' and '\', i.e. what a quoted-pair may escape
// (RFC 9110 §5.6.4): HTAB, SP, VCHAR, obs-text.
func isQuotable(c byte) bool { return c == '\t' || (c >= 0x20 && c != 0x7f) }
