package hydra

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/biometric-passkey/biometric-passkey/acr"
)

// The sign-in page shows the RFC 9396 authorization_details the passkey
// will approve (ADR 0005: the page shows them, the challenge commits to
// their hash). They are read on the server from Hydra's request_url, with
// the same strict parser the plugin binds the challenge with, and rendered
// by html/template, so what the user sees is what gets signed, and nothing
// a client renders is trusted.

// detailView is one authorization detail on the sign-in page.
type detailView struct {
	Type string
	// Summary is a one-line reading of a known type, e.g. for
	// payment_initiation "Pay €123.50 to Merchant A (DE02…)"; empty for
	// other types.
	Summary   string
	Reference string // payment_initiation: remittance information
	// Fields are every member, flattened to dotted names in sorted order.
	Fields []fieldView
}

// fieldView is one member of a detail.
type fieldView struct {
	Name  string
	Value string
}

// maxDetailFields bounds the members listed per detail.
const maxDetailFields = 64

// requestedDetails parses the authorization_details of an authorize URL
// for display with acr.ParseRequest, as the plugin does; nil when there are
// none. Malformed details are refused: the user must never approve what
// cannot be shown.
func requestedDetails(requestURL string) ([]detailView, error) {
	req, err := acr.ParseRequest(nil, requestURL)
	if err != nil {
		return nil, invalid("authorization_details", "The application sent transaction details that cannot be shown. "+
			"Go back to the application and try again.", err)
	}
	if len(req.AuthorizationDetails) == 0 {
		return nil, nil
	}
	out := make([]detailView, 0, len(req.AuthorizationDetails))
	for _, d := range req.AuthorizationDetails {
		out = append(out, detailFor(d))
	}
	return out, nil
}

// detailFor renders one detail.
func detailFor(d acr.AuthorizationDetail) detailView {
	v := detailView{Type: d.Type}
	flatten(&v.Fields, "", d.Members)
	if d.Type == "payment_initiation" {
		v.Summary, v.Reference = paymentSummary(d.Members)
	}
	return v
}

// paymentSummary reads a payment_initiation detail (RFC 9396 §2.1's
// example, the Berlin Group / Open Banking names): "Pay €X to NAME (IBAN)"
// and the reference. Empty when amount or creditor is missing; the field
// list still shows everything.
func paymentSummary(m map[string]any) (summary, reference string) {
	amount, _ := m["instructedAmount"].(map[string]any)
	value := scalar(amount["amount"])
	currency := scalar(amount["currency"])
	creditor := scalar(m["creditorName"])
	if value == "" || creditor == "" {
		return "", ""
	}
	summary = "Pay " + money(value, currency) + " to " + creditor
	if account, ok := m["creditorAccount"].(map[string]any); ok {
		if iban := scalar(account["iban"]); iban != "" {
			summary += " (" + iban + ")"
		}
	}
	reference = scalar(m["remittanceInformationUnstructured"])
	return summary, reference
}

// currencySymbols are the symbols written before an amount; other
// currencies are written after it by code.
var currencySymbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}

func money(value, currency string) string {
	if sym, ok := currencySymbols[strings.ToUpper(currency)]; ok {
		return sym + value
	}
	if currency == "" {
		return value
	}
	return value + " " + currency
}

// scalar renders a JSON scalar as text; "" for objects, arrays and null.
func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// flatten appends v's members as name/value pairs: objects as dotted
// names in sorted order, arrays of scalars joined with ", ", other arrays
// indexed.
func flatten(out *[]fieldView, name string, v any) {
	if len(*out) >= maxDetailFields {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			n := k
			if name != "" {
				n = name + "." + k
			}
			flatten(out, n, v[k])
		}
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s := scalar(e)
			if s == "" && e != "" {
				parts = nil
				break
			}
			parts = append(parts, s)
		}
		if parts != nil || len(v) == 0 {
			*out = append(*out, fieldView{Name: name, Value: strings.Join(parts, ", ")})
			return
		}
		for i, e := range v {
			flatten(out, name+"["+strconv.Itoa(i)+"]", e)
		}
	case nil:
		*out = append(*out, fieldView{Name: name, Value: "null"})
	default:
		*out = append(*out, fieldView{Name: name, Value: scalar(v)})
	}
}
