package bankapp

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// currency is the only currency the demo bank keeps accounts in.
const currency = "EUR"

// maxTransfer is the largest single transfer the bank accepts. Anything
// larger is refused as a typing mistake before any policy is asked.
var maxTransfer = acr.Amount{Value: "1000000.00", Currency: currency}

// formError is a problem with form input; its text is shown to the user as
// it is.
type formError struct{ text string }

func (e *formError) Error() string { return e.text }

// Errors of parseEUR.
var (
	errAmountMissing  = &formError{"Enter an amount."}
	errAmountFormat   = &formError{"Enter the amount in euros with a dot before the cents, like 120.50: digits only, no sign, spaces or separators."}
	errAmountDecimals = &formError{"Enter at most two decimals: euro amounts have cents, not fractions of a cent."}
	errAmountZero     = &formError{"Enter an amount above 0.00."}
	errAmountTooLarge = &formError{"A single transfer can be at most €1,000,000.00."}
)

// money is an exact amount of euros: whole cents, never a float.
type money struct {
	cents int64
}

// parseEUR reads an amount typed into a form ("120", "120.5", "120.50") as
// an exact decimal: acr.Amount decides what is a well-formed decimal and
// compares it with the limit digit by digit; only a bounded value is turned
// into cents. Signs, exponents, group separators, more than two decimals,
// zero and amounts above maxTransfer are refused.
func parseEUR(s string) (money, *formError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return money{}, errAmountMissing
	}
	a := acr.Amount{Value: s, Currency: currency}
	if a.Validate() != nil {
		return money{}, errAmountFormat
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		return money{}, errAmountDecimals
	}
	if c, err := a.Cmp(maxTransfer); err != nil || c > 0 {
		return money{}, errAmountTooLarge
	}
	// Bounded by maxTransfer: whole has at most 7 significant digits.
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return money{}, errAmountFormat
	}
	f, _ := strconv.ParseInt((frac + "00")[:2], 10, 64)
	m := money{cents: w*100 + f}
	if m.cents == 0 {
		return money{}, errAmountZero
	}
	return m, nil
}

// Decimal is the amount with exactly two decimals, "120.50": the form used
// in authorization_details and the API.
func (m money) Decimal() string {
	sign := ""
	c := m.cents
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// Amount is m as an acr.Amount in EUR.
func (m money) Amount() acr.Amount { return acr.Amount{Value: m.Decimal(), Currency: currency} }

// String formats m for pages: "€1,234.50".
func (m money) String() string {
	sign := ""
	c := m.cents
	if c < 0 {
		sign, c = "−", -c
	}
	whole := strconv.FormatInt(c/100, 10)
	var grouped []byte
	for i, d := range []byte(whole) {
		if i > 0 && (len(whole)-i)%3 == 0 {
			grouped = append(grouped, ',')
		}
		grouped = append(grouped, d)
	}
	return fmt.Sprintf("%s€%s.%02d", sign, grouped, c%100)
}

// ibanLengths is the length of the IBAN of each country whose format the
// bank knows (SWIFT IBAN registry); other countries are checked only
// against the general rules.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28,
	"CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27,
	"GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
	"IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
	"NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19,
	"SK": 24, "SM": 27, "VA": 22,
}

// Errors of parseIBAN.
var (
	errIBANMissing  = &formError{"Enter the payee's IBAN."}
	errIBANFormat   = &formError{"An IBAN starts with two letters for the country and two check digits, followed by letters and digits only."}
	errIBANLength   = &formError{"That IBAN has the wrong length for its country."}
	errIBANChecksum = &formError{"That IBAN is not valid: its check digits don't match. Please check it for typos."}
)

// parseIBAN normalises an IBAN as people type it (spaces, lower case) and
// validates it by ISO 13616: country code, check digits, length (per
// country when known, else 15 to 34 characters) and the mod-97 checksum of
// ISO 7064. It returns the electronic form, upper case without spaces.
func parseIBAN(s string) (string, *formError) {
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return "", errIBANMissing
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return "", errIBANFormat // before ToUpper, which maps "ſ" to "S"
	}
	s = strings.ToUpper(s)
	if len(s) < 15 || len(s) > 34 {
		return "", errIBANLength
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		switch {
		case i < 2 && !letter, i >= 2 && i < 4 && !digit, !letter && !digit:
			return "", errIBANFormat
		}
	}
	if n, ok := ibanLengths[s[:2]]; ok && len(s) != n {
		return "", errIBANLength
	}
	// Move the first four characters to the end, turn letters into 10..35
	// and check that the number is 1 modulo 97.
	var digits strings.Builder
	for _, c := range s[4:] + s[:4] {
		if c >= 'A' {
			digits.WriteString(strconv.Itoa(int(c-'A') + 10))
		} else {
			digits.WriteRune(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok || new(big.Int).Mod(n, big.NewInt(97)).Int64() != 1 {
		return "", errIBANChecksum
	}
	return s, nil
}

// formatIBAN prints an electronic-form IBAN in groups of four, as on paper.
func formatIBAN(iban string) string {
	var b strings.Builder
	for i := 0; i < len(iban); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(iban[i:min(i+4, len(iban))])
	}
	return b.String()
}

// Limits of free text, as SEPA credit transfers have them.
const (
	maxPayeeNameRunes = 70
	maxReferenceRunes = 140
)

// checkText validates free text from a form: at most limit characters of
// valid UTF-8 without control characters; required says whether it may be
// empty. It returns a user-facing problem or "".
func checkText(s, what string, limit int, required bool) string {
	switch n := utf8.RuneCountInString(s); {
	case n == 0 && required:
		return fmt.Sprintf("Enter the %s.", what)
	case n > limit || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl):
		return fmt.Sprintf("The %s can have up to %d characters and no line breaks.", what, limit)
	}
	return ""
}
