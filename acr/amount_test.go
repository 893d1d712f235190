package acr_test

import (
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

func TestAmountCmp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1000", "1000.00", 0},
		{"0", "0.000", 0},
		{"000", "0", 0},
		{"999.99", "1000", -1},
		{"1000.01", "1000", 1},
		{"0.5", "0.45", 1},
		{"0.4", "0.45", -1},
		{"10", "9.999999", 1},
		{"12345678901234567890.1", "12345678901234567890.09", 1},
	}
	for _, tc := range tests {
		got, err := eur(tc.a).Cmp(*eur(tc.b))
		if err != nil || got != tc.want {
			t.Errorf("Cmp(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
	if _, err := eur("1").Cmp(acr.Amount{Value: "1", Currency: "USD"}); !errors.Is(err, acr.ErrCurrencyMismatch) {
		t.Errorf("EUR vs USD: got %v, want ErrCurrencyMismatch", err)
	}
	for _, bad := range []string{"", ".", "1.", ".1", "+1", "-1", "1e3", " 1", "1 ", "1_000", "١", strings.Repeat("9", 65)} {
		if err := eur(bad).Validate(); !errors.Is(err, acr.ErrInvalidAmount) {
			t.Errorf("Validate(%q) = %v, want ErrInvalidAmount", bad, err)
		}
	}
}

// amountSyntax is the documented grammar, checked independently of the parser.
var amountSyntax = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// FuzzAmount: amounts come from requests. Validate accepts exactly the
// documented grammar, and Cmp agrees with exact rational arithmetic.
func FuzzAmount(f *testing.F) {
	for _, seed := range [][2]string{
		{"1000", "1000.00"}, {"999.99", "1000"}, {"1000.01", "1000"}, {"0.5", "0.45"},
		{"00", "0.0"}, {"1e3", "1000"}, {"-1", "1"}, {".5", "5."}, {"1,000", "١"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := acr.Amount{Value: a, Currency: "EUR"}, acr.Amount{Value: b, Currency: "EUR"}
		errA := x.Validate()
		if wantOK := amountSyntax.MatchString(a) && len(a) <= 64; (errA == nil) != wantOK {
			t.Fatalf("Validate(%q) = %v, want ok=%v", a, errA, wantOK)
		}
		if errA != nil && !errors.Is(errA, acr.ErrInvalidAmount) {
			t.Fatalf("Validate(%q) = %v, want ErrInvalidAmount", a, errA)
		}
		got, err := x.Cmp(y)
		if errA != nil || y.Validate() != nil {
			if !errors.Is(err, acr.ErrInvalidAmount) {
				t.Fatalf("Cmp(%q, %q) = %d, %v; want ErrInvalidAmount", a, b, got, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("Cmp(%q, %q): %v", a, b, err)
		}
		ra, okA := new(big.Rat).SetString(a)
		rb, okB := new(big.Rat).SetString(b)
		if !okA || !okB {
			t.Fatalf("big.Rat rejects %q or %q that Validate accepts", a, b)
		}
		if want := ra.Cmp(rb); got != want {
			t.Fatalf("Cmp(%q, %q) = %d, want %d", a, b, got, want)
		}
		if back, _ := y.Cmp(x); back != -got {
			t.Fatalf("Cmp(%q, %q) = %d but Cmp(%q, %q) = %d", a, b, got, b, a, back)
		}
	})
}
