package acr_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

var ignoreParams = cmpopts.IgnoreFields(acr.Challenge{}, "Params")

func TestParseChallenge(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		header string
		want   acr.Challenge
	}{
		"RFC 9470 figure 2": {
			header: `Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR"`,
			want:   acr.Challenge{Error: "insufficient_user_authentication", ErrorDescription: "A different authentication level is required", ACRValues: []string{"myACR"}},
		},
		"RFC 9470 figure 3": {
			header: `Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"`,
			want:   acr.Challenge{Error: "insufficient_user_authentication", ErrorDescription: "More recent authentication is required", MaxAge: 5 * time.Second, HasMaxAge: true},
		},
		"RFC 6750 example": {
			header: `Bearer realm="example", error="invalid_token", error_description="The access token expired"`,
			want:   acr.Challenge{Realm: "example", Error: "invalid_token", ErrorDescription: "The access token expired"},
		},
		"bare Bearer":               {header: "Bearer", want: acr.Challenge{}},
		"lower-case scheme, tokens": {header: "bearer ERROR=invalid_token, Max_Age=0", want: acr.Challenge{Error: "invalid_token", HasMaxAge: true}},
		"several acr values": {
			header: "Bearer acr_values=\" urn:a\turn:b  urn:c \"",
			want:   acr.Challenge{ACRValues: []string{"urn:a", "urn:b", "urn:c"}},
		},
		"escapes": {
			header: `Bearer realm="the \"bank\" \\ api", error_description="a\bc"`,
			want:   acr.Challenge{Realm: `the "bank" \ api`, ErrorDescription: "abc"},
		},
		"BWS around equals and odd spacing": {
			header: "Bearer  realm = \"x\" ,, error =invalid_token ,",
			want:   acr.Challenge{Realm: "x", Error: "invalid_token"},
		},
		"other schemes around it (RFC 9110 §11.6.1 example)": {
			header: `Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Bearer scope="read write", error="insufficient_scope", Negotiate abc==`,
			want:   acr.Challenge{Scope: "read write", Error: "insufficient_scope"},
		},
		"token68 scheme before": {
			header: `Negotiate YIIB+w/==, Bearer error_uri="https://rs.example/e", realm=r`,
			want:   acr.Challenge{ErrorURI: "https://rs.example/e", Realm: "r"},
		},
		"first Bearer wins": {
			header: `Bearer realm="one", Bearer realm="two"`,
			want:   acr.Challenge{Realm: "one"},
		},
		"obs-text kept": {
			header: "Bearer realm=\"caf\xc3\xa9\"",
			want:   acr.Challenge{Realm: "café"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := acr.ParseChallenge(tc.header)
			if err != nil {
				t.Fatalf("got error %v, want %+v", err, tc.want)
			}
			if diff := cmp.Diff(tc.want, got, ignoreParams); diff != "" {
				t.Errorf("ParseChallenge(%s) (-want +got):\n%s", tc.header, diff)
			}
		})
	}
}

func TestParseChallengeKeepsParams(t *testing.T) {
	t.Parallel()
	got, err := acr.ParseChallenge(`Bearer Realm="r", resource_metadata="https://rs/.well-known", x=y`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"realm": "r", "resource_metadata": "https://rs/.well-known", "x": "y"}
	if diff := cmp.Diff(want, got.Params); diff != "" {
		t.Errorf("Params (-want +got):\n%s", diff)
	}
}

func TestParseChallengeRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"empty":                       "",
		"only commas":                 " , ,",
		"no Bearer":                   `Basic realm="x"`,
		"param before scheme":         `realm="x", Bearer`,
		"duplicate param":             `Bearer error="a", ERROR="b"`,
		"unterminated":                `Bearer realm="x`,
		"escape at end":               `Bearer realm="x\`,
		"control in quoted-string":    "Bearer realm=\"a\nb\"",
		"escaped control":             "Bearer realm=\"a\\\x01b\"",
		"missing value":               `Bearer error="x", realm=`,
		"missing comma":               `Bearer realm="x" error="y"`,
		"no space after scheme":       `Bearer"x"`,
		"max_age negative":            `Bearer max_age="-1"`,
		"max_age fraction":            `Bearer max_age="1.5"`,
		"max_age empty":               `Bearer max_age=""`,
		"max_age huge":                `Bearer max_age="999999999999"`,
		"max_age too many digits":     `Bearer max_age="0000000000001"`,
		"param after token68":         `Bearer abc=, realm="x"`,
		"too long":                    "Bearer realm=\"" + strings.Repeat("a", 9000) + "\"",
		"malformed after good Bearer": `Bearer realm="x", Basic "y"`,
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := acr.ParseChallenge(h); !errors.Is(err, acr.ErrInvalidChallenge) {
				t.Errorf("ParseChallenge(%q) = %+v, %v; want ErrInvalidChallenge", h, got, err)
			}
		})
	}
}

func TestChallengeString(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		c    acr.Challenge
		want string
	}{
		"bare":  {acr.Challenge{}, "Bearer"},
		"realm": {acr.Challenge{Realm: "bank"}, `Bearer realm="bank"`},
		"step-up": {
			acr.Challenge{Error: "insufficient_user_authentication", ErrorDescription: "A higher authentication level is required", ACRValues: []string{acr.StepUpACR}, MaxAge: 300 * time.Second, HasMaxAge: true},
			`Bearer error="insufficient_user_authentication", error_description="A higher authentication level is required", acr_values="urn:biometric-passkey:acr:step-up", max_age="300"`,
		},
		"max_age zero": {acr.Challenge{HasMaxAge: true}, `Bearer max_age="0"`},
		"escaping":     {acr.Challenge{Realm: "a \"b\" \\c\r\nd\te"}, "Bearer realm=\"a \\\"b\\\" \\\\c  d\te\""},
		"all params": {
			acr.Challenge{Realm: "r", Scope: "s t", Error: "e", ErrorDescription: "d", ErrorURI: "u", ACRValues: []string{"a", "b"}},
			`Bearer realm="r", scope="s t", error="e", error_description="d", error_uri="u", acr_values="a b"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := tc.c.String(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestChallengeAuthorizeParams(t *testing.T) {
	t.Parallel()
	c, err := acr.ParseChallenge(`Bearer error="insufficient_user_authentication", acr_values="urn:biometric-passkey:acr:step-up", max_age="300"`)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Insufficient() {
		t.Errorf("Insufficient() = false, want true")
	}
	want := url.Values{"acr_values": {acr.StepUpACR}, "max_age": {"300"}}
	if diff := cmp.Diff(want, c.AuthorizeParams()); diff != "" {
		t.Errorf("AuthorizeParams (-want +got):\n%s", diff)
	}
}

// FuzzParseChallenge: WWW-Authenticate comes from the network. Parsing never
// panics, fails only with ErrInvalidChallenge, and what it accepts formats
// (String) to a header that parses back to the same challenge.
func FuzzParseChallenge(f *testing.F) {
	for _, seed := range []string{
		`Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR"`,
		`Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"`,
		`Bearer realm="the \"bank\" \\ api", error=invalid_token`,
		`Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Bearer scope="read write"`,
		`Negotiate YIIB+w/==, bearer max_age=0, acr_values="a b"`,
		`Bearer abc=, realm="x"`,
		"Bearer realm=\"caf\xc3\xa9\t\"",
		`Bearer max_age="999999999999"`,
		`, ,Bearer`,
		``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		c, err := acr.ParseChallenge(header)
		if err != nil {
			if !errors.Is(err, acr.ErrInvalidChallenge) {
				t.Fatalf("got %v, want ErrInvalidChallenge", err)
			}
			return
		}
		again, err := acr.ParseChallenge(c.String())
		if err != nil {
			t.Fatalf("String() = %q does not parse: %v", c.String(), err)
		}
		if diff := cmp.Diff(c, again, ignoreParams); diff != "" {
			t.Fatalf("round trip through %q (-first +second):\n%s", c.String(), diff)
		}
	})
}
