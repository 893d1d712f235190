package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache keeps one *sql.Stmt per query text on one *sql.DB, so that a
// statement is parsed once per connection rather than on every call.
// modernc.org/sqlite has no statement cache of its own: a query run on the
// DB or a Tx directly is prepared, run and finalised every time, and the
// parse was a sizeable share of the store's CPU on the sign-in path. A
// *sql.Stmt prepares itself lazily on each pool connection it runs on and
// keeps that driver statement for as long as the connection lives, which,
// with the pools Open configures, is as long as the store.
//
// The queries are the package's constants, so the cache never grows beyond
// them.
type stmtCache struct {
	db *sql.DB

	mu     sync.RWMutex
	stmts  map[string]*sql.Stmt
	wanted map[string]struct{} // used in a transaction before being prepared
	closed bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}, wanted: map[string]struct{}{}}
}

// lookup returns the prepared statement for query, or nil if there is none
// yet. It never touches the database, so it is what a transaction uses: see
// want.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stmts[query]
}

// get returns the prepared statement for query, preparing it on c.db first
// if need be. Preparing takes a connection from the pool, so get must not be
// called by a goroutine that holds one of c.db's connections in a
// transaction: on the one-connection write pool it would wait for itself.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	// Prepared without the lock: it may wait for a connection. Two
	// goroutines may both prepare; the second keeps the first's.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.add(query, st)
}

// add stores st for query unless another goroutine stored one first or the
// cache is closed, and returns the statement to use.
func (c *stmtCache) add(query string, st *sql.Stmt) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch old, ok := c.stmts[query]; {
	case c.closed:
		return nil, errors.Join(errors.New("sqlite: store is closed"), st.Close())
	case ok:
		return old, st.Close()
	}
	c.stmts[query] = st
	return st, nil
}

// want records that a transaction ran query unprepared, for prepareWanted.
func (c *stmtCache) want(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wanted[query] = struct{}{}
}

// prepareWanted prepares the queries transactions ran unprepared. The store
// calls it after a transaction, while it still has the write turn but no
// longer holds the connection, which is the only time the one-connection
// write pool has a connection free to prepare on. A query that fails to
// prepare (a table a migration has yet to create, a context that ended) is
// dropped and wanted again the next time a transaction runs it.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	queries := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		queries = append(queries, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range queries {
		// Errors only mean the query stays unprepared for now.
		_, _ = c.get(ctx, q)
	}
}

// close closes the prepared statements; get fails afterwards. Closing again
// does nothing.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}
