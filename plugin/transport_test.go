package plugin_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/biometric-passkey/biometric-passkey/authenticator"
	"github.com/biometric-passkey/biometric-passkey/plugin"
)

// HTTP/2 frame types (RFC 9113 §6).
const (
	framePing         = 0x6
	frameWindowUpdate = 0x8
)

// clientPreface starts what an HTTP/2 client sends (RFC 9113 §3.4).
const clientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// frameCounter counts, by type, the HTTP/2 frames in the bytes a
// connection reads.
type frameCounter struct {
	mu     sync.Mutex
	skip   int    // bytes of the client preface still to skip
	buf    []byte // an incomplete frame
	byType map[byte]int
}

func newFrameCounter(skip int) *frameCounter {
	return &frameCounter{skip: skip, byType: map[byte]int{}}
}

func (c *frameCounter) feed(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := min(c.skip, len(p))
	c.skip -= n
	c.buf = append(c.buf, p[n:]...)
	for len(c.buf) >= 9 {
		size := int(c.buf[0])<<16 | int(c.buf[1])<<8 | int(c.buf[2])
		if len(c.buf) < 9+size {
			return
		}
		c.byType[c.buf[3]]++
		c.buf = c.buf[9+size:]
	}
}

func (c *frameCounter) count(typ byte) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byType[typ]
}

// countingConn feeds what it reads to a frameCounter.
type countingConn struct {
	net.Conn
	frames *frameCounter
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.frames.feed(p[:n])
	return n, err
}

// countingListener wraps the one connection it accepts in a countingConn.
type countingListener struct {
	net.Listener
	frames *frameCounter
}

func (l countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{conn, l.frames}, nil
}

// plaintextConn serves impl with srv and dials it with opts, over loopback
// TCP without TLS so that the frames can be counted: toServer counts those
// the host sends, toClient those the plugin sends. stop closes both ends,
// after which the counts are final.
func plaintextConn(t *testing.T, srv *grpc.Server, opts []grpc.DialOption, impl plugin.Services) (svc plugin.Services, toServer, toClient *frameCounter, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	toServer, toClient = newFrameCounter(len(clientPreface)), newFrameCounter(0)
	if err := (&plugin.GRPCPlugin{Impl: impl}).GRPCServer(nil, srv); err != nil {
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(countingListener{l, toServer})
	}()
	dial := func(ctx context.Context, addr string) (net.Conn, error) {
		conn, err := new(net.Dialer).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return countingConn{conn, toClient}, nil
	}
	cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(), append(opts,
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithContextDialer(dial))...)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := (&plugin.GRPCPlugin{}).GRPCClient(t.Context(), nil, cc)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cc.Close()
			srv.Stop()
			<-served
		})
	}
	t.Cleanup(stop)
	return raw.(plugin.Services), toServer, toClient, stop
}

// pings makes calls one at a time, as a host does for a sign-in, and
// returns the PING frames the host and the plugin sent.
func pings(t *testing.T, srv *grpc.Server, opts []grpc.DialOption) (fromHost, fromPlugin int) {
	t.Helper()
	f := &fakeServices{
		CapabilitiesFunc: func(context.Context) (authenticator.Capabilities, error) {
			return authenticator.Capabilities{RPID: "example.com"}, nil
		},
		FinishAuthenticationFunc: func(context.Context, authenticator.FinishRequest) (authenticator.AuthenticationResult, error) {
			return authenticator.AuthenticationResult{Subject: "u-1", Outcome: outcome}, nil
		},
	}
	svc, toServer, toClient, stop := plaintextConn(t, srv, opts, f)
	for range 20 {
		if _, err := svc.Capabilities(t.Context()); err != nil {
			t.Fatalf("Capabilities: got error %v, want nil", err)
		}
		if _, err := svc.FinishAuthentication(t.Context(), finish); err != nil {
			t.Fatalf("FinishAuthentication: got error %v, want nil", err)
		}
	}
	stop()
	return toServer.count(framePing), toClient.count(framePing)
}

// TestTransportSendsNoPings checks that the host and the plugin do not
// answer every call with a flow-control PING, which each would cost a
// wake-up of the other process.
func TestTransportSendsNoPings(t *testing.T) {
	t.Parallel()
	t.Run("gRPC defaults send them", func(t *testing.T) {
		// The control: if this fails, gRPC no longer sends the PINGs by
		// default and flowWindow may no longer be needed.
		t.Parallel()
		fromHost, fromPlugin := pings(t, grpc.NewServer(), nil)
		if fromHost+fromPlugin == 0 {
			t.Errorf("PING frames with gRPC's defaults: got none, want some")
		}
	})
	t.Run("plugin transport", func(t *testing.T) {
		t.Parallel()
		fromHost, fromPlugin := pings(t, plugin.NewGRPCServer(nil), plugin.DialOptions())
		if fromHost != 0 || fromPlugin != 0 {
			t.Errorf("PING frames: got %d from the host and %d from the plugin, want none", fromHost, fromPlugin)
		}
	})
}

// TestTransportLargeMessage checks that a message bigger than the
// flow-control windows still crosses, in both directions.
func TestTransportLargeMessage(t *testing.T) {
	t.Parallel()
	name := strings.Repeat("n", 1<<10)
	users := make([]authenticator.User, 2500) // about 2.5 MiB
	for i := range users {
		users[i] = authenticator.User{ExternalID: "u", Username: name}
	}
	query := authenticator.UserQuery{After: strings.Repeat("q", 3<<19)} // 1.5 MiB
	f := &fakeServices{ListUsersFunc: func(_ context.Context, q authenticator.UserQuery) ([]authenticator.User, error) {
		if q.After != query.After {
			return nil, authenticator.Errorf(authenticator.CodeInvalidArgument, "After of %d bytes, want %d", len(q.After), len(query.After))
		}
		return users, nil
	}}
	svc, _, toClient, _ := plaintextConn(t, plugin.NewGRPCServer(nil), plugin.DialOptions(), f)
	got, err := svc.ListUsers(t.Context(), query)
	if err != nil {
		t.Fatalf("ListUsers: got error %v, want nil", err)
	}
	if len(got) != len(users) || got[len(got)-1].Username != name {
		t.Errorf("ListUsers: got %d users, want %d intact", len(got), len(users))
	}
	if toClient.count(frameWindowUpdate) == 0 {
		t.Errorf("WINDOW_UPDATE frames from the plugin: got none, want some for a request bigger than the window")
	}
}
