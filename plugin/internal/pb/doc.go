// Package pb holds the Go code generated from
// plugin/proto/biometricpasskey/v1/plugin.proto: the wire messages and the
// gRPC stubs of the Authenticator and Admin services. It is internal: the
// plugin package converts to and from the authenticator types
// (plugin/internal/convert), and nothing else should see these types.
//
// Do not edit the .pb.go files. Change the .proto and run
// `go generate ./plugin/...` (gen.sh pins the generator versions).
package pb
