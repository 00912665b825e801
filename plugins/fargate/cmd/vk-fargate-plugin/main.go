// Command vk-fargate-plugin runs the pods of a vk-host node as AWS Fargate
// tasks. vk-host starts it (`vk-host --plugin vk-fargate-plugin
// --plugin-config fargate.toml --plugin-env AWS_REGION ...`); the
// configuration keys are in plugins/fargate/README.md.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	corev1 "k8s.io/api/core/v1"

	"github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
	"github.com/vk-host/vk-host/plugin-sdk/go/vkplugin"
	"github.com/vk-host/vk-host/plugins/fargate/provider"
)

const version = "0.1.0"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "vk-fargate-plugin:", err)
		os.Exit(1)
	}
}

func run() error {
	launch, err := vkplugin.ReadLaunch()
	if err != nil {
		return err
	}
	cfg, err := provider.LoadConfig(launch.ConfigPath)
	if err != nil {
		return err
	}
	ctx := context.Background()
	clients, err := provider.NewClients(ctx, cfg)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	host := vkplugin.NewHostClient(launch)
	defer host.Close()
	env := func(ctx context.Context, pod *corev1.Pod, container string) (*corev1.Container, error) {
		return host.GetContainerEnv(ctx, pod, container, nil)
	}
	newProvider := func(pc nodeutil.ProviderConfig) (nodeutil.Provider, node.NodeProvider, error) {
		return provider.New(cfg, clients, pc.Node.Name, env, log), nil, nil
	}
	return vkplugin.ServeNewProvider(ctx, newProvider, vkplugin.Options{
		Name:    "fargate",
		Version: version,
		Launch:  &launch,
		Logger:  log,
		Without: []vkplugin.Capability{
			providerv1.Capability_CAPABILITY_EXEC,
			providerv1.Capability_CAPABILITY_ATTACH,
			providerv1.Capability_CAPABILITY_PORT_FORWARD,
			providerv1.Capability_CAPABILITY_STATS_SUMMARY,
			providerv1.Capability_CAPABILITY_METRICS_RESOURCE,
		},
	})
}
