package plugin

import (
	"slices"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// flowWindow is the HTTP/2 flow-control window, per stream and per
// connection, at both ends of the plugin's gRPC connection.
//
// Setting it fixes the windows, which turns off gRPC's bandwidth-delay
// estimator. By default a receiver answers incoming data with a
// WINDOW_UPDATE and a PING whenever no PING is outstanding, and the other
// side answers with a PING ACK. The plugin's calls come one at a time and
// are small, so every call carried those frames in both directions: a
// sign-in (two calls) wrote about 9 messages across the boundary instead of
// 4. Each one wakes the other process, and on a small machine the wake-ups
// compete for the same cores as the call itself. The estimator only pays
// off for bulk transfers over links with a long round trip, and a local
// socket is neither.
//
// 1 MiB lets a message of up to 1 MiB through without waiting for a window
// update. A bigger one, such as a long admin listing, gets a WINDOW_UPDATE
// for every 256 KiB read, at the cost of one local round trip each.
const flowWindow = 1 << 20

// newGRPCServer is Serve's gRPC server: go-plugin's options (its TLS) and
// the flow-control windows.
func newGRPCServer(opts []grpc.ServerOption) *grpc.Server {
	return goplugin.DefaultGRPCServer(slices.Concat(opts, []grpc.ServerOption{
		grpc.StaticStreamWindowSize(flowWindow), grpc.StaticConnWindowSize(flowWindow),
	}))
}

// dialOptions are the gRPC dial options Launch adds to go-plugin's: the
// flow-control windows.
func dialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithStaticStreamWindowSize(flowWindow), grpc.WithStaticConnWindowSize(flowWindow)}
}
