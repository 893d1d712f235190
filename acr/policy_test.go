package acr_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

func eur(v string) *acr.Amount { return &acr.Amount{Value: v, Currency: "EUR"} }

// bankPolicy is the demo bank's policy: routine for looking and for small
// transfers, step-up within 5 minutes above 1,000 EUR, within 1 minute above
// 10,000 EUR; in USD, step-up above 1,000.
func bankPolicy(t *testing.T) *acr.Policy {
	t.Helper()
	p, err := acr.NewPolicy(acr.PolicyConfig{Actions: []acr.ActionRule{
		{Name: "view-balance", ACR: "routine"},
		{Name: "transfer", ACR: "step-up", MaxAge: time.Minute, Above: eur("10000")},
		{Name: "transfer", ACR: acr.RoutineACR},
		{Name: "transfer", ACR: "step-up", MaxAge: 5 * time.Minute, Above: eur("1000.00")},
		{Name: "transfer", ACR: acr.StepUpACR, MaxAge: 5 * time.Minute, Above: &acr.Amount{Value: "1000", Currency: "USD"}},
		{Name: "close-account", ACR: "step-up", MaxAge: 2 * time.Minute},
	}}, acr.DefaultLadder())
	if err != nil {
		t.Fatalf("NewPolicy: %v", err)
	}
	return p
}

func TestPolicyRequirement(t *testing.T) {
	t.Parallel()
	p := bankPolicy(t)
	routine := acr.AuthRequirement{ACR: acr.RoutineACR}
	stepUp5 := acr.AuthRequirement{ACR: acr.StepUpACR, MaxAge: 5 * time.Minute, HasMaxAge: true}
	stepUp1 := acr.AuthRequirement{ACR: acr.StepUpACR, MaxAge: time.Minute, HasMaxAge: true}
	tests := map[string]struct {
		action  string
		amount  *acr.Amount
		want    acr.AuthRequirement
		wantErr error
	}{
		"no thresholds":                 {action: "view-balance", want: routine},
		"no thresholds ignores amount":  {action: "view-balance", amount: eur("5000"), want: routine},
		"no thresholds with max_age":    {action: "close-account", want: acr.AuthRequirement{ACR: acr.StepUpACR, MaxAge: 2 * time.Minute, HasMaxAge: true}},
		"zero":                          {action: "transfer", amount: eur("0"), want: routine},
		"below first threshold":         {action: "transfer", amount: eur("999.99"), want: routine},
		"at first threshold":            {action: "transfer", amount: eur("1000"), want: routine},
		"at first threshold, padded":    {action: "transfer", amount: eur("0001000.0000"), want: routine},
		"just above first threshold":    {action: "transfer", amount: eur("1000.000000001"), want: stepUp5},
		"above first threshold":         {action: "transfer", amount: eur("1000.01"), want: stepUp5},
		"at second threshold":           {action: "transfer", amount: eur("10000.00"), want: stepUp5},
		"above second threshold":        {action: "transfer", amount: eur("10000.01"), want: stepUp1},
		"far above":                     {action: "transfer", amount: eur("99999999999999999999999999"), want: stepUp1},
		"other currency at threshold":   {action: "transfer", amount: &acr.Amount{Value: "1000", Currency: "USD"}, want: routine},
		"other currency above":          {action: "transfer", amount: &acr.Amount{Value: "1000.01", Currency: "USD"}, want: stepUp5},
		"currency without threshold":    {action: "transfer", amount: &acr.Amount{Value: "1", Currency: "GBP"}, wantErr: acr.ErrCurrencyNotCovered},
		"amount missing":                {action: "transfer", wantErr: acr.ErrAmountRequired},
		"unknown action":                {action: "delete-bank", wantErr: acr.ErrUnknownAction},
		"unknown action with amount":    {action: "delete-bank", amount: eur("1"), wantErr: acr.ErrUnknownAction},
		"group separator":               {action: "transfer", amount: eur("1,000"), wantErr: acr.ErrInvalidAmount},
		"negative":                      {action: "transfer", amount: eur("-5"), wantErr: acr.ErrInvalidAmount},
		"exponent":                      {action: "transfer", amount: eur("1e9"), wantErr: acr.ErrInvalidAmount},
		"lower-case currency":           {action: "transfer", amount: &acr.Amount{Value: "5", Currency: "eur"}, wantErr: acr.ErrInvalidAmount},
		"malformed even if unpriced":    {action: "view-balance", amount: eur(".5"), wantErr: acr.ErrInvalidAmount},
		"action name is case-sensitive": {action: "Transfer", amount: eur("5"), wantErr: acr.ErrUnknownAction},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := p.Requirement(tc.action, tc.amount)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("got error %v, want %v", err, tc.wantErr)
				}
				if got != (acr.AuthRequirement{}) {
					t.Errorf("got requirement %+v with an error, want the zero value", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want %+v", err, tc.want)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Requirement (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewPolicyReportsEveryProblem: one error, every problem, each naming
// its field; the full text is pinned in testdata/policy/invalid.golden.
func TestNewPolicyReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := acr.NewPolicy(acr.PolicyConfig{Actions: []acr.ActionRule{
		{Name: "", ACR: "routine"},                                                                              // 0
		{Name: "pay", ACR: "gold"},                                                                              // 1
		{Name: "pay", ACR: "routine", MaxAge: -time.Second},                                                     // 2
		{Name: "pay", ACR: "step-up", MaxAge: 1500 * time.Millisecond, Above: eur("1e3")},                       // 3
		{Name: "pay", ACR: "step-up", Above: &acr.Amount{Value: "100", Currency: "eur"}},                        // 4
		{Name: "pay", ACR: "step-up", MaxAge: 5 * time.Minute, Above: eur("500")},                               // 5
		{Name: "pay", ACR: "step-up", MaxAge: 5 * time.Minute, Above: eur("500.00")},                            // 6
		{Name: "pay", ACR: "routine", Above: eur("900")},                                                        // 7
		{Name: "refund", ACR: "step-up", Above: eur("10")},                                                      // 8
		{Name: "x y", ACR: "routine"},                                                                           // 9
		{Name: "wire", ACR: "routine", MaxAge: 200 * 365 * 24 * time.Hour},                                      // 10
		{Name: "refund", ACR: "step-up", MaxAge: time.Minute, Above: &acr.Amount{Value: "20", Currency: "EUR"}}, // 11
	}}, acr.DefaultLadder())
	if !errors.Is(err, acr.ErrInvalidPolicy) {
		t.Fatalf("got %v, want ErrInvalidPolicy", err)
	}
	for _, want := range []string{
		"actions[0].name",
		`actions[1].acr: "gold"`,
		"actions[2].max_age: must not be negative",
		"actions[2]: duplicates actions[1]",
		"actions[3].max_age: must be a whole number of seconds",
		"actions[3].above.value",
		"actions[4].above.currency",
		"actions[6].above: overlaps actions[5]",
		`actions[7].acr: action "pay" would need "urn:biometric-passkey:acr:routine" above 900 EUR, less than the "urn:biometric-passkey:acr:step-up" actions[5] needs above 500 EUR`,
		"actions[7].max_age",
		`actions[8], actions[11]: action "refund" has no rule without above`,
		"actions[9].name",
		"actions[10].max_age: must be at most",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s:\n%v", want, err)
		}
	}
	golden(t, "policy/invalid", strings.Split(err.Error(), "\n"))

	if _, err := acr.NewPolicy(acr.PolicyConfig{}, acr.DefaultLadder()); !errors.Is(err, acr.ErrInvalidPolicy) {
		t.Errorf("empty policy: got %v, want ErrInvalidPolicy", err)
	}
	if _, err := acr.NewPolicy(acr.PolicyConfig{Actions: []acr.ActionRule{{Name: "a", ACR: "routine"}}}, nil); !errors.Is(err, acr.ErrInvalidPolicy) {
		t.Errorf("no ladder: got %v, want ErrInvalidPolicy", err)
	}
}

// TestNewPolicyCopiesConfig: changing the config afterwards changes nothing.
func TestNewPolicyCopiesConfig(t *testing.T) {
	t.Parallel()
	above := eur("100")
	cfg := acr.PolicyConfig{Actions: []acr.ActionRule{
		{Name: "pay", ACR: "routine"},
		{Name: "pay", ACR: "step-up", Above: above},
	}}
	p, err := acr.NewPolicy(cfg, acr.DefaultLadder())
	if err != nil {
		t.Fatal(err)
	}
	above.Value = "1000000"
	cfg.Actions[1].ACR = "routine"
	got, err := p.Requirement("pay", eur("101"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ACR != acr.StepUpACR {
		t.Errorf("got %s, want %s", got.ACR, acr.StepUpACR)
	}
}
