package vkplugin

import (
	"context"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// identityServer is PluginIdentity: handshake, readiness, shutdown.
type identityServer struct {
	pb.UnimplementedPluginIdentityServer
	plugin *plugin
}

func (s *identityServer) Handshake(ctx context.Context, req *pb.HandshakeRequest) (*pb.HandshakeResponse, error) {
	if !slices.Contains(req.GetProtocolVersions(), ProtocolVersion) {
		return nil, status.Errorf(codes.FailedPrecondition,
			"the host offers protocol versions %v; this plugin speaks [%d]", req.GetProtocolVersions(), ProtocolVersion)
	}
	inst, err := s.plugin.instance(req.GetNodeName())
	if err != nil {
		return nil, err
	}
	return &pb.HandshakeResponse{
		ProtocolVersion: ProtocolVersion,
		Name:            s.plugin.opts.Name,
		Version:         s.plugin.opts.Version,
		Capabilities:    inst.capabilities,
	}, nil
}

// Probe is ready unless the provider's Ping (node.NodeProvider) fails.
func (s *identityServer) Probe(ctx context.Context, _ *pb.ProbeRequest) (*pb.ProbeResponse, error) {
	inst, err := s.plugin.ready()
	if err != nil {
		return &pb.ProbeResponse{Ready: false, Message: "waiting for the handshake"}, nil
	}
	if inst.ping != nil {
		if err := inst.ping.Ping(ctx); err != nil {
			return &pb.ProbeResponse{Ready: false, Message: err.Error()}, nil
		}
	}
	return &pb.ProbeResponse{Ready: true}, nil
}

// Shutdown answers, then stops the plugin: in-flight calls and streams are
// cancelled, the process returns from Serve. Pods are not deleted.
func (s *identityServer) Shutdown(context.Context, *pb.ShutdownRequest) (*pb.ShutdownResponse, error) {
	s.plugin.log.Info("the host asked the plugin to shut down")
	s.plugin.shutdown()
	return &pb.ShutdownResponse{}, nil
}
