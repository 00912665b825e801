package vkplugin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The launch variables of proto/provider.proto ("Launch").
const (
	envMagicCookie      = "VK_PLUGIN_MAGIC_COOKIE"
	envPluginSocket     = "VK_PLUGIN_SOCKET"
	envHostSocket       = "VK_HOST_SOCKET"
	envProtocolVersions = "VK_PLUGIN_PROTOCOL_VERSIONS"
	envSecretFile       = "VK_PLUGIN_SECRET_FILE"
	envConfig           = "VK_PLUGIN_CONFIG"
	magicCookie         = "d2a8c4f0-vk-host-plugin"
)

// ProtocolVersion is the protocol major this SDK speaks (package
// vk.provider.v1).
const ProtocolVersion = 1

// ErrNotLaunchedByHost is returned by [ReadLaunch] (and so by [Serve]) when
// the program was started by hand instead of by vk-host.
var ErrNotLaunchedByHost = errors.New("not launched by vk-host")

// Launch is what vk-host tells a plugin when it starts it: where to listen,
// where the host's callbacks are, the protocol majors it speaks and the
// per-launch secret. [ReadLaunch] reads it from the environment.
type Launch struct {
	// PluginSocket is the Unix socket the plugin binds.
	PluginSocket string
	// HostSocket is where the host serves HostCallbacks.
	HostSocket string
	// ProtocolVersions are the majors the host speaks, e.g. [1].
	ProtocolVersions []uint32
	// ConfigPath is the plugin's configuration file (vk-host
	// --plugin-config), or empty.
	ConfigPath string
	// WatchStdin: stdin is the host's pipe, so its end-of-file means the
	// host is gone. True when launched by vk-host.
	WatchStdin bool
	secret     string
}

// Secret is the per-launch secret, sent as `authorization: Bearer
// <secret>` both ways. Never log it.
func (l Launch) Secret() string { return l.secret }

// String shows the launch without its secret.
func (l Launch) String() string {
	return fmt.Sprintf("Launch{plugin socket %s, host socket %s, versions %v, config %q}",
		l.PluginSocket, l.HostSocket, l.ProtocolVersions, l.ConfigPath)
}

// ReadLaunch reads the launch environment set by vk-host. Started by hand
// (no magic cookie), it returns an error wrapping [ErrNotLaunchedByHost]
// whose text tells how to run the plugin.
func ReadLaunch() (Launch, error) {
	return launchFrom(os.LookupEnv)
}

func launchFrom(lookup func(string) (string, bool)) (Launch, error) {
	if cookie, _ := lookup(envMagicCookie); cookie != magicCookie {
		me := filepath.Base(os.Args[0])
		return Launch{}, fmt.Errorf("%w: this program is a vk-host plugin and is started by vk-host, "+
			"not by hand: run `vk-host --plugin %s` (or `vk-plugin-conformance %s` to test it)",
			ErrNotLaunchedByHost, me, me)
	}
	required := func(name string) (string, error) {
		value, ok := lookup(name)
		if !ok || value == "" {
			return "", fmt.Errorf("launch environment variable %s is not set; is vk-host older than this plugin?", name)
		}
		return value, nil
	}
	var launch Launch
	var err error
	if launch.PluginSocket, err = required(envPluginSocket); err != nil {
		return Launch{}, err
	}
	if launch.HostSocket, err = required(envHostSocket); err != nil {
		return Launch{}, err
	}
	versions, err := required(envProtocolVersions)
	if err != nil {
		return Launch{}, err
	}
	if launch.ProtocolVersions, err = parseVersions(versions); err != nil {
		return Launch{}, fmt.Errorf("launch environment variable %s has an invalid value %q: %w",
			envProtocolVersions, versions, err)
	}
	secretPath, err := required(envSecretFile)
	if err != nil {
		return Launch{}, err
	}
	if launch.secret, err = readSecret(secretPath); err != nil {
		return Launch{}, err
	}
	launch.ConfigPath, _ = lookup(envConfig)
	launch.WatchStdin = true
	return launch, nil
}

func parseVersions(text string) ([]uint32, error) {
	var versions []uint32
	for _, part := range strings.Split(text, ",") {
		v, err := strconv.ParseUint(strings.TrimSpace(part), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a protocol major", part)
		}
		versions = append(versions, uint32(v))
	}
	return versions, nil
}

func readSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the per-launch secret from %s: %w", path, err)
	}
	secret := strings.TrimSpace(string(data))
	if secret == "" {
		return "", fmt.Errorf("reading the per-launch secret from %s: the file is empty", path)
	}
	return secret, nil
}
