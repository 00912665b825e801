// Command vk-go-example-plugin serves the example provider, written for
// upstream virtual-kubelet, as a vk-host plugin: the whole move out of
// process is this file. Run it with `vk-host --plugin PATH`; set
// VK_GO_EXAMPLE_STATE_FILE (vk-host --plugin-env) to keep its pods across
// restarts.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/vk-host/vk-host/plugin-sdk/go/example/provider"
	"github.com/vk-host/vk-host/plugin-sdk/go/vkplugin"
)

func main() {
	cfg := provider.Config{StateFile: os.Getenv("VK_GO_EXAMPLE_STATE_FILE")}
	opts := vkplugin.Options{Name: "go-example", Version: "0.1.0"}
	if err := vkplugin.ServeNewProvider(context.Background(), provider.NewProviderFunc(cfg), opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
