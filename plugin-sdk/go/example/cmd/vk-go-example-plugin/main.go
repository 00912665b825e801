// Command vk-go-example-plugin serves the example provider, written for
// upstream virtual-kubelet, as a vk-host plugin: the whole move out of
// process is this file. Run it with `vk-host --plugin PATH`; set
// VK_GO_EXAMPLE_STATE_FILE (vk-host --plugin-env) to keep its pods across
// restarts. Its metrics (pods created, pods held) reach the host's /metrics
// through Options.Metrics.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vk-host/vk-host/plugin-sdk/go/example/provider"
	"github.com/vk-host/vk-host/plugin-sdk/go/vkplugin"
)

func main() {
	metrics := prometheus.NewRegistry()
	cfg := provider.Config{StateFile: os.Getenv("VK_GO_EXAMPLE_STATE_FILE"), Metrics: metrics}
	opts := vkplugin.Options{Name: "go-example", Version: "0.1.0", Metrics: metrics}
	if err := vkplugin.ServeNewProvider(context.Background(), provider.NewProviderFunc(cfg), opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
