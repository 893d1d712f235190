// Package convert translates between the Go types of the authenticator and
// acr packages and the wire messages of plugin/internal/pb, and between
// *authenticator.Error values and gRPC statuses.
//
// Every function is pure. There is one function per direction per type:
// ToProtoX takes the Go value and returns a new message; FromProtoX takes a
// message and returns the Go value, and a nil message gives the zero value,
// so a field the peer left unset reads as Go's zero. Zero times travel as
// absent Timestamps. The wire does not tell a nil slice or map from an empty
// one, so both arrive as nil. Messages share byte slices, slices and maps
// with the values they were made from: neither side mutates them.
package convert
