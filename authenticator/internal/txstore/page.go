package txstore

import "github.com/biometric-passkey/biometric-passkey/authenticator"

// PageSize checks the page size a caller gives a store's List* method: 0
// means authenticator.DefaultPageSize; store names the store in the
// message ("sqlite", "postgres").
func PageSize(store string, limit int) (int, error) {
	switch {
	case limit == 0:
		return authenticator.DefaultPageSize, nil
	case limit < 0 || limit > authenticator.MaxPageSize:
		return 0, authenticator.Errorf(authenticator.CodeInvalidArgument,
			"%s: page size %d is outside 1..%d", store, limit, authenticator.MaxPageSize)
	}
	return limit, nil
}
