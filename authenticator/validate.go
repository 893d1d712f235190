package authenticator

import (
	"fmt"
	"net/url"
	"unicode"
	"unicode/utf8"
)

// Length bounds of identifiers and names.
const (
	MaxExternalUserIDLen = 128
	MaxUsernameLen       = 128
	MaxDisplayNameLen    = 128
	MaxReturnURLLen      = 2048
	// MaxResponseSize bounds a WebAuthn response (PublicKeyCredential JSON).
	// Real ones are a few KiB; attestation certificate chains stay well under.
	MaxResponseSize = 64 << 10
	maxTokenLen     = 128
)

// ValidateExternalUserID checks the relying party's user id, which becomes
// the ID token's sub: 1 to MaxExternalUserIDLen characters from the RFC 3986
// unreserved set (A-Z a-z 0-9 . _ ~ -), so it is safe in URLs, logs and keys
// without escaping.
func ValidateExternalUserID(id string) error {
	if id == "" || len(id) > MaxExternalUserIDLen {
		return UserError(CodeInvalidArgument, fmt.Sprintf("external_user_id must be 1 to %d characters", MaxExternalUserIDLen), nil)
	}
	for i := 0; i < len(id); i++ {
		if !unreserved(id[i]) {
			return UserError(CodeInvalidArgument, "external_user_id may contain only A-Z a-z 0-9 . _ ~ -", nil)
		}
	}
	return nil
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '~' || c == '-'
}

// validateUsername allows what people use as sign-in names, including e-mail
// addresses: unreserved characters plus @ and +.
func validateUsername(name string) error {
	if name == "" || len(name) > MaxUsernameLen {
		return UserError(CodeInvalidArgument, fmt.Sprintf("username must be 1 to %d characters", MaxUsernameLen), nil)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !unreserved(c) && c != '@' && c != '+' {
			return UserError(CodeInvalidArgument, "username may contain only A-Z a-z 0-9 . _ ~ - @ +", nil)
		}
	}
	return nil
}

func validateDisplayName(name string) error {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxDisplayNameLen {
		return UserError(CodeInvalidArgument, fmt.Sprintf("display_name must be valid text of at most %d characters", MaxDisplayNameLen), nil)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return UserError(CodeInvalidArgument, "display_name must not contain control characters", nil)
		}
	}
	return nil
}

func validateReturnURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if len(raw) > MaxReturnURLLen || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return UserError(CodeInvalidArgument, "return_url must be an absolute http(s) URL without credentials", err)
	}
	return nil
}

// validateToken checks the shape of an opaque base64url token or id before
// it is used as part of a store key.
func validateToken(field, tok string) error {
	if tok == "" || len(tok) > maxTokenLen {
		return UserError(CodeInvalidArgument, field+" is missing or malformed", nil)
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return UserError(CodeInvalidArgument, field+" is missing or malformed", nil)
		}
	}
	return nil
}

func validateResponse(resp []byte) error {
	if len(resp) == 0 {
		return UserError(CodeInvalidArgument, "the passkey response is missing", nil)
	}
	if len(resp) > MaxResponseSize {
		return UserError(CodeInvalidArgument, fmt.Sprintf("the passkey response is larger than %d bytes", MaxResponseSize), nil)
	}
	return nil
}
