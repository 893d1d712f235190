package testenv

import (
	"fmt"
	"net"
	"os"
	"testing"
)

// Require stops the test when a service it needs is missing, that is when err
// is not nil: with CI=true the test fails, otherwise it skips. what names the
// service ("redis-server", "Chromium"); err says why it is missing and how to
// get it, as the errors of RedisAddr and Chromium do. Every skip in the
// project goes through here.
func Require(t testing.TB, what string, err error) {
	if err == nil {
		return
	}
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %v", what, err)
	} else {
		t.Skipf("%s is not available: %v (with CI=true this is a failure)", what, err)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. Another
// process may take it before the caller binds it; callers that start a server
// on it should retry with a new port if the server cannot bind.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatalf("find a free loopback port: %v", err)
	}
	return port
}

// freePort is FreePort for code without a test at hand.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("listen on a free loopback port: %w", err)
	}
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		_ = l.Close()
		return 0, fmt.Errorf("listener address: got %T, want *net.TCPAddr", l.Addr())
	}
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("close the port-finding listener: %w", err)
	}
	return addr.Port, nil
}
