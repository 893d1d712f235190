package txstore

import (
	"bytes"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
)

// CheckUser checks the user a store's CreateUser is given; store names the
// store in the message ("sqlite", "postgres").
func CheckUser(store string, u authenticator.User) error {
	switch {
	case u.ExternalID == "":
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create user: empty ExternalID", store)
	case len(u.Handle) == 0:
		return authenticator.Errorf(authenticator.CodeInvalidArgument, "%s: create user %q: empty Handle", store, u.ExternalID)
	}
	return nil
}

// ApplyUser returns what fn, a store's UpdateUser closure, makes of old,
// the stored user with externalID, refusing a user whose ExternalID, Handle
// or AuditSubject changed; store names the store in the message.
func ApplyUser(store, externalID string, old authenticator.User, fn func(authenticator.User) (authenticator.User, error)) (authenticator.User, error) {
	handle, subject := bytes.Clone(old.Handle), old.AuditSubject // fn may scribble on old.Handle
	u, err := fn(old)
	if err != nil {
		return authenticator.User{}, err
	}
	if u.ExternalID != externalID || !bytes.Equal(u.Handle, handle) || u.AuditSubject != subject {
		return authenticator.User{}, authenticator.Errorf(authenticator.CodeInvalidArgument,
			"%s: update user %q: ExternalID, Handle and AuditSubject cannot change", store, externalID)
	}
	return u, nil
}

// StatusCount is a row of a store's CountUsersByStatus query: a status and
// how many users are in it.
type StatusCount struct {
	Status authenticator.UserStatus
	Count  int
}

// ScanStatusCount reads a row of a store's CountUsersByStatus query:
// status, count.
func ScanStatusCount(row Scanner) (StatusCount, error) {
	var (
		status string // not &c.Status: not every driver scans into a named string type
		count  int64
	)
	if err := row.Scan(&status, &count); err != nil {
		return StatusCount{}, err
	}
	return StatusCount{Status: authenticator.UserStatus(status), Count: int(count)}, nil
}

// StatusCounts is CountUsersByStatus's map of the rows: never nil, and
// empty when there are none.
func StatusCounts(rows []StatusCount) map[authenticator.UserStatus]int {
	out := make(map[authenticator.UserStatus]int, len(rows))
	for _, c := range rows {
		out[c.Status] = c.Count
	}
	return out
}
