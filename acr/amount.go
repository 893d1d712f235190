package acr

import (
	"errors"
	"fmt"
	"strings"
)

// Amount is a sum of money as configuration and resource servers state it:
// an exact decimal string and an ISO 4217 alphabetic currency code.
//
// Value is digits with an optional fractional part ("1000", "1000.00",
// "0.5"): no sign, exponent, spaces, group separators or leading/trailing
// dot, at most maxAmountLen bytes. It is compared exactly, digit by digit,
// never through a float, so "1000.00" equals "1000" and "1000.01" is above
// both. Currency is three upper-case ASCII letters ("EUR"); amounts in
// different currencies are never compared.
type Amount struct {
	Value    string `yaml:"value"`
	Currency string `yaml:"currency"`
}

// Errors about amounts.
var (
	// ErrInvalidAmount: the value or currency is malformed.
	ErrInvalidAmount = errors.New("invalid amount")
	// ErrCurrencyMismatch: two amounts in different currencies were compared.
	ErrCurrencyMismatch = errors.New("amounts are in different currencies")
)

// maxAmountLen bounds Value; a longer value is rejected, not processed.
const maxAmountLen = 64

// String formats the amount as "1000.00 EUR".
func (a Amount) String() string { return a.Value + " " + a.Currency }

// Validate reports whether the value and the currency are well formed.
func (a Amount) Validate() error {
	_, err := a.parse()
	return err
}

// Cmp compares a with b exactly: -1 if a < b, 0 if equal, +1 if a > b.
// Both must be valid and in the same currency.
func (a Amount) Cmp(b Amount) (int, error) {
	da, err := a.parse()
	if err != nil {
		return 0, err
	}
	db, err := b.parse()
	if err != nil {
		return 0, err
	}
	if a.Currency != b.Currency {
		return 0, fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, a.Currency, b.Currency)
	}
	return da.cmp(db), nil
}

// decimal is a non-negative decimal number in canonical form: the integer
// digits without leading zeros and the fraction digits without trailing
// zeros, so that equal numbers have equal representations.
type decimal struct{ whole, frac string }

func (a Amount) parse() (decimal, error) {
	if err := validCurrency(a.Currency); err != nil {
		return decimal{}, err
	}
	return parseDecimal(a.Value)
}

func validCurrency(c string) error {
	if len(c) != 3 || !isUpper(c[0]) || !isUpper(c[1]) || !isUpper(c[2]) {
		return fmt.Errorf("%w: currency must be an ISO 4217 code of three upper-case letters, got %q", ErrInvalidAmount, c)
	}
	return nil
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }

func parseDecimal(s string) (decimal, error) {
	if len(s) > maxAmountLen {
		return decimal{}, fmt.Errorf("%w: value is longer than %d bytes", ErrInvalidAmount, maxAmountLen)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if !allDigits(whole) || (hasDot && !allDigits(frac)) {
		return decimal{}, fmt.Errorf("%w: value must be digits with an optional fractional part, like \"1000.00\", got %q", ErrInvalidAmount, s)
	}
	return decimal{whole: strings.TrimLeft(whole, "0"), frac: strings.TrimRight(frac, "0")}, nil
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cmp compares canonical decimals: more integer digits is larger; equal
// lengths compare digit by digit; fractions, without trailing zeros, compare
// lexicographically ("5" > "45" as 0.5 > 0.45, "4" < "45" as 0.4 < 0.45).
func (d decimal) cmp(e decimal) int {
	switch {
	case len(d.whole) != len(e.whole):
		return sign(len(d.whole) - len(e.whole))
	case d.whole != e.whole:
		return strings.Compare(d.whole, e.whole)
	}
	return strings.Compare(d.frac, e.frac)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
