package vkplugin

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// lifecycleServer is PodLifecycle over an upstream provider. It adds what
// the protocol asks and upstream's pod controller did for its providers:
// CreatePod idempotent per UID (GetPod first, as virtual-kubelet's
// createOrUpdatePod does), ALREADY_EXISTS for another UID, NOT_FOUND for
// a PodRef naming another UID, one call per pod at a time.
type lifecycleServer struct {
	pb.UnimplementedPodLifecycleServer
	plugin *plugin
}

// decodePod reads a request's pod: Kubernetes JSON with name, namespace
// and uid.
func decodePod(data []byte) (*corev1.Pod, error) {
	if len(data) == 0 {
		return nil, invalid("`pod` is required")
	}
	var pod corev1.Pod
	if err := json.Unmarshal(data, &pod); err != nil {
		return nil, invalid("`pod` is not a Kubernetes Pod in JSON: %v", err)
	}
	if pod.Name == "" || pod.Namespace == "" || pod.UID == "" {
		return nil, invalid("`pod.metadata` needs name, namespace and uid")
	}
	return &pod, nil
}

// checkRef validates a PodRef (namespace and name required).
func checkRef(ref *pb.PodRef) error {
	if ref == nil {
		return invalid("`pod` is required")
	}
	if ref.GetNamespace() == "" || ref.GetName() == "" {
		return invalid("`pod.namespace` and `pod.name` are required")
	}
	return nil
}

// heldPod is the provider's pod for ref: NOT_FOUND when it has none (an
// error that says so, or a nil pod) or holds it under another UID.
func heldPod(ctx context.Context, inst *instance, ref *pb.PodRef) (*corev1.Pod, error) {
	pod, err := inst.handler.GetPod(ctx, ref.GetNamespace(), ref.GetName())
	if err != nil {
		return nil, ToStatus(err)
	}
	if pod == nil {
		return nil, notFound("pod %s/%s not found", ref.GetNamespace(), ref.GetName())
	}
	if ref.GetUid() != "" && string(pod.UID) != ref.GetUid() {
		return nil, notFound("pod %s/%s is held under uid %s, not %s", ref.GetNamespace(), ref.GetName(), pod.UID, ref.GetUid())
	}
	return pod, nil
}

func refOf(pod *corev1.Pod) *pb.PodRef {
	return &pb.PodRef{Namespace: pod.Namespace, Name: pod.Name, Uid: string(pod.UID)}
}

func (s *lifecycleServer) CreatePod(ctx context.Context, req *pb.CreatePodRequest) (*pb.CreatePodResponse, error) {
	inst, err := s.plugin.ready()
	if err != nil {
		return nil, err
	}
	pod, err := decodePod(req.GetPod())
	if err != nil {
		return nil, err
	}
	defer s.plugin.locks.lock(podKey(pod.Namespace, pod.Name))()
	// As upstream's pod controller: any GetPod error counts as "not held".
	if held, err := heldPod(ctx, inst, &pb.PodRef{Namespace: pod.Namespace, Name: pod.Name}); err == nil {
		if held.UID == pod.UID {
			return &pb.CreatePodResponse{}, nil // idempotent per UID
		}
		return nil, status.Errorf(codes.AlreadyExists, "pod %s/%s is held under uid %s; uid %s cannot be created until it is gone",
			pod.Namespace, pod.Name, held.UID, pod.UID)
	}
	s.plugin.pods.put(pod)
	if err := inst.handler.CreatePod(ctx, pod); err != nil {
		s.plugin.pods.remove(pod)
		return nil, ToStatus(err)
	}
	return &pb.CreatePodResponse{}, nil
}

func (s *lifecycleServer) UpdatePod(ctx context.Context, req *pb.UpdatePodRequest) (*pb.UpdatePodResponse, error) {
	inst, err := s.plugin.ready()
	if err != nil {
		return nil, err
	}
	pod, err := decodePod(req.GetPod())
	if err != nil {
		return nil, err
	}
	defer s.plugin.locks.lock(podKey(pod.Namespace, pod.Name))()
	if _, err := heldPod(ctx, inst, refOf(pod)); err != nil {
		return nil, err
	}
	s.plugin.pods.put(pod)
	if err := inst.handler.UpdatePod(ctx, pod); err != nil {
		return nil, ToStatus(err)
	}
	return &pb.UpdatePodResponse{}, nil
}

func (s *lifecycleServer) DeletePod(ctx context.Context, req *pb.DeletePodRequest) (*pb.DeletePodResponse, error) {
	inst, err := s.plugin.ready()
	if err != nil {
		return nil, err
	}
	pod, err := decodePod(req.GetPod())
	if err != nil {
		return nil, err
	}
	defer s.plugin.locks.lock(podKey(pod.Namespace, pod.Name))()
	if _, err := heldPod(ctx, inst, refOf(pod)); err != nil {
		if status.Code(err) == codes.NotFound {
			s.plugin.pods.remove(pod)
		}
		return nil, err
	}
	if err := inst.handler.DeletePod(ctx, pod); err != nil {
		err = ToStatus(err)
		if status.Code(err) == codes.NotFound {
			s.plugin.pods.remove(pod)
		}
		return nil, err
	}
	s.plugin.pods.remove(pod)
	return &pb.DeletePodResponse{}, nil
}

func (s *lifecycleServer) GetPod(ctx context.Context, req *pb.GetPodRequest) (*pb.GetPodResponse, error) {
	inst, err := s.plugin.ready()
	if err != nil {
		return nil, err
	}
	if err := checkRef(req.GetPod()); err != nil {
		return nil, err
	}
	pod, err := heldPod(ctx, inst, req.GetPod())
	if err != nil {
		return nil, err
	}
	data, err := encode(pod)
	return &pb.GetPodResponse{Pod: data}, err
}

func (s *lifecycleServer) GetPodStatus(ctx context.Context, req *pb.GetPodStatusRequest) (*pb.GetPodStatusResponse, error) {
	inst, err := s.plugin.ready()
	if err != nil {
		return nil, err
	}
	ref := req.GetPod()
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if ref.GetUid() != "" {
		if _, err := heldPod(ctx, inst, ref); err != nil {
			return nil, err
		}
	}
	podStatus, err := inst.handler.GetPodStatus(ctx, ref.GetNamespace(), ref.GetName())
	if err != nil {
		return nil, ToStatus(err)
	}
	if podStatus == nil {
		return nil, notFound("pod %s/%s not found", ref.GetNamespace(), ref.GetName())
	}
	data, err := encode(podStatus)
	return &pb.GetPodStatusResponse{Status: data}, err
}

func (s *lifecycleServer) GetPods(ctx context.Context, _ *pb.GetPodsRequest) (*pb.GetPodsResponse, error) {
	inst, err := s.plugin.ready()
	if err != nil {
		return nil, err
	}
	pods, err := inst.handler.GetPods(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	reply := &pb.GetPodsResponse{}
	for _, pod := range pods {
		if pod == nil {
			continue
		}
		// After a restart these are the pods the listers may ask for.
		if s.plugin.pods.get(pod.Namespace, pod.Name) == nil {
			s.plugin.pods.put(pod)
		}
		data, err := encode(pod)
		if err != nil {
			return nil, err
		}
		reply.Pods = append(reply.Pods, data)
	}
	return reply, nil
}

func encode(value any) ([]byte, error) {
	data, err := json.Marshal(value)
	if err != nil {
		return nil, status.Error(codes.Internal, fmt.Sprintf("encoding the reply as JSON: %v", err))
	}
	return data, nil
}
