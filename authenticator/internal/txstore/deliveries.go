package txstore

import "github.com/biometric-passkey/biometric-passkey/authenticator"

// CheckEndpoint checks an endpoint a store's EnqueueDeliveries is given;
// store names the store in the message ("sqlite", "postgres").
func CheckEndpoint(store, endpoint string) error {
	if endpoint == "" {
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: empty delivery endpoint", store)
	}
	return nil
}
