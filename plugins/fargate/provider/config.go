package provider

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Defaults of the optional configuration keys (README: "Configuration").
const (
	defaultClusterName        = "default"
	defaultPlatformVersion    = "LATEST"
	defaultOperatingSystem    = "Linux"
	defaultLogStreamPrefix    = "vk"
	defaultStatusPollInterval = 5 * time.Second
	defaultCPU                = "20"
	defaultMemory             = "40Gi"
	defaultStorage            = "40Gi"
	defaultPods               = "20"
)

// Config is the plugin's configuration file (vk-host --plugin-config): the
// keys of upstream's Fargate provider, plus TaskRoleArn,
// CloudWatchLogStreamPrefix, Endpoint and StatusPollInterval.
type Config struct {
	// Region overrides the region of the standard AWS chain (AWS_REGION).
	Region string
	// ClusterName is the ECS cluster the tasks run in (it must exist).
	ClusterName string
	// Subnets the task ENIs are placed in. Required.
	Subnets []string
	// SecurityGroups of the task ENIs; none: the VPC's default group.
	SecurityGroups []string
	// AssignPublicIPv4Address gives each task ENI a public IPv4 address.
	AssignPublicIPv4Address bool
	// ExecutionRoleArn is the role Fargate pulls images and writes logs
	// with; required with CloudWatchLogGroupName.
	ExecutionRoleArn string
	// TaskRoleArn is the role the containers get credentials of.
	TaskRoleArn string
	// CloudWatchLogGroupName is the awslogs group of every container; empty:
	// no logs (kubectl logs answers that logs are not configured).
	CloudWatchLogGroupName string
	// CloudWatchLogStreamPrefix is the awslogs stream prefix.
	CloudWatchLogStreamPrefix string
	// PlatformVersion of the Fargate tasks.
	PlatformVersion string
	// OperatingSystem of the node; Fargate runs Linux tasks only.
	OperatingSystem string
	// CPU, Memory, Storage and Pods are the node's advertised capacity.
	CPU     string
	Memory  string
	Storage string
	Pods    string
	// Endpoint overrides the AWS endpoint of ECS and CloudWatch Logs (an
	// emulator such as moto, or a VPC endpoint).
	Endpoint string
	// StatusPollInterval is how often DescribeTasks is polled, a Go
	// duration ("5s").
	StatusPollInterval string

	// pollInterval is StatusPollInterval parsed.
	pollInterval time.Duration
	// capacity is CPU, Memory, Storage and Pods parsed.
	capacity map[string]resource.Quantity
}

// PollInterval is StatusPollInterval parsed.
func (c *Config) PollInterval() time.Duration { return c.pollInterval }

// LoadConfig reads and validates the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	if path == "" {
		return nil, errors.New("no configuration file: start vk-host with --plugin-config FILE " +
			"(a TOML file with at least Subnets and ClusterName; see plugins/fargate/README.md)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration file: %w", err)
	}
	defer f.Close()
	cfg, err := ParseConfig(f)
	if err != nil {
		return nil, fmt.Errorf("configuration file %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig decodes a TOML configuration, applies the defaults and
// validates it. Unknown keys and missing required keys are errors naming
// the key.
func ParseConfig(r io.Reader) (*Config, error) {
	cfg := Config{
		ClusterName:               defaultClusterName,
		PlatformVersion:           defaultPlatformVersion,
		OperatingSystem:           defaultOperatingSystem,
		CloudWatchLogStreamPrefix: defaultLogStreamPrefix,
		CPU:                       defaultCPU,
		Memory:                    defaultMemory,
		Storage:                   defaultStorage,
		Pods:                      defaultPods,
	}
	meta, err := toml.NewDecoder(r).Decode(&cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid TOML: %w", err)
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, 0, len(undecoded))
		for _, k := range undecoded {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("unknown key %s (known keys: %s)", strings.Join(keys, ", "), strings.Join(knownKeys(), ", "))
	}
	if err := cfg.validate(meta); err != nil {
		return nil, err
	}
	return &cfg, nil
}

func knownKeys() []string {
	return []string{
		"Region", "ClusterName", "Subnets", "SecurityGroups", "AssignPublicIPv4Address",
		"ExecutionRoleArn", "TaskRoleArn", "CloudWatchLogGroupName", "CloudWatchLogStreamPrefix",
		"PlatformVersion", "OperatingSystem", "CPU", "Memory", "Storage", "Pods", "Endpoint",
		"StatusPollInterval",
	}
}

func (c *Config) validate(meta toml.MetaData) error {
	if len(c.Subnets) == 0 {
		return errors.New("missing required key Subnets (the subnets of the task ENIs, e.g. Subnets = [\"subnet-0123\"])")
	}
	for _, s := range c.Subnets {
		if strings.TrimSpace(s) == "" {
			return errors.New("key Subnets: an entry is empty")
		}
	}
	if c.ClusterName == "" {
		return errors.New("key ClusterName is empty (the ECS cluster the tasks run in; default \"default\")")
	}
	if meta.IsDefined("ClusterName") && strings.TrimSpace(c.ClusterName) != c.ClusterName {
		return fmt.Errorf("key ClusterName %q has surrounding spaces", c.ClusterName)
	}
	if c.OperatingSystem != defaultOperatingSystem {
		return fmt.Errorf("key OperatingSystem is %q: Fargate runs Linux tasks only (OperatingSystem = \"Linux\")", c.OperatingSystem)
	}
	if c.CloudWatchLogGroupName != "" && c.ExecutionRoleArn == "" {
		return errors.New("missing required key ExecutionRoleArn: Fargate writes the CloudWatchLogGroupName logs with the execution role")
	}
	if c.CloudWatchLogStreamPrefix == "" {
		return errors.New("key CloudWatchLogStreamPrefix is empty (awslogs needs a stream prefix on Fargate)")
	}
	if c.PlatformVersion == "" {
		return errors.New("key PlatformVersion is empty (default \"LATEST\")")
	}
	if c.Endpoint != "" && !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		return fmt.Errorf("key Endpoint %q is not an http:// or https:// URL", c.Endpoint)
	}
	c.pollInterval = defaultStatusPollInterval
	if c.StatusPollInterval != "" {
		d, err := time.ParseDuration(c.StatusPollInterval)
		if err != nil || d < 100*time.Millisecond {
			return fmt.Errorf("key StatusPollInterval %q is not a duration of at least 100ms (e.g. \"5s\")", c.StatusPollInterval)
		}
		c.pollInterval = d
	}
	minimum := map[string]string{"CPU": "250m", "Memory": "512Mi", "Storage": "0", "Pods": "1"}
	values := map[string]string{"CPU": c.CPU, "Memory": c.Memory, "Storage": c.Storage, "Pods": c.Pods}
	c.capacity = map[string]resource.Quantity{}
	for _, key := range []string{"CPU", "Memory", "Storage", "Pods"} {
		q, err := resource.ParseQuantity(values[key])
		if err != nil {
			return fmt.Errorf("key %s %q is not a Kubernetes quantity (e.g. %q)", key, values[key], minimum[key])
		}
		if q.Cmp(resource.MustParse(minimum[key])) < 0 {
			return fmt.Errorf("key %s %q is less than the minimum %s", key, values[key], minimum[key])
		}
		c.capacity[key] = q
	}
	return nil
}
