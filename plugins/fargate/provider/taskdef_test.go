package provider

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func testConfig(t *testing.T) *Config {
	t.Helper()
	cfg, err := ParseConfig(strings.NewReader(`
ClusterName = "pods"
Subnets = ["subnet-1"]
SecurityGroups = ["sg-1"]
ExecutionRoleArn = "arn:exec"
TaskRoleArn = "arn:task"
CloudWatchLogGroupName = "/pods"
CloudWatchLogStreamPrefix = "web"
PlatformVersion = "1.4.0"
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web.1", UID: "0123456789abcdef"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{
				Name: "main", Image: "nginx", Command: []string{"nginx"}, Args: []string{"-g", "daemon off;"},
				Env:   []corev1.EnvVar{{Name: "MODE", Value: "literal"}},
				Ports: []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 53, Protocol: corev1.ProtocolUDP}},
				Resources: corev1.ResourceRequirements{
					Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("300m"), corev1.ResourceMemory: resource.MustParse("600Mi")},
				},
			},
			{Name: "side", Image: "busybox"},
		}},
	}
}

func TestBuildTaskSpecFromPod(t *testing.T) {
	spec, err := BuildTaskSpec(testConfig(t), "node-a", "us-east-1", testPod(), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := spec.Definition
	if aws.ToString(d.Family) != "vk-ns-web-1-01234567" {
		t.Errorf("family %q", aws.ToString(d.Family))
	}
	if aws.ToString(d.Cpu) != "512" || aws.ToString(d.Memory) != "1024" {
		t.Errorf("size %s/%s, want 512/1024", aws.ToString(d.Cpu), aws.ToString(d.Memory))
	}
	if d.NetworkMode != types.NetworkModeAwsvpc || d.RequiresCompatibilities[0] != types.CompatibilityFargate {
		t.Errorf("network %s, compatibilities %v", d.NetworkMode, d.RequiresCompatibilities)
	}
	if aws.ToString(d.ExecutionRoleArn) != "arn:exec" || aws.ToString(d.TaskRoleArn) != "arn:task" {
		t.Errorf("roles %v %v", aws.ToString(d.ExecutionRoleArn), aws.ToString(d.TaskRoleArn))
	}
	main := d.ContainerDefinitions[0]
	if aws.ToString(main.Image) != "nginx" || main.EntryPoint[0] != "nginx" || main.Command[1] != "daemon off;" {
		t.Errorf("main container %+v", main)
	}
	if len(main.Environment) != 1 || aws.ToString(main.Environment[0].Value) != "literal" {
		t.Errorf("env %+v", main.Environment)
	}
	if main.Cpu != 308 || aws.ToInt32(main.MemoryReservation) != 600 || main.Memory != nil {
		t.Errorf("main cpu %d reservation %d memory %v", main.Cpu, aws.ToInt32(main.MemoryReservation), main.Memory)
	}
	if main.PortMappings[1].Protocol != types.TransportProtocolUdp || aws.ToInt32(main.PortMappings[0].ContainerPort) != 80 {
		t.Errorf("ports %+v", main.PortMappings)
	}
	opts := main.LogConfiguration.Options
	if main.LogConfiguration.LogDriver != types.LogDriverAwslogs || opts["awslogs-group"] != "/pods" ||
		opts["awslogs-stream-prefix"] != "web" || opts["awslogs-region"] != "us-east-1" {
		t.Errorf("log configuration %+v", main.LogConfiguration)
	}
	// The container without a memory request shares what the size leaves.
	if got := aws.ToInt32(d.ContainerDefinitions[1].MemoryReservation); got != 1024-600 {
		t.Errorf("side reservation %d, want 424", got)
	}
	r := spec.Run
	if aws.ToString(r.Cluster) != "pods" || r.LaunchType != types.LaunchTypeFargate || aws.ToString(r.PlatformVersion) != "1.4.0" ||
		r.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp != types.AssignPublicIpDisabled ||
		r.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "subnet-1" || aws.ToString(r.StartedBy) != "vk-host/node-a" {
		t.Errorf("run %+v", r)
	}
	tags := map[string]string{}
	for _, tag := range r.Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if tags[TagNode] != "node-a" || tags[TagNamespace] != "ns" || tags[TagName] != "web.1" || tags[TagUID] != "0123456789abcdef" {
		t.Errorf("tags %v", tags)
	}
	if len(d.Tags) != 4 {
		t.Errorf("task definition tags %v", d.Tags)
	}
}

func TestBuildTaskSpecUsesTheHostsResolvedEnvironment(t *testing.T) {
	pod := testPod()
	pod.Spec.Containers[0].Env = append(pod.Spec.Containers[0].Env, corev1.EnvVar{
		Name:      "GREETING",
		ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "greeting"}},
	})
	if !needsHost(&pod.Spec.Containers[0]) || needsHost(&pod.Spec.Containers[1]) {
		t.Fatal("needsHost: only the container with valueFrom needs the host")
	}
	podIP := corev1.EnvVar{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}
	if needsHost(&corev1.Container{Env: []corev1.EnvVar{podIP}}) {
		t.Fatal("needsHost: the pod IP cannot be resolved before the task runs")
	}
	if _, err := BuildTaskSpec(testConfig(t), "n", "r", pod, nil); !errdefs.IsInvalidInput(err) {
		t.Fatalf("unresolved valueFrom: %v, want an invalid input error", err)
	}
	resolved := pod.Spec.Containers[0].DeepCopy()
	resolved.Env = []corev1.EnvVar{{Name: "MODE", Value: "literal"}, {Name: "GREETING", Value: "hello"}, podIP}
	spec, err := BuildTaskSpec(testConfig(t), "n", "r", pod, map[string]*corev1.Container{"main": resolved})
	if err != nil {
		t.Fatal(err)
	}
	env := spec.Definition.ContainerDefinitions[0].Environment
	if len(env) != 2 || aws.ToString(env[1].Value) != "hello" {
		t.Fatalf("env %+v", env)
	}
}

func TestBuildTaskSpecRefusesWhatFargateCannotRun(t *testing.T) {
	cases := map[string]func(*corev1.Pod){
		"init containers": func(p *corev1.Pod) { p.Spec.InitContainers = []corev1.Container{{Name: "i", Image: "x"}} },
		"hostNetwork":     func(p *corev1.Pod) { p.Spec.HostNetwork = true },
		"no image":        func(p *corev1.Pod) { p.Spec.Containers[0].Image = "" },
		"SCTP":            func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].Protocol = corev1.ProtocolSCTP },
		"hostPort":        func(p *corev1.Pod) { p.Spec.Containers[0].Ports[0].HostPort = 8080 },
		"too big": func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("17")
		},
	}
	for what, mutate := range cases {
		pod := testPod()
		mutate(pod)
		if _, err := BuildTaskSpec(testConfig(t), "n", "r", pod, nil); !errdefs.IsInvalidInput(err) {
			t.Errorf("%s: %v, want an invalid input error", what, err)
		}
	}
}

func TestNoLogConfigurationWithoutALogGroup(t *testing.T) {
	cfg, err := ParseConfig(strings.NewReader(`Subnets = ["s"]`))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := BuildTaskSpec(cfg, "n", "r", testPod(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Definition.ContainerDefinitions[0].LogConfiguration != nil {
		t.Fatal("a log configuration without CloudWatchLogGroupName")
	}
}

func TestFamilyIsValidAndBounded(t *testing.T) {
	pod := testPod()
	pod.Name = strings.Repeat("a.", 150)
	f := Family(pod)
	if len(f) > 255 || strings.ContainsAny(f, ".") {
		t.Fatalf("family %q", f)
	}
}
