// Package hydratest starts a real Hydra for a test and ends it with the
// test: the one call end-to-end tests need before they drive a login
// through Hydra.
//
// It lives apart from hydraproc so that programs which start Hydra (the
// development stack behind `make run`) do not link the testing package.
// Like every test that needs a real service, a test that calls [Start]
// skips on a developer's machine without the Hydra binary (`make hydra`)
// and fails when CI=true (internal/testenv).
package hydratest
