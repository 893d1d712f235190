package bankapp

import (
	"crypto/rand"
	"errors"
	"hash/fnv"
	"slices"
	"sync"
	"time"
)

// authorization records what the access token behind an API call said: the
// evidence a transfer or payee was accepted on, shown on its confirmation.
type authorization struct {
	ACR        string    `json:"acr"`
	AuthTime   time.Time `json:"auth_time"`
	ApprovalID string    `json:"approval_id,omitempty"`
	// DetailsHash is the authorization_details_hash the token was bound
	// to; empty for a token that approved no particular transaction.
	DetailsHash string `json:"authorization_details_hash,omitempty"`
}

// payee is someone the customer may send money to.
type payee struct {
	ID      string        `json:"id"`
	Name    string        `json:"name"`
	IBAN    string        `json:"iban"` // electronic form
	Added   time.Time     `json:"added"`
	AddedBy authorization `json:"authorization"`
}

// transfer is an executed transfer.
type transfer struct {
	ID        string        `json:"id"`
	PayeeName string        `json:"creditor_name"`
	IBAN      string        `json:"creditor_iban"`
	Amount    money         `json:"-"`
	Reference string        `json:"reference,omitempty"`
	Made      time.Time     `json:"made"`
	MadeWith  authorization `json:"authorization"`
}

// bankAccount is one customer's everyday account.
type bankAccount struct {
	Balance   money
	Payees    []payee    // oldest first
	Transfers []transfer // oldest first
}

// Errors of the ledger's changes.
var (
	errUnknownPayee      = errors.New("the creditor is not one of the account's payees")
	errInsufficientFunds = errors.New("the balance does not cover the transfer")
	errDuplicatePayee    = errors.New("a payee with this IBAN exists already")
	errTooManyPayees     = errors.New("the account has the maximum number of payees")
)

// maxPayees bounds each demo account's payee list.
const maxPayees = 50

// ledger holds every customer's account in memory, keyed by the customer id
// (the tokens' sub). A customer's account opens, with a made-up opening
// balance, the first time it is looked at. A restart forgets everything.
type ledger struct {
	mu       sync.Mutex
	accounts map[string]*bankAccount
}

// open returns sub's account, opening it if needed; the caller holds mu.
func (l *ledger) open(sub string) *bankAccount {
	if l.accounts == nil {
		l.accounts = map[string]*bankAccount{}
	}
	acct, ok := l.accounts[sub]
	if !ok {
		acct = &bankAccount{Balance: openingBalance(sub)}
		l.accounts[sub] = acct
	}
	return acct
}

// snapshot returns a copy of sub's account.
func (l *ledger) snapshot(sub string) bankAccount {
	l.mu.Lock()
	defer l.mu.Unlock()
	acct := l.open(sub)
	return bankAccount{Balance: acct.Balance, Payees: slices.Clone(acct.Payees), Transfers: slices.Clone(acct.Transfers)}
}

// payee returns sub's payee with the id.
func (l *ledger) payee(sub, id string) (payee, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.open(sub).Payees {
		if p.ID == id {
			return p, true
		}
	}
	return payee{}, false
}

// transfer returns sub's transfer with the id.
func (l *ledger) transfer(sub, id string) (transfer, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range l.open(sub).Transfers {
		if t.ID == id {
			return t, true
		}
	}
	return transfer{}, false
}

// addPayee adds a payee unless one with the same IBAN exists.
func (l *ledger) addPayee(sub, name, iban string, auth authorization, now time.Time) (payee, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acct := l.open(sub)
	for _, p := range acct.Payees {
		if p.IBAN == iban {
			return payee{}, errDuplicatePayee
		}
	}
	if len(acct.Payees) >= maxPayees {
		return payee{}, errTooManyPayees
	}
	p := payee{ID: "py-" + rand.Text()[:12], Name: name, IBAN: iban, Added: now, AddedBy: auth}
	acct.Payees = append(acct.Payees, p)
	return p, nil
}

// pay debits the transfer from sub's balance and records it; the creditor
// must be one of sub's payees, name and IBAN alike.
func (l *ledger) pay(sub, name, iban string, amount money, reference string, auth authorization, now time.Time) (transfer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acct := l.open(sub)
	if !slices.ContainsFunc(acct.Payees, func(p payee) bool { return p.IBAN == iban && p.Name == name }) {
		return transfer{}, errUnknownPayee
	}
	if amount.cents > acct.Balance.cents {
		return transfer{}, errInsufficientFunds
	}
	acct.Balance.cents -= amount.cents
	t := transfer{ID: "tr-" + rand.Text()[:12], PayeeName: name, IBAN: iban, Amount: amount, Reference: reference, Made: now, MadeWith: auth}
	acct.Transfers = append(acct.Transfers, t)
	return t, nil
}

// setApprovalID fills in the approval id of a transfer or payee whose API
// call did not report one, from the ID token of its approval.
func (l *ledger) setApprovalID(sub, id, approvalID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acct := l.open(sub)
	for i := range acct.Transfers {
		if acct.Transfers[i].ID == id && acct.Transfers[i].MadeWith.ApprovalID == "" {
			acct.Transfers[i].MadeWith.ApprovalID = approvalID
		}
	}
	for i := range acct.Payees {
		if acct.Payees[i].ID == id && acct.Payees[i].AddedBy.ApprovalID == "" {
			acct.Payees[i].AddedBy.ApprovalID = approvalID
		}
	}
}

// openingBalance turns sub into a stable, plausible opening balance between
// €1,000.00 and €50,999.99.
func openingBalance(sub string) money {
	h := fnv.New32a()
	h.Write([]byte(sub))
	return money{cents: 100_000 + int64(h.Sum32()%5_000_000)}
}
