package txstore

import (
	"encoding/json"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// EncodeDetail is the detail of an event or an audit record as a store
// keeps it: a JSON object, {} for none. what ("event", "audit") and store
// ("sqlite", "postgres") name it in the message.
func EncodeDetail(store, what string, detail map[string]string) (string, error) {
	if detail == nil {
		detail = map[string]string{}
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return "", authenticator.Errorf(authenticator.CodeInternal, "%s: encode %s detail: %w", store, what, err)
	}
	return string(b), nil
}

// DecodeDetail is the inverse of EncodeDetail: nil for an empty object.
func DecodeDetail(b []byte) (map[string]string, error) {
	var detail map[string]string
	if err := json.Unmarshal(b, &detail); err != nil {
		return nil, err
	}
	if len(detail) == 0 {
		return nil, nil
	}
	return detail, nil
}
