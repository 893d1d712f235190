package bankapp

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

func TestParseEUR(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    string // Decimal(); "" when refused
		wantErr *formError
	}{
		"whole euros":              {in: "100", want: "100.00"},
		"two decimals":             {in: "100.00", want: "100.00"},
		"one decimal":              {in: "0.5", want: "0.50"},
		"one cent":                 {in: "0.01", want: "0.01"},
		"surrounding spaces":       {in: "  12.30 ", want: "12.30"},
		"leading zeros":            {in: "0007.10", want: "7.10"},
		"trailing zero decimals":   {in: "7.1", want: "7.10"},
		"the limit":                {in: "1000000.00", want: "1000000.00"},
		"empty":                    {in: " ", wantErr: errAmountMissing},
		"negative":                 {in: "-5.00", wantErr: errAmountFormat},
		"plus sign":                {in: "+5", wantErr: errAmountFormat},
		"exponent":                 {in: "1e3", wantErr: errAmountFormat},
		"group separator":          {in: "1,000.00", wantErr: errAmountFormat},
		"decimal comma":            {in: "12,50", wantErr: errAmountFormat},
		"inner space":              {in: "1 000", wantErr: errAmountFormat},
		"leading dot":              {in: ".5", wantErr: errAmountFormat},
		"trailing dot":             {in: "5.", wantErr: errAmountFormat},
		"currency sign":            {in: "€5", wantErr: errAmountFormat},
		"NaN":                      {in: "NaN", wantErr: errAmountFormat},
		"three decimals":           {in: "12.345", wantErr: errAmountDecimals},
		"three zero decimals":      {in: "12.000", wantErr: errAmountDecimals},
		"zero":                     {in: "0", wantErr: errAmountZero},
		"zero with cents":          {in: "0.00", wantErr: errAmountZero},
		"one cent over the limit":  {in: "1000000.01", wantErr: errAmountTooLarge},
		"huge":                     {in: "99999999999999999999999999999999", wantErr: errAmountTooLarge},
		"longer than acr.Amount's": {in: strings.Repeat("9", 65), wantErr: errAmountFormat},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseEUR(tc.in)
			if err != tc.wantErr {
				t.Fatalf("parseEUR(%q): got error %v, want %v", tc.in, err, tc.wantErr)
			}
			if err == nil && got.Decimal() != tc.want {
				t.Errorf("parseEUR(%q): got %s, want %s", tc.in, got.Decimal(), tc.want)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	tests := map[int64]string{0: "€0.00", 5: "€0.05", 123456: "€1,234.56", 100000000: "€1,000,000.00", -250: "−€2.50"}
	for cents, want := range tests {
		if got := (money{cents: cents}).String(); got != want {
			t.Errorf("money{%d}.String(): got %q, want %q", cents, got, want)
		}
	}
}

func TestParseIBAN(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		in      string
		want    string
		wantErr *formError
	}{
		"German, grouped":          {in: "DE89 3704 0044 0532 0130 00", want: "DE89370400440532013000"},
		"RFC 9396 example":         {in: "DE02100100109307118603", want: "DE02100100109307118603"},
		"British, lower case":      {in: "gb82 west 1234 5698 7654 32", want: "GB82WEST12345698765432"},
		"Dutch":                    {in: "NL91ABNA0417164300", want: "NL91ABNA0417164300"},
		"Norwegian, shortest":      {in: "NO9386011117947", want: "NO9386011117947"},
		"empty":                    {in: "  ", wantErr: errIBANMissing},
		"one digit changed":        {in: "DE89 3704 0044 0532 0130 01", wantErr: errIBANChecksum},
		"two digits swapped":       {in: "DE89 3704 0044 0532 0131 00", wantErr: errIBANChecksum},
		"check digits changed":     {in: "DE88 3704 0044 0532 0130 00", wantErr: errIBANChecksum},
		"too short for Germany":    {in: "DE89 3704 0044 0532 0130 0", wantErr: errIBANLength},
		"too short for any":        {in: "DE8937040044", wantErr: errIBANLength},
		"too long for any":         {in: "DE89" + strings.Repeat("0", 31), wantErr: errIBANLength},
		"digit in country":         {in: "D189 3704 0044 0532 0130 00", wantErr: errIBANFormat},
		"letter in check digits":   {in: "DEX9 3704 0044 0532 0130 00", wantErr: errIBANFormat},
		"dashes":                   {in: "DE89-3704-0044-0532-0130-00", wantErr: errIBANFormat},
		"non-ASCII":                {in: "DE89 3704 0044 0532 0130 0é", wantErr: errIBANFormat},
		"long s upper-cases to S":  {in: "gb82 weſt 1234 5698 7654 32", wantErr: errIBANFormat},
		"unknown country, checked": {in: "XK051212012345678906", want: "XK051212012345678906"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseIBAN(tc.in)
			if err != tc.wantErr {
				t.Fatalf("parseIBAN(%q): got error %v, want %v", tc.in, err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("parseIBAN(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got, want := formatIBAN("DE89370400440532013000"), "DE89 3704 0044 0532 0130 00"; got != want {
		t.Errorf("formatIBAN: got %q, want %q", got, want)
	}
}

func TestDefaultPolicyByAmount(t *testing.T) {
	t.Parallel()
	p, err := newPolicy(DefaultPolicy())
	if err != nil {
		t.Fatalf("newPolicy(DefaultPolicy()): %v", err)
	}
	routine := acr.AuthRequirement{ACR: acr.RoutineACR}
	stepUp := acr.AuthRequirement{ACR: acr.StepUpACR, MaxAge: 5 * time.Minute, HasMaxAge: true}
	tests := map[string]struct {
		action string
		amount string // "" for none
		want   acr.AuthRequirement
	}{
		"one cent":           {actionTransfer, "0.01", routine},
		"100 without cents":  {actionTransfer, "100", routine},
		"exactly 100.00":     {actionTransfer, "100.00", routine},
		"100.01":             {actionTransfer, "100.01", stepUp},
		"100.10":             {actionTransfer, "100.10", stepUp},
		"the transfer limit": {actionTransfer, "1000000.00", stepUp},
		"add a payee":        {actionAddPayee, "", stepUp},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var amount *acr.Amount
			if tc.amount != "" {
				m, ferr := parseEUR(tc.amount)
				if ferr != nil {
					t.Fatalf("parseEUR(%q): %v", tc.amount, ferr)
				}
				a := m.Amount()
				amount = &a
			}
			got, err := p.Requirement(tc.action, amount)
			if err != nil {
				t.Fatalf("Requirement(%q, %v): %v", tc.action, amount, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Requirement(%q, %v) (-want +got):\n%s", tc.action, amount, diff)
			}
		})
	}
}

func TestNewRefusesPolicyWithoutTheBanksActions(t *testing.T) {
	t.Parallel()
	_, err := newPolicy(acr.PolicyConfig{Actions: []acr.ActionRule{{Name: "view-balance", ACR: "routine"}}})
	for _, action := range []string{actionTransfer, actionAddPayee} {
		if err == nil || !strings.Contains(err.Error(), `"`+action+`"`) {
			t.Errorf("newPolicy without %q: got %v, want an error naming it", action, err)
		}
	}
}

func FuzzParseEUR(f *testing.F) {
	for _, s := range []string{"100", "100.00", "0.01", "-5", "1e3", "12.345", "1000000.01", "١٢", " 7.1 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseEUR(s)
		if err != nil {
			return
		}
		if m.cents <= 0 || m.cents > 100_000_000 {
			t.Fatalf("parseEUR(%q): got %d cents, want 1 to 100000000", s, m.cents)
		}
		again, err := parseEUR(m.Decimal())
		if err != nil || again != m {
			t.Fatalf("parseEUR(%q) = %s, which parses to %v, %v", s, m.Decimal(), again, err)
		}
	})
}

func FuzzParseIBAN(f *testing.F) {
	for _, s := range []string{"DE89 3704 0044 0532 0130 00", "gb82 west 1234 5698 7654 32", "XK051212012345678906", "DE89-3704", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		iban, err := parseIBAN(s)
		if err != nil {
			return
		}
		if len(iban) < 15 || len(iban) > 34 {
			t.Fatalf("parseIBAN(%q): got %q, want 15 to 34 characters", s, iban)
		}
		if again, err := parseIBAN(formatIBAN(iban)); err != nil || again != iban {
			t.Fatalf("parseIBAN(formatIBAN(%q)): got %q, %v", iban, again, err)
		}
	})
}
