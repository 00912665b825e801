package provider

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	corev1 "k8s.io/api/core/v1"
)

// Tags on every task and task definition: the pod they run and the node
// that owns them, so a restarted plugin adopts its tasks (adopt.go).
const (
	TagNode      = "vk-host:node"
	TagNamespace = "vk-host:namespace"
	TagName      = "vk-host:pod"
	TagUID       = "vk-host:uid"
)

// TaskSpec is what the plugin registers and runs for one pod.
type TaskSpec struct {
	Definition *ecs.RegisterTaskDefinitionInput
	Run        *ecs.RunTaskInput
	Size       TaskSize
}

// invalidFamily matches what a task definition family may not hold.
var invalidFamily = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Family is the task definition family of pod: vk-<namespace>-<name>-<uid
// prefix>, with characters ECS refuses replaced by "-", at most 255.
func Family(pod *corev1.Pod) string {
	uid := string(pod.UID)
	if len(uid) > 8 {
		uid = uid[:8]
	}
	f := invalidFamily.ReplaceAllString(fmt.Sprintf("vk-%s-%s-%s", pod.Namespace, pod.Name, uid), "-")
	if len(f) > 255 {
		f = f[:255]
	}
	return f
}

// PodTags are the tags naming pod and the node.
func PodTags(node string, pod *corev1.Pod) []types.Tag {
	return []types.Tag{
		{Key: aws.String(TagNode), Value: aws.String(node)},
		{Key: aws.String(TagNamespace), Value: aws.String(pod.Namespace)},
		{Key: aws.String(TagName), Value: aws.String(pod.Name)},
		{Key: aws.String(TagUID), Value: aws.String(string(pod.UID))},
	}
}

// BuildTaskSpec is the task definition and RunTask request for pod on
// node. resolved holds, by name, the containers whose environment the host
// resolved (those with valueFrom or envFrom); the others are taken as they
// are, literal values only. region is the awslogs region.
func BuildTaskSpec(cfg *Config, node, region string, pod *corev1.Pod, resolved map[string]*corev1.Container) (*TaskSpec, error) {
	if len(pod.Spec.InitContainers) > 0 {
		return nil, errdefs.InvalidInputf("pod %s/%s has init containers: Fargate tasks have no init containers; run them as ordinary containers", pod.Namespace, pod.Name)
	}
	if len(pod.Spec.Containers) == 0 {
		return nil, errdefs.InvalidInputf("pod %s/%s has no containers", pod.Namespace, pod.Name)
	}
	if pod.Spec.HostNetwork {
		return nil, errdefs.InvalidInputf("pod %s/%s asks for hostNetwork: Fargate tasks have their own network interface (awsvpc)", pod.Namespace, pod.Name)
	}
	size, err := PodSize(pod)
	if err != nil {
		return nil, errdefs.InvalidInputf("pod %s/%s: %v", pod.Namespace, pod.Name, err)
	}
	reservations := memoryReservations(pod, size)
	defs := make([]types.ContainerDefinition, 0, len(pod.Spec.Containers))
	for i := range pod.Spec.Containers {
		c := &pod.Spec.Containers[i]
		if r, ok := resolved[c.Name]; ok && r != nil {
			c = r
		}
		def, err := containerDefinition(cfg, region, pod, c, reservations[i])
		if err != nil {
			return nil, err
		}
		defs = append(defs, def)
	}
	tags := PodTags(node, pod)
	definition := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(Family(pod)),
		ContainerDefinitions:    defs,
		Cpu:                     aws.String(strconv.FormatInt(size.CPU, 10)),
		Memory:                  aws.String(strconv.FormatInt(size.Memory, 10)),
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Tags:                    tags,
	}
	if cfg.ExecutionRoleArn != "" {
		definition.ExecutionRoleArn = aws.String(cfg.ExecutionRoleArn)
	}
	if cfg.TaskRoleArn != "" {
		definition.TaskRoleArn = aws.String(cfg.TaskRoleArn)
	}
	assign := types.AssignPublicIpDisabled
	if cfg.AssignPublicIPv4Address {
		assign = types.AssignPublicIpEnabled
	}
	run := &ecs.RunTaskInput{
		Cluster:         aws.String(cfg.ClusterName),
		LaunchType:      types.LaunchTypeFargate,
		Count:           aws.Int32(1),
		PlatformVersion: aws.String(cfg.PlatformVersion),
		StartedBy:       aws.String(startedBy(node)),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets:        cfg.Subnets,
			SecurityGroups: cfg.SecurityGroups,
			AssignPublicIp: assign,
		}},
		Tags: tags,
	}
	return &TaskSpec{Definition: definition, Run: run, Size: size}, nil
}

// startedBy is RunTask's startedBy (at most 128 characters).
func startedBy(node string) string {
	s := "vk-host/" + node
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}

// memoryReservations is each container's soft memory limit in MiB: its
// memory request, and for containers without one an equal share of what
// the task size leaves (ECS needs a container-level memory value when
// several containers share a task; moto needs it always).
func memoryReservations(pod *corev1.Pod, size TaskSize) []int64 {
	out := make([]int64, len(pod.Spec.Containers))
	var requested, without int64
	for i := range pod.Spec.Containers {
		if q, ok := pod.Spec.Containers[i].Resources.Requests[corev1.ResourceMemory]; ok && !q.IsZero() {
			out[i] = mebibytes(q)
			requested += out[i]
		} else {
			without++
		}
	}
	if without > 0 {
		share := (size.Memory - requested) / without
		if share < 6 {
			share = 6 // ECS's minimum container memory
		}
		for i := range out {
			if out[i] == 0 {
				out[i] = share
			}
		}
	}
	return out
}

func containerDefinition(cfg *Config, region string, pod *corev1.Pod, c *corev1.Container, reservation int64) (types.ContainerDefinition, error) {
	if c.Image == "" {
		return types.ContainerDefinition{}, errdefs.InvalidInputf("container %s of pod %s/%s has no image", c.Name, pod.Namespace, pod.Name)
	}
	def := types.ContainerDefinition{
		Name:              aws.String(c.Name),
		Image:             aws.String(c.Image),
		Essential:         aws.Bool(true),
		EntryPoint:        c.Command,
		Command:           c.Args,
		MemoryReservation: aws.Int32(int32(reservation)),
	}
	if c.WorkingDir != "" {
		def.WorkingDirectory = aws.String(c.WorkingDir)
	}
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
		def.Cpu = int32(cpuUnits(q))
	}
	if q, ok := c.Resources.Limits[corev1.ResourceMemory]; ok && !q.IsZero() {
		limit := mebibytes(q)
		if limit < reservation {
			def.MemoryReservation = aws.Int32(int32(limit))
		}
		def.Memory = aws.Int32(int32(limit))
	}
	for _, e := range c.Env {
		if podIPRef(e) {
			continue
		}
		if e.ValueFrom != nil {
			return types.ContainerDefinition{}, errdefs.InvalidInputf("container %s of pod %s/%s: env %s has valueFrom the host did not resolve", c.Name, pod.Namespace, pod.Name, e.Name)
		}
		def.Environment = append(def.Environment, types.KeyValuePair{Name: aws.String(e.Name), Value: aws.String(e.Value)})
	}
	for _, p := range c.Ports {
		protocol := types.TransportProtocolTcp
		switch p.Protocol {
		case corev1.ProtocolUDP:
			protocol = types.TransportProtocolUdp
		case corev1.ProtocolSCTP:
			return types.ContainerDefinition{}, errdefs.InvalidInputf("container %s of pod %s/%s: port %d is SCTP; Fargate supports TCP and UDP", c.Name, pod.Namespace, pod.Name, p.ContainerPort)
		}
		if p.HostPort != 0 && p.HostPort != p.ContainerPort {
			return types.ContainerDefinition{}, errdefs.InvalidInputf("container %s of pod %s/%s: hostPort %d differs from containerPort %d; awsvpc tasks expose the container port itself", c.Name, pod.Namespace, pod.Name, p.HostPort, p.ContainerPort)
		}
		def.PortMappings = append(def.PortMappings, types.PortMapping{ContainerPort: aws.Int32(p.ContainerPort), Protocol: protocol})
	}
	if cfg.CloudWatchLogGroupName != "" {
		def.LogConfiguration = &types.LogConfiguration{
			LogDriver: types.LogDriverAwslogs,
			Options: map[string]string{
				"awslogs-group":         cfg.CloudWatchLogGroupName,
				"awslogs-region":        region,
				"awslogs-stream-prefix": cfg.CloudWatchLogStreamPrefix,
			},
		}
	}
	return def, nil
}

// podIPRef: e takes the pod's IP (fieldRef status.podIP or status.podIPs),
// which the host leaves unresolved until the plugin reports an IP. A
// Fargate task gets its IP after its definition is registered, so such a
// variable cannot be set: it is left out (README, "Limits").
func podIPRef(e corev1.EnvVar) bool {
	if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil {
		return false
	}
	switch e.ValueFrom.FieldRef.FieldPath {
	case "status.podIP", "status.podIPs":
		return true
	}
	return false
}

// needsHost: the container has references the host did not resolve in the
// pod it sent (valueFrom other than the pod's IP, envFrom); the plugin asks
// the host for the container's environment (GetContainerEnv).
func needsHost(c *corev1.Container) bool {
	if len(c.EnvFrom) > 0 {
		return true
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && !podIPRef(e) {
			return true
		}
	}
	return false
}
