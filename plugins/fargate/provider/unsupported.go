package provider

import (
	"context"
	"io"

	dto "github.com/prometheus/client_model/go"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// The rest of nodeutil.Provider: Fargate tasks offer no exec, attach,
// port-forward or kubelet stats through this plugin (ECS Exec needs the
// SSM agent in the image and the session manager plugin). The command
// leaves these capabilities undeclared (vkplugin.Options.Without), so the
// host never calls them; they answer UNIMPLEMENTED all the same.

func unimplemented(what string) error {
	return status.Error(codes.Unimplemented, what+" is not supported by the Fargate plugin")
}

// RunInContainer is not supported.
func (p *Provider) RunInContainer(context.Context, string, string, string, []string, api.AttachIO) error {
	return unimplemented("exec")
}

// AttachToContainer is not supported.
func (p *Provider) AttachToContainer(context.Context, string, string, string, api.AttachIO) error {
	return unimplemented("attach")
}

// PortForward is not supported.
func (p *Provider) PortForward(context.Context, string, string, int32, io.ReadWriteCloser) error {
	return unimplemented("port-forward")
}

// GetStatsSummary is not supported.
func (p *Provider) GetStatsSummary(context.Context) (*statsv1alpha1.Summary, error) {
	return nil, unimplemented("stats summary")
}

// GetMetricsResource is not supported.
func (p *Provider) GetMetricsResource(context.Context) ([]*dto.MetricFamily, error) {
	return nil, unimplemented("resource metrics")
}
