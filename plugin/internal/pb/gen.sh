#!/bin/sh
# Regenerates plugin.pb.go and plugin_grpc.pb.go in this directory from
# plugin/proto/biometricpasskey/v1/plugin.proto. Run it through
# `go generate ./plugin/...` from the module root.
#
# The code generators are pinned to the google.golang.org/protobuf and
# google.golang.org/grpc versions in go.mod and installed into a temporary
# directory, so the output is the same on every machine. protoc itself is
# Debian bookworm's protobuf-compiler (3.21.12): its version is written into
# the generated headers, so another protoc would change the files.
set -eu

PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
PROTOC_WANT="libprotoc 3.21.12"

have=$(protoc --version)
if [ "$have" != "$PROTOC_WANT" ]; then
	echo "gen.sh: protoc is \"$have\", want \"$PROTOC_WANT\" (apt-get install protobuf-compiler on Debian bookworm)" >&2
	exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
proto=$here/../../proto
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

GOBIN=$bin go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
GOBIN=$bin go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"

module=github.com/biometric-passkey/biometric-passkey/plugin/internal/pb
PATH=$bin:$PATH protoc \
	--proto_path="$proto" \
	--go_out="$here" --go_opt=module="$module" \
	--go-grpc_out="$here" --go-grpc_opt=module="$module" \
	"$proto/biometricpasskey/v1/plugin.proto"
