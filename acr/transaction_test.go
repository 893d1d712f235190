package acr_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// goldenBytes compares got with testdata/transaction/<name> byte for byte.
func goldenBytes(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "transaction", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./acr -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", path, got, want)
	}
}

func mustParse(t *testing.T, raw string) acr.AuthorizationDetails {
	t.Helper()
	d, err := acr.ParseAuthorizationDetails(raw)
	if err != nil {
		t.Fatalf("ParseAuthorizationDetails(%q): %v", raw, err)
	}
	return d
}

func readPayment(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "transaction", "payment.json"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJCSRFC8785Examples reproduces the examples of RFC 8785 §3.2.2
// (serialisation) and §3.2.3 (sorting by UTF-16 code units).
func TestJCSRFC8785Examples(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"3.2.2_serialisation": {
			in: `{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`,
			want: `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
		},
		"3.2.3_sorting": {
			in: `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`,
			want: "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := acr.CanonicalJSON(tc.in)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if string(got) != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestES6NumberRFC8785AppendixB: the IEEE 754 test values of RFC 8785
// Appendix B.
func TestES6NumberRFC8785AppendixB(t *testing.T) {
	t.Parallel()
	tests := map[uint64]string{
		0x0000000000000000: "0",
		0x8000000000000000: "0",
		0x0000000000000001: "5e-324",
		0x8000000000000001: "-5e-324",
		0x7fefffffffffffff: "1.7976931348623157e+308",
		0xffefffffffffffff: "-1.7976931348623157e+308",
		0x4340000000000000: "9007199254740992",
		0xc340000000000000: "-9007199254740992",
		0x4430000000000000: "295147905179352830000",
		0x44b52d02c7e14af5: "9.999999999999997e+22",
		0x44b52d02c7e14af6: "1e+23",
		0x44b52d02c7e14af7: "1.0000000000000001e+23",
		0x444b1ae4d6e2ef4e: "999999999999999700000",
		0x444b1ae4d6e2ef4f: "999999999999999900000",
		0x444b1ae4d6e2ef50: "1e+21",
		0x3eb0c6f7a0b5ed8c: "9.999999999999997e-7",
		0x3eb0c6f7a0b5ed8d: "0.000001",
		0x41b3de4355555553: "333333333.3333332",
		0x41b3de4355555554: "333333333.33333325",
		0x41b3de4355555555: "333333333.3333333",
		0x41b3de4355555556: "333333333.3333334",
		0x41b3de4355555557: "333333333.33333343",
		0xbecbf647612f3696: "-0.0000033333333333333333",
		0x43143ff3c1cb0959: "1424953923781206.2",
	}
	for bits, want := range tests {
		if got := acr.ES6Number(math.Float64frombits(bits)); got != want {
			t.Errorf("%#016x: got %s, want %s", bits, got, want)
		}
	}
}

// TestES6NumberMatchesEncodingJSON: encoding/json formats float64 "as if by
// ES6 number to string conversion"; the two agree on random finite values.
func TestES6NumberMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		f := math.Float64frombits(r.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) || f == 0 {
			continue
		}
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := acr.ES6Number(f); got != string(want) {
			t.Fatalf("%#016x: got %s, want %s", math.Float64bits(f), got, want)
		}
	}
}

// TestPaymentGolden pins the canonical bytes and hash of an RFC 9396
// payment_initiation example.
func TestPaymentGolden(t *testing.T) {
	t.Parallel()
	d := mustParse(t, readPayment(t))
	goldenBytes(t, "payment.canonical.golden", d.Canonical())
	h := d.Hash()
	goldenBytes(t, "payment.sha256.golden", []byte(hex.EncodeToString(h[:])+"\n"))
	if got, want := h, sha256.Sum256(d.Canonical()); got != want {
		t.Errorf("got hash %x, want SHA-256 of Canonical %x", got, want)
	}
	got := d[0]
	if got.Type != "payment_initiation" || got.Identifier != "" {
		t.Errorf("got type %q identifier %q, want payment_initiation and none", got.Type, got.Identifier)
	}
	if diff := cmp.Diff([]string{"initiate", "status", "cancel"}, got.Actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"https://example.com/payments"}, got.Locations); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
	wantAmount := map[string]any{"currency": "EUR", "amount": "123.50"}
	if diff := cmp.Diff(wantAmount, got.Members["instructedAmount"]); diff != "" {
		t.Errorf("instructedAmount (-want +got):\n%s", diff)
	}
}

func TestParseAuthorizationDetailsRejects(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, want string }{
		"empty":                 {``, "empty"},
		"not_array":             {`{"type":"a"}`, "must be a JSON array"},
		"empty_array":           {`[]`, "empty array"},
		"element_not_object":    {`["a"]`, "[0]: is not an object"},
		"type_missing":          {`[{"a":1}]`, `"type" is missing`},
		"type_null":             {`[{"type":null}]`, `"type" is missing or null`},
		"type_empty":            {`[{"type":""}]`, `"type" is empty`},
		"type_number":           {`[{"type":1}]`, `"type" is not a string`},
		"second_element_bad":    {`[{"type":"a"},{}]`, "[1]: "},
		"duplicate_top_level":   {`[{"type":"a","type":"b"}]`, `duplicate member name "type"`},
		"duplicate_nested":      {`[{"type":"a","x":{"amount":"1","amount":"2"}}]`, `duplicate member name "amount"`},
		"duplicate_in_array":    {`[{"type":"a","x":[{"k":1,"k":1}]}]`, `duplicate member name "k"`},
		"duplicate_via_escape":  {`[{"type":"a","\u0074ype":"b"}]`, `duplicate member name "type"`},
		"trailing_data":         {`[{"type":"a"}] x`, "data after"},
		"second_value":          {`[{"type":"a"}][]`, "data after"},
		"trailing_comma":        {`[{"type":"a"},]`, "invalid character"},
		"unterminated":          {`[{"type":"a"}`, "EOF"},
		"leading_zero":          {`[{"type":"a","n":01}]`, "invalid character"},
		"number_trailing_zero":  {`[{"type":"a","amount":123.50}]`, "not in canonical form (it would become 123.5)"},
		"number_exponent":       {`[{"type":"a","n":1E3}]`, "would become 1000"},
		"number_negative_zero":  {`[{"type":"a","n":-0}]`, "would become 0"},
		"number_beyond_float64": {`[{"type":"a","n":9007199254740993}]`, "would become 9007199254740992"},
		"number_out_of_range":   {`[{"type":"a","n":1e400}]`, "out of range"},
		"locations_not_array":   {`[{"type":"a","locations":"x"}]`, `"locations" is not an array of strings`},
		"actions_number":        {`[{"type":"a","actions":[1]}]`, `"actions" is not an array of strings`},
		"identifier_number":     {`[{"type":"a","identifier":1}]`, `"identifier" is not a string`},
		"invalid_utf8":          {"[{\"type\":\"a\xff\"}]", "UTF-8"},
		"lone_high_surrogate":   {`[{"type":"\ud83d"}]`, "surrogate"},
		"lone_low_surrogate":    {`[{"type":"\ude00x"}]`, "surrogate"},
		"reversed_surrogates":   {`[{"type":"\ude00\ud83d"}]`, "surrogate"},
		"too_many":              {"[" + strings.Repeat(`{"type":"a"},`, 16) + `{"type":"a"}]`, "more than 16 elements"},
		"too_deep":              {`[{"type":"a","x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}]`, "nested deeper"},
		"too_long":              {`[{"type":"` + strings.Repeat("a", 8<<10) + `"}]`, "longer than 8192 bytes"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := acr.ParseAuthorizationDetails(tc.in)
			if !errors.Is(err, acr.ErrInvalidRequest) {
				t.Fatalf("got %v, %v, want ErrInvalidRequest", d, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestParseAuthorizationDetailsAccepts(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ in, canonical string }{
		"minimal":         {`[{"type":"a"}]`, `[{"type":"a"}]`},
		"common_fields":   {`[{"type":"a","identifier":"id","privileges":[],"datatypes":["x"]}]`, `[{"datatypes":["x"],"identifier":"id","privileges":[],"type":"a"}]`},
		"canonical_nums":  {`[{"type":"a","n":[0,-1,1.5,1e+21,1e-7,0.000001,123]}]`, `[{"n":[0,-1,1.5,1e+21,1e-7,0.000001,123],"type":"a"}]`},
		"literals":        {`[{"type":"a","x":[null,true,false,{}]}]`, `[{"type":"a","x":[null,true,false,{}]}]`},
		"several":         {` [ {"type":"b"} , {"type":"a"} ] `, `[{"type":"b"},{"type":"a"}]`},
		"escapes":         {`[{"type":"\u0061\/\"\\\b\f\n\r\t\u0001\u001F\u007f\u00e9\u20AC\ud83d\ude00"}]`, "[{\"type\":\"a/\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u007fé€😀\"}]"},
		"raw_utf8":        {"[{\"type\":\"é€😀\u2028\"}]", "[{\"type\":\"é€😀\u2028\"}]"},
		"utf16_key_order": {`[{"type":"a","\ufb33":1,"\ud83d\ude00":2,"z":3,"Z":4}]`, "[{\"Z\":4,\"type\":\"a\",\"z\":3,\"😀\":2,\"\ufb33\":1}]"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := mustParse(t, tc.in)
			if got := string(d.Canonical()); got != tc.canonical {
				t.Errorf("got %s, want %s", got, tc.canonical)
			}
		})
	}
}

// TestHashIgnoresFormatting: reordering members or changing whitespace and
// escapes leaves the hash alone; element order and any value do not.
func TestHashIgnoresFormatting(t *testing.T) {
	t.Parallel()
	base := mustParse(t, readPayment(t)).Hash()
	same := map[string]string{
		"compact":   `[{"type":"payment_initiation","locations":["https://example.com/payments"],"actions":["initiate","status","cancel"],"instructedAmount":{"currency":"EUR","amount":"123.50"},"creditorName":"Merchant A","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Ref Number Merchant"}]`,
		"reordered": "[{\"remittanceInformationUnstructured\":\"Ref Number Merchant\",\n\t\"creditorAccount\":{\"iban\":\"DE02100100109307118603\"},\"creditorName\":\"Merchant A\",\"instructedAmount\":{\"amount\":\"123.50\",\"currency\":\"EUR\"},\"actions\":[\"initiate\",\"status\",\"cancel\"],\"locations\":[\"https://example.com/payments\"],\"type\":\"payment_initiation\"}]\r\n",
		"escaped":   `[{"type":"payment_initiation","locations":["https:\/\/example.com\/payments"],"actions":["initiate","status","cancel"],"instructedAmount":{"currency":"\u0045UR","amount":"123\u002e50"},"creditorName":"Merchant A","creditorAccount":{"iban":"DE02100100109307118603"},"remittanceInformationUnstructured":"Ref Number Merchant"}]`,
	}
	for name, raw := range same {
		t.Run("same_"+name, func(t *testing.T) {
			t.Parallel()
			if got := mustParse(t, raw).Hash(); got != base {
				t.Errorf("got %x, want %x", got, base)
			}
		})
	}
	payment := readPayment(t)
	different := map[string]string{
		"amount_digit":    strings.Replace(payment, `"123.50"`, `"123.51"`, 1),
		"amount_trailing": strings.Replace(payment, `"123.50"`, `"123.5"`, 1),
		"currency":        strings.Replace(payment, `"EUR"`, `"EUS"`, 1),
		"iban":            strings.Replace(payment, `9307118603`, `9307118604`, 1),
		"action_order":    strings.Replace(payment, `"initiate", "status"`, `"status", "initiate"`, 1),
		"extra_member":    strings.Replace(payment, `"creditorName"`, `"x": null, "creditorName"`, 1),
	}
	for name, raw := range different {
		t.Run("different_"+name, func(t *testing.T) {
			t.Parallel()
			if raw == payment {
				t.Fatal("replacement did not apply")
			}
			if got := mustParse(t, raw).Hash(); got == base {
				t.Errorf("got the payment's hash %x, want a different one", got)
			}
		})
	}
}

func TestBindChallenge(t *testing.T) {
	t.Parallel()
	details := mustParse(t, readPayment(t))
	other := mustParse(t, strings.Replace(readPayment(t), `"123.50"`, `"923.50"`, 1))
	random := bytes.Repeat([]byte{0xA5}, acr.ChallengeRandomLen)
	c, err := acr.BindChallenge(random, details)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	h := details.Hash()
	if got, want := c, append(bytes.Clone(random), h[:]...); !bytes.Equal(got, want) {
		t.Errorf("got challenge %x, want %x", got, want)
	}
	random[0] = 0 // the challenge must not alias the caller's slice
	if c[0] != 0xA5 {
		t.Errorf("got first byte %#x after changing the input, want 0xa5", c[0])
	}
	tests := map[string]struct {
		challenge []byte
		details   acr.AuthorizationDetails
		want      bool
	}{
		"bound":          {c, details, true},
		"other_details":  {c, other, false},
		"no_details":     {c, nil, false},
		"hash_only":      {h[:], details, false},
		"short":          {c[:len(c)-1], details, false},
		"long":           {append(bytes.Clone(c), 0), details, false},
		"flipped_suffix": {append(bytes.Clone(c[:len(c)-1]), c[len(c)-1]^1), details, false},
		"other_random":   {append(make([]byte, acr.ChallengeRandomLen), h[:]...), details, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := acr.ChallengeCommitsTo(tc.challenge, tc.details); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBindChallengeRejects(t *testing.T) {
	t.Parallel()
	details := mustParse(t, `[{"type":"a"}]`)
	tests := map[string]struct {
		random  []byte
		details acr.AuthorizationDetails
	}{
		"no_random":    {nil, details},
		"16_bytes":     {make([]byte, 16), details},
		"31_bytes":     {make([]byte, 31), details},
		"33_bytes":     {make([]byte, 33), details},
		"no_details":   {make([]byte, 32), nil},
		"empty_detail": {make([]byte, 32), acr.AuthorizationDetails{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := acr.BindChallenge(tc.random, tc.details); err == nil {
				t.Errorf("got %x, nil, want an error", got)
			}
		})
	}
}

// FuzzParseAuthorizationDetails: the details come from the browser through
// Hydra. Parsing never panics and fails only with ErrInvalidRequest; what it
// accepts canonicalises idempotently, and its canonical form parses again.
func FuzzParseAuthorizationDetails(f *testing.F) {
	payment, err := os.ReadFile(filepath.Join("testdata", "transaction", "payment.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(payment),
		`[{"type":"a"}]`,
		`[{"type":"a","type":"b"}]`,
		`[{"type":"a","n":[1.5,1e+21,-0,1E3]}]`,
		`[{"type":"\u20ac\ud83d\ude00\u0000","\ufb33":{"\r":[null,true,false]}}]`,
		`[{"type":"\ud83d"}]`,
		`[{"type":"a"}] []`,
		`{}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		d, err := acr.ParseAuthorizationDetails(raw)
		if err != nil {
			if !errors.Is(err, acr.ErrInvalidRequest) {
				t.Fatalf("got %v, want ErrInvalidRequest", err)
			}
			return
		}
		c := d.Canonical()
		again, err := acr.ParseAuthorizationDetails(string(c))
		if err != nil {
			t.Fatalf("canonical form %q does not parse: %v", c, err)
		}
		if c2 := again.Canonical(); !bytes.Equal(c2, c) {
			t.Fatalf("got %q after re-canonicalising, want %q", c2, c)
		}
		if again.Hash() != d.Hash() {
			t.Fatal("hash changed after re-canonicalising")
		}
		if !json.Valid(c) {
			t.Fatalf("canonical form %q is not valid JSON", c)
		}
	})
}
