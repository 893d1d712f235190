package plugin

import (
	"context"
	"errors"
	"log/slog"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/biometric-passkey/biometric-passkey/plugin/internal/pb"
)

// ProtocolVersion is the plugin protocol version this build speaks: the
// biometricpasskey.v1 gRPC services. A breaking change to the wire adds a
// version to the VersionedPlugins sets on both sides, and go-plugin picks the
// highest version the host and the plugin share.
const ProtocolVersion = 1

// Handshake is the go-plugin handshake shared by the host and the plugin.
//
// The magic cookie is UX, not security: it only stops a user who runs the
// plugin binary by hand from getting a confusing hang, with a message that
// the binary is a plugin. What protects the host is the SHA-256 pin
// (LaunchConfig.SHA256) and the mutual TLS go-plugin sets up for every launch
// (AutoMTLS).
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "BIOMETRIC_PASSKEY_PLUGIN",
	MagicCookieValue: "5f1b0c3e9a7d4e62b8c1f0a4d2e6b9c7",
}

// pluginName is the one plugin a Biometric Passkey plugin process serves; it
// carries both gRPC services.
const pluginName = "biometric-passkey"

// GRPCPlugin is the go-plugin plugin that carries Services over gRPC. The
// plugin side sets Impl (Serve does it); the host side leaves it nil and gets
// a Services client from GRPCClient (Launch does it).
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin

	// Impl is the implementation the plugin process serves.
	Impl Services
	// Logger receives every failed call with its internal detail, which
	// never crosses the wire. Nil discards.
	Logger *slog.Logger
}

var _ goplugin.GRPCPlugin = (*GRPCPlugin)(nil)

// errNoImpl is returned by GRPCServer when there is nothing to serve.
var errNoImpl = errors.New("plugin: GRPCPlugin.Impl is nil")

// GRPCServer registers the Authenticator and Admin services of Impl.
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errNoImpl
	}
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pb.RegisterAuthenticatorServer(s, &authenticatorServer{impl: p.Impl, log: log})
	pb.RegisterAdminServer(s, &adminServer{impl: p.Impl, log: log})
	return nil
}

// GRPCClient returns the Services client for conn.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return newClient(conn), nil
}

// pluginSets returns the VersionedPlugins of both sides.
func pluginSets(p *GRPCPlugin) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{ProtocolVersion: {pluginName: p}}
}
