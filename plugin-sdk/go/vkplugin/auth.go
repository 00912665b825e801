package vkplugin

import (
	"context"
	"crypto/subtle"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// healthPrefix: the gRPC health service answers without the secret (it
// reveals nothing), as the proto says.
const healthPrefix = "/grpc.health.v1.Health/"

// secretCheck rejects every call without `authorization: Bearer <secret>`
// with UNAUTHENTICATED, before the handler runs.
type secretCheck struct{ want []byte }

func (c secretCheck) verify(ctx context.Context, method string) error {
	if strings.HasPrefix(method, healthPrefix) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, value := range md.Get("authorization") {
		token, ok := strings.CutPrefix(value, "Bearer ")
		if ok && subtle.ConstantTimeCompare([]byte(token), c.want) == 1 {
			return nil
		}
	}
	return status.Error(codes.Unauthenticated, "missing or wrong per-launch secret (authorization: Bearer <secret>)")
}

func (c secretCheck) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := c.verify(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (c secretCheck) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := c.verify(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}

// bearer adds the per-launch secret to every HostCallbacks call.
type bearer struct{ secret string }

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.secret}, nil
}

// RequireTransportSecurity is false: the transport is a private Unix socket.
func (bearer) RequireTransportSecurity() bool { return false }
