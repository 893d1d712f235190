// Package plugin is the wire contract between a host (the login-and-consent
// provider, the dashboard, the CLI) and the Biometric Passkey plugin process
// (DESIGN.md §4). It is built on hashicorp/go-plugin with gRPC.
//
// # Three layers
//
//   - The Go contract, here: the Authenticator, Admin and Services
//     interfaces (contract.go), whose request and response types are the
//     authenticator and acr types, plus Handshake and ProtocolVersion.
//     *authenticator.Service implements Services in-process; a host that
//     links the authenticator (tests, fosite) uses it directly.
//   - The wire: plugin/proto/biometricpasskey/v1/plugin.proto, with the
//     generated code private in plugin/internal/pb (regenerate with
//     `go generate ./plugin/...`).
//   - Pure converters between the two, in plugin/internal/convert.
//
// The plugin binary's main calls Serve; its server side embeds the
// Unimplemented…Servers and runs fromproto → implementation → toproto for
// every RPC. A host calls Launch and uses the returned *Host as Services.
//
// # Wire rules
//
//   - Every method takes a context; its deadline and cancellation cross the
//     wire.
//   - Versions: go-plugin VersionedPlugins, starting at ProtocolVersion 1. A
//     breaking change adds a version and a new proto package; the host and
//     the plugin settle on the highest version both speak.
//   - Errors: the plugin sends the authenticator.Code as the reason of a
//     google.rpc.ErrorInfo (domain "biometric-passkey") and the user-safe
//     message as the status message. The internal detail (Error.Err) never
//     crosses the wire: the plugin logs it. The host rebuilds
//     &authenticator.Error{Code, Message}, so errors.Is(err,
//     authenticator.ErrChallengeUnknown) works on both sides. An unknown code
//     becomes internal; a cancelled or expired context keeps
//     context.Canceled or context.DeadlineExceeded in the chain; a plugin that
//     does not answer (gRPC Unavailable without our ErrorInfo, an exited
//     process, or a connection the host closed under the call, which gRPC
//     reports as Canceled) is authenticator.ErrUnavailable, which is
//     retryable.
//   - Security: the host always uses AutoMTLS (one-time certificates per
//     launch) and allows gRPC only. With LaunchConfig.SHA256 the binary is
//     checked before every start and a mismatch refuses to start. The
//     handshake cookie is not a security measure.
//   - Crashes: go-plugin does not restart a dead plugin; Host does, on the
//     next call. The call in flight fails with authenticator.ErrUnavailable
//     and is never retried for the caller, because ceremony steps are not
//     idempotent: the user starts the ceremony again.
//   - Logs: the plugin writes hclog-shaped JSON to stderr (NewLogger); the
//     host re-emits each line at its level through LaunchConfig.Logger.
//
// # Cost of a call
//
// A call is one message each way over a local socket: both ends fix their
// HTTP/2 flow-control windows (transport.go), so gRPC sends no PING per
// call. What remains is mostly waking the other process, and the threads
// inside each process: a process that has been idle for a while takes
// longest to wake, more so on virtual machines. This package logs nothing
// for a call that succeeds.
//
// On a small machine whose cores the host, the plugin and Redis share,
// GOMAXPROCS=1 in LaunchConfig.Env can lower the plugin's latency and raise
// its throughput, because the plugin then wakes fewer threads per call. It
// also limits the plugin to one core: measure with internal/perf on the
// target machine before setting it.
package plugin
