package provider

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseConfigAppliesDefaults(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader(`Subnets = ["subnet-1"]`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClusterName != "default" || cfg.PlatformVersion != "LATEST" || cfg.CloudWatchLogStreamPrefix != "vk" ||
		cfg.PollInterval() != 5*time.Second || cfg.AssignPublicIPv4Address {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
	if q := cfg.capacity["Pods"]; q.String() != "20" {
		t.Fatalf("Pods capacity %s, want 20", q.String())
	}
}

func TestParseConfigReadsEveryKey(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader(`
Region = "eu-west-1"
ClusterName = "pods"
Subnets = ["subnet-1", "subnet-2"]
SecurityGroups = ["sg-1"]
AssignPublicIPv4Address = true
ExecutionRoleArn = "arn:aws:iam::1:role/exec"
TaskRoleArn = "arn:aws:iam::1:role/task"
CloudWatchLogGroupName = "/pods"
CloudWatchLogStreamPrefix = "p"
PlatformVersion = "1.4.0"
OperatingSystem = "Linux"
CPU = "4"
Memory = "8Gi"
Storage = "20Gi"
Pods = "5"
Endpoint = "http://127.0.0.1:5000"
StatusPollInterval = "2s"
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-1" || len(cfg.Subnets) != 2 || cfg.TaskRoleArn == "" || cfg.PollInterval() != 2*time.Second ||
		cfg.Endpoint != "http://127.0.0.1:5000" || !cfg.AssignPublicIPv4Address {
		t.Fatalf("keys not read: %+v", cfg)
	}
}

func TestParseConfigErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		`Subnets = ["s"]` + "\nSubnet = \"x\"": "unknown key Subnet",
		`ClusterName = "c"`:                    "missing required key Subnets",
		`Subnets = []`:                         "missing required key Subnets",
		`Subnets = ["s"]` + "\nCloudWatchLogGroupName = \"/g\"":  "missing required key ExecutionRoleArn",
		`Subnets = ["s"]` + "\nOperatingSystem = \"Windows\"":    "key OperatingSystem",
		`Subnets = ["s"]` + "\nStatusPollInterval = \"soon\"":    "key StatusPollInterval",
		`Subnets = ["s"]` + "\nCPU = \"lots\"":                   "key CPU",
		`Subnets = ["s"]` + "\nMemory = \"1Mi\"":                 "key Memory",
		`Subnets = ["s"]` + "\nEndpoint = \"localhost:5000\"":    "key Endpoint",
		`Subnets = "subnet-1"`:                                   "invalid TOML",
		`Subnets = ["s"]` + "\n[extra]\nkey = 1":                 "unknown key extra",
		`Subnets = ["s"]` + "\nCloudWatchLogStreamPrefix = \"\"": "key CloudWatchLogStreamPrefix",
		`Subnets = [""]`: "key Subnets",
		`Subnets = ["s"]` + "\nClusterName = \"\"":                "key ClusterName",
		`Subnets = ["s"]` + "\nPlatformVersion = \"\"":            "key PlatformVersion",
		`Subnets = ["s"]` + "\nPods = \"0\"":                      "key Pods",
		`Subnets = ["s"]` + "\nAssignPublicIPv4Address = \"yes\"": "invalid TOML",
		`Subnets = ["s"]` + "\nStatusPollInterval = \"1ms\"":      "key StatusPollInterval",
	}
	for input, want := range cases {
		_, err := ParseConfig(strings.NewReader(input))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseConfig(%q) = %v; want an error containing %q", input, err, want)
		}
	}
}

func TestLoadConfigWithoutAPathSaysHowToGiveOne(t *testing.T) {
	_, err := LoadConfig("")
	if err == nil || !strings.Contains(err.Error(), "--plugin-config") {
		t.Fatalf("LoadConfig(\"\") = %v; want an error naming --plugin-config", err)
	}
}

// The example of README.md is a valid configuration.
func TestTheReadmeExampleParses(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "```toml\n")
	if start < 0 {
		t.Fatal("no ```toml block in README.md")
	}
	text = text[start+len("```toml\n"):]
	example := text[:strings.Index(text, "```")]
	cfg, err := ParseConfig(strings.NewReader(example))
	if err != nil {
		t.Fatalf("the README's example: %v", err)
	}
	if cfg.ClusterName != "vk-pods" || cfg.PollInterval() != 5*time.Second {
		t.Fatalf("the README's example read as %+v", cfg)
	}
}
