package authenticator

import (
	"context"
	"time"
)

// UserStatus is where a user stands in the enrollment lifecycle.
type UserStatus string

// User statuses. A user is Enrolled only when both the passkey and the
// biometric reference exist (DESIGN.md §1); until the identity check lands the
// user stays visibly BiometricPending.
const (
	UserInvited          UserStatus = "invited"           // the RP started enrollment; no passkey yet
	UserBiometricPending UserStatus = "biometric_pending" // passkey registered, biometric reference pending
	UserEnrolled         UserStatus = "enrolled"          // passkey and biometric reference
	UserSuspended        UserStatus = "suspended"         // fails closed everywhere (DESIGN.md §7.4)
)

// User is an end user, keyed by the relying party's stable identifier, which
// becomes the ID token's sub.
type User struct {
	ExternalID  string // the RP's external_user_id; see ValidateExternalUserID
	Handle      []byte // the random WebAuthn user handle (§5.4.3: no personal data)
	Username    string // what the user types for a username-first sign-in
	DisplayName string
	Status      UserStatus
	// AuditSubject is the user's audit pseudonym, "p-" and 32 lowercase hex
	// digits drawn at creation: audit records name the user by it, never by
	// ExternalID, so that they say nothing about the user once the user is
	// erased (docs/adr/0010-erasure-and-pseudonymous-audit.md). It never
	// changes.
	AuditSubject string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CredentialStatus is the lifecycle state of a passkey.
type CredentialStatus string

// Credential statuses. Only Active credentials may sign in. Revoked is
// final; Flagged and Suspended are left only by an operator, to Active
// (UnsuspendCredential, after review) or to Revoked (RevokeCredential).
const (
	CredentialActive  CredentialStatus = "active"
	CredentialFlagged CredentialStatus = "flagged" // sign-count regression or BE change: possible clone
	CredentialRevoked CredentialStatus = "revoked" // final
	// CredentialSuspended is an operator's reversible lock: it fails closed
	// like revoked until UnsuspendCredential makes it active again.
	CredentialSuspended CredentialStatus = "suspended"
)

// Credential is a registered passkey. Everything go-webauthn returns is kept,
// because later checks (BE consistency, sign count) need the stored values.
type Credential struct {
	ID                []byte
	UserExternalID    string
	PublicKey         []byte // COSE_Key
	AttestationType   string
	AttestationFormat string
	AAGUID            []byte
	SignCount         uint32
	BackupEligible    bool // BE at registration: true = synced passkey
	BackupState       bool // BS as last seen
	Transports        []string
	Status            CredentialStatus
	StatusReason      string
	Name              string // user-visible, set by RenameCredential; empty until then
	CreatedAt         time.Time
	LastUsedAt        time.Time // zero until first sign-in
}

// DeviceBound reports whether the passkey cannot leave its authenticator.
func (c Credential) DeviceBound() bool { return !c.BackupEligible }

// EventType names a lifecycle event.
type EventType string

// Lifecycle events (DESIGN.md §7.7: every state change emits one).
const (
	EventUserInvited           EventType = "user.invited"
	EventCredentialRegistered  EventType = "credential.registered"
	EventCredentialRevoked     EventType = "credential.revoked"
	EventCredentialFlagged     EventType = "credential.flagged"
	EventAuthenticationSuccess EventType = "authentication.succeeded"
	EventIDVCheckStarted       EventType = "idv_check.started"
	EventIDVCheckPassed        EventType = "idv_check.passed"
	EventIDVCheckFailed        EventType = "idv_check.failed"
	EventReferenceCreated      EventType = "reference.created"
	EventUserEnrolled          EventType = "user.enrolled"
	EventStepUpPassed          EventType = "step_up.passed"
	EventStepUpFailed          EventType = "step_up.failed"
	EventRecoveryStarted       EventType = "recovery.started"
	EventRecoveryCompleted     EventType = "recovery.completed"
	EventRecoveryFailed        EventType = "recovery.failed"
	EventApprovalRecorded      EventType = "approval.recorded"
	EventUserSuspended         EventType = "user.suspended"
	EventUserUnsuspended       EventType = "user.unsuspended"
	EventReverifyRequired      EventType = "user.reverification_required"
	EventCredentialRenamed     EventType = "credential.renamed"
	EventCredentialSuspended   EventType = "credential.suspended"
	EventCredentialUnsuspended EventType = "credential.unsuspended"
	// EventUserErased is the last event about a user: the user's records
	// are gone, this event stays (ADR 0010).
	EventUserErased EventType = "user.erased"
)

// Event is one entry of a user's lifecycle history.
type Event struct {
	ID             int64 // assigned by the store, increasing
	Type           EventType
	UserExternalID string
	CredentialID   []byte            // may be nil
	Actor          string            // "user", "system", or an operator's sub
	Detail         map[string]string // small, never biometric data or secrets
	At             time.Time
}

// DayCount is how many events of one type happened on one UTC day.
type DayCount struct {
	Day   time.Time // UTC midnight
	Type  EventType
	Count int
}

// AuditRecord is one entry of the tamper-evident audit log (DESIGN.md §6,
// §7.7; docs/adr/0008-tamper-evident-audit.md): an operator's action or
// read, hash-chained to the record before it. The store assigns Seq,
// PrevHash and Hash when it appends; see AuditHash for the encoding.
type AuditRecord struct {
	Seq      int64             // 1, 2, 3, … without gaps, assigned by the store
	At       time.Time         // UTC, microseconds
	Actor    string            // an operator's sub, or "system"
	Action   string            // such as AuditCredentialRevoke
	Target   string            // what the action was on: a user's AuditSubject (user.*), a credential id in base64url (credential.*)
	Detail   map[string]string // small, never biometric data or secrets
	PrevHash []byte            // the previous record's Hash; 32 zero bytes for record 1
	Hash     []byte            // AuditHash of this record
}

// ReferenceStatus is the state of a biometric reference.
type ReferenceStatus string

// Reference statuses. Only an active reference may be matched against.
const (
	ReferenceActive  ReferenceStatus = "active"
	ReferenceRevoked ReferenceStatus = "revoked"
)

// BiometricReference is a user's enrolled reference at an
// identity-verification provider. It holds no biometric data: only the
// provider's opaque reference id, encrypted by the service before it
// reaches the store (DESIGN.md §7.6), so the store sees ciphertext only.
type BiometricReference struct {
	ID             string // ours: random, stable
	UserExternalID string
	Provider       string // idvbridge.Provider.Name()
	SealedRef      []byte // the provider's reference id, sealed (AEAD) by the service
	Status         ReferenceStatus
	CreatedAt      time.Time
	RevokedAt      time.Time // zero while active
}

// CheckStatus is the state of an identity-verification check.
type CheckStatus string

// Check statuses; a check leaves pending exactly once.
const (
	CheckPending CheckStatus = "pending"
	CheckPassed  CheckStatus = "passed"
	CheckFailed  CheckStatus = "failed"
)

// IDVCheck records one identity-verification check and the ceremony it
// belongs to, so an outcome is accepted only for the run, user and ceremony
// it was started for (DESIGN.md §7.5).
type IDVCheck struct {
	Provider       string
	RunID          string // the provider's run id; (Provider, RunID) is the key
	UserExternalID string
	Journey        string // idvbridge.Journey
	CeremonyID     string
	ReferenceID    string // the reference matched against (step-up, recovery), or established (enrollment, once passed)
	Status         CheckStatus
	Reason         string // why it did not pass (idvbridge.Reason)
	CreatedAt      time.Time
	CompletedAt    time.Time // zero while pending
}

// UserQuery pages through users in ExternalID order.
type UserQuery struct {
	After string // return users whose ExternalID sorts after this
	Limit int    // 1..MaxPageSize; 0 means DefaultPageSize
}

// Page sizes for UserQuery.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Erased counts what EraseUser deleted.
type Erased struct {
	Credentials int
	References  int // biometric references
	Checks      int // identity-verification checks
	Approvals   int
	Events      int // with their webhook deliveries
}

// Tx is the set of durable operations. Update methods take an updater closure
// that runs inside a transaction on the current value (STYLE.md §2.4), so a
// sign-count update or a status change can never lose a concurrent write.
type Tx interface {
	// CreateUser stores a new user; ErrConflict if ExternalID, Handle,
	// Username or AuditSubject exists. A user without an AuditSubject gets
	// a random one of the same form ("p-" and 32 hex digits); the service
	// always sets it.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user with externalID or ErrNotFound.
	GetUser(ctx context.Context, externalID string) (User, error)
	// GetUserByHandle returns the user with the WebAuthn user handle or ErrNotFound.
	GetUserByHandle(ctx context.Context, handle []byte) (User, error)
	// GetUserByUsername returns the user with username or ErrNotFound.
	GetUserByUsername(ctx context.Context, username string) (User, error)
	// UpdateUser applies fn to the stored user and saves the result; errors
	// from fn abort the update and are returned as they are. ErrNotFound if
	// absent. ExternalID, Handle and AuditSubject cannot change.
	UpdateUser(ctx context.Context, externalID string, fn func(User) (User, error)) (User, error)
	// ListUsers returns a page of users ordered by ExternalID.
	ListUsers(ctx context.Context, q UserQuery) ([]User, error)
	// CountUsersByStatus counts the users in each status, in one query
	// rather than a page at a time. A status no user is in is absent, so
	// an empty store returns an empty map.
	CountUsersByStatus(ctx context.Context) (map[UserStatus]int, error)
	// EraseUser deletes the user with externalID and everything that refers
	// to them, in one transaction: the webhook deliveries of their events,
	// their events, approvals, identity-verification checks, biometric
	// references, credentials and the user. It returns what it deleted;
	// ErrNotFound if there is no such user. The audit log is not touched.
	EraseUser(ctx context.Context, externalID string) (Erased, error)

	// CreateCredential stores a new credential; ErrConflict if the ID exists,
	// ErrNotFound if its user does not.
	CreateCredential(ctx context.Context, c Credential) error
	// GetCredential returns the credential with id or ErrNotFound.
	GetCredential(ctx context.Context, id []byte) (Credential, error)
	// ListCredentials returns the user's credentials, oldest first.
	ListCredentials(ctx context.Context, externalID string) ([]Credential, error)
	// UpdateCredential applies fn like UpdateUser. ID and UserExternalID cannot change.
	UpdateCredential(ctx context.Context, id []byte, fn func(Credential) (Credential, error)) (Credential, error)

	// CreateReference stores a new reference; ErrConflict if the ID exists,
	// ErrNotFound if its user does not.
	CreateReference(ctx context.Context, r BiometricReference) error
	// ListReferences returns the user's references, oldest first.
	ListReferences(ctx context.Context, externalID string) ([]BiometricReference, error)
	// UpdateReference applies fn like UpdateUser. ID, UserExternalID and
	// Provider cannot change.
	UpdateReference(ctx context.Context, id string, fn func(BiometricReference) (BiometricReference, error)) (BiometricReference, error)

	// CreateCheck stores a new check; ErrConflict if (Provider, RunID)
	// exists, ErrNotFound if its user does not.
	CreateCheck(ctx context.Context, c IDVCheck) error
	// GetCheck returns the check or ErrNotFound.
	GetCheck(ctx context.Context, provider, runID string) (IDVCheck, error)
	// UpdateCheck applies fn like UpdateUser. Provider, RunID,
	// UserExternalID, Journey and CeremonyID cannot change.
	UpdateCheck(ctx context.Context, provider, runID string, fn func(IDVCheck) (IDVCheck, error)) (IDVCheck, error)

	// CreateApproval stores a transaction approval; ErrConflict if the ID
	// exists, ErrNotFound if its user does not.
	CreateApproval(ctx context.Context, a Approval) error
	// GetApproval returns the approval with id or ErrNotFound.
	GetApproval(ctx context.Context, id string) (Approval, error)

	// AppendEvent stores e and returns it with its ID set.
	AppendEvent(ctx context.Context, e Event) (Event, error)
	// ListEvents returns the user's most recent events, newest first, at most limit.
	ListEvents(ctx context.Context, externalID string, limit int) ([]Event, error)
	// CountEventsByDay counts the events of the given types (all types when
	// types is empty) whose At is in [since, until), per UTC day and type.
	// The result is ordered by Day, then Type, and holds no zero counts.
	// ErrInvalidArgument if since is after until.
	CountEventsByDay(ctx context.Context, types []EventType, since, until time.Time) ([]DayCount, error)

	// AppendAudit appends r to the audit chain and returns it as stored.
	// The store normalises At to UTC microseconds, sets Seq to the chain
	// head's plus one (1 for the first record), PrevHash to the head's Hash
	// (32 zero bytes for the first) and Hash to AuditHash of the result,
	// ignoring what r had in them. Appends are serialised, so concurrent
	// ones never fork the chain, and one rolled back with its transaction
	// leaves no gap. ErrInvalidArgument if r fails ValidateAuditRecord.
	// There is no way to update or delete a record.
	AppendAudit(ctx context.Context, r AuditRecord) (AuditRecord, error)
	// ListAudit returns the audit records whose Seq is greater than after,
	// in ascending Seq order, at most limit (1..MaxPageSize; 0 means
	// DefaultPageSize), as stored: the store does not check the chain.
	ListAudit(ctx context.Context, after int64, limit int) ([]AuditRecord, error)

	// DeliveryTx is the webhook outbox (docs/adr/0009-event-webhooks.md).
	DeliveryTx
}

// Store is the durable store: SQLite in the embedded default, PostgreSQL in
// production. Implementations live in subpackages and pass storetest.Run.
type Store interface {
	Tx
	// Atomic runs fn in one transaction: all of fn's writes land or none do.
	// Atomic calls do not nest.
	Atomic(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store.
	Close() error
}

// EphemeralStore keeps short-lived state with a time to live: ceremony
// challenges, enrollment links, the level each identity-server session
// achieved (DESIGN.md §6), and the counters of rate limits, such as the
// per-user limit on identity-verification attempts (ADR 0005). Redis in
// production, memory for a single instance. Implementations pass
// ephemeraltest.Run.
//
// Counters and values share one key space: a counter is stored as its
// decimal text, the way Redis's INCR keeps it, so Get and Take of a counter
// return that text, Put over a counter replaces it, and Delete resets it.
type EphemeralStore interface {
	// Put stores value under key for ttl, replacing any earlier value.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get returns the value under key, or ErrNotFound when absent or expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Take returns the value under key and deletes it in one atomic step, so
	// of concurrent callers exactly one gets it (DESIGN.md §7.1); the others,
	// and any caller after expiry, get ErrNotFound.
	Take(ctx context.Context, key string) ([]byte, error)
	// Delete removes key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
	// Incr adds one to the counter under key in one atomic step and returns
	// the new count, so of n concurrent callers each gets a different count.
	// It is a fixed-window counter: when key is absent or expired, Incr
	// creates it with count 1 and an expiry window from now, and later calls
	// leave that expiry alone (their window is ignored), so the count starts
	// again at 1 once the first increment's window has passed. A key that
	// holds a Put value is a counter only if the value is a decimal int64
	// in Redis's canonical form ("41", "-3", not "+1", "01" or " 1"); Incr
	// then increments it and keeps its expiry. Any other value, or one at
	// math.MaxInt64, is ErrInvalidArgument and stays as it is, as does input
	// outside ValidateIncr.
	Incr(ctx context.Context, key string, window time.Duration) (int64, error)
}
