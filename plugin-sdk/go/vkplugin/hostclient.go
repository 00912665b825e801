package vkplugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

// callbackDeadline bounds every HostCallbacks call (the host gives each 5 s).
const callbackDeadline = 5 * time.Second

// HostClient calls the host's HostCallbacks: the only way a plugin reads
// Secrets, ConfigMaps and service-account tokens, and a container's
// environment as of now (before a restart). The host answers only for
// objects a pod of its node references, named with the pod's namespace,
// name and uid; anything else is PERMISSION_DENIED naming the rule that
// refused it. Nothing is cached: re-fetch and compare ResourceVersion to
// learn of updates. Errors are [*CallbackError]s.
type HostClient struct {
	conn *grpc.ClientConn
	api  pb.HostCallbacksClient
}

// NewHostClient is a client of the host named in launch. It connects on
// first use.
func NewHostClient(launch Launch) *HostClient {
	conn, err := grpc.NewClient("unix://"+launch.HostSocket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithAuthority("localhost"),
		grpc.WithPerRPCCredentials(bearer{launch.Secret()}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxMessageBytes), grpc.MaxCallSendMsgSize(MaxMessageBytes)),
	)
	if err != nil {
		// Only a malformed target fails here; calls then report it.
		return &HostClient{api: brokenClient{err}}
	}
	return &HostClient{conn: conn, api: pb.NewHostCallbacksClient(conn)}
}

// Close releases the connection.
func (h *HostClient) Close() error {
	if h.conn == nil {
		return nil
	}
	return h.conn.Close()
}

// PodRefOf names pod in a callback (namespace, name and uid).
func PodRefOf(pod *corev1.Pod) *pb.PodRef {
	return &pb.PodRef{Namespace: pod.Namespace, Name: pod.Name, Uid: string(pod.UID)}
}

// GetSecret is Secret name of pod's namespace, which pod must reference.
// The error is NOT_FOUND (apierrors.IsNotFound, errdefs.IsNotFound) when
// it does not exist (yet).
func (h *HostClient) GetSecret(ctx context.Context, pod *corev1.Pod, name string) (*corev1.Secret, error) {
	ctx, cancel := context.WithTimeout(ctx, callbackDeadline)
	defer cancel()
	reply, err := h.api.GetSecret(ctx, &pb.GetObjectRequest{Pod: PodRefOf(pod), Name: name})
	if err != nil {
		return nil, callbackError("secrets", name, err)
	}
	return &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: pod.Namespace, ResourceVersion: reply.GetResourceVersion()},
		Type:       corev1.SecretType(reply.GetType()),
		Data:       reply.GetData(),
	}, nil
}

// GetConfigMap is ConfigMap name of pod's namespace, which pod must
// reference. NOT_FOUND as for GetSecret.
func (h *HostClient) GetConfigMap(ctx context.Context, pod *corev1.Pod, name string) (*corev1.ConfigMap, error) {
	ctx, cancel := context.WithTimeout(ctx, callbackDeadline)
	defer cancel()
	reply, err := h.api.GetConfigMap(ctx, &pb.GetObjectRequest{Pod: PodRefOf(pod), Name: name})
	if err != nil {
		return nil, callbackError("configmaps", name, err)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: pod.Namespace, ResourceVersion: reply.GetResourceVersion()},
		Data:       reply.GetData(),
		BinaryData: reply.GetBinaryData(),
	}, nil
}

// ServiceAccountToken is a bound token. Never log Token.
type ServiceAccountToken struct {
	Token     string
	ExpiresAt time.Time
}

// String shows the expiry, never the token.
func (t ServiceAccountToken) String() string {
	return fmt.Sprintf("ServiceAccountToken{expires %s}", t.ExpiresAt.Format(time.RFC3339))
}

// CreateServiceAccountToken is a token for pod's own service account,
// bound to the pod (it stops working when the pod is deleted), for the
// audience of one of its serviceAccountToken projections (empty: the API
// server's default). expirationSeconds 0 is the host's cap; otherwise at
// least 600.
func (h *HostClient) CreateServiceAccountToken(ctx context.Context, pod *corev1.Pod, audiences []string, expirationSeconds int64) (ServiceAccountToken, error) {
	ctx, cancel := context.WithTimeout(ctx, callbackDeadline)
	defer cancel()
	reply, err := h.api.CreateServiceAccountToken(ctx, &pb.CreateServiceAccountTokenRequest{
		Pod: PodRefOf(pod), Audiences: audiences, ExpirationSeconds: expirationSeconds,
	})
	if err != nil {
		return ServiceAccountToken{}, callbackError("serviceaccounts/token", pod.Spec.ServiceAccountName, err)
	}
	return ServiceAccountToken{Token: reply.GetToken(), ExpiresAt: time.Unix(reply.GetExpirationUnixSeconds(), 0)}, nil
}

// GetContainerEnv is container of pod with env, command and args resolved
// now, by the host's CreatePod rules: call it just before creating each
// instance of a container after the first (a restart), as the kubelet
// resolves the environment at every start. podIPs are the pod's IPs as the
// plugin has them (primary first); empty means the pod's API status.
// Codes: FAILED_PRECONDITION with the kubelet's CreateContainerConfigError
// message when a required Secret, ConfigMap or key is missing; NOT_FOUND
// for no such container; UNAVAILABLE (retry); UNIMPLEMENTED from an older
// host. The result holds values from Secrets: never log it.
func (h *HostClient) GetContainerEnv(ctx context.Context, pod *corev1.Pod, container string, podIPs []string) (*corev1.Container, error) {
	ctx, cancel := context.WithTimeout(ctx, callbackDeadline)
	defer cancel()
	reply, err := h.api.GetContainerEnv(ctx, &pb.GetContainerEnvRequest{Pod: PodRefOf(pod), Container: container, PodIps: podIPs})
	if err != nil {
		return nil, callbackError("containers", container, err)
	}
	var c corev1.Container
	if err := json.Unmarshal(reply.GetContainer(), &c); err != nil {
		// Not the decoder's text: it may quote a value.
		return nil, callbackError("containers", container,
			status.Errorf(codes.Internal, "the host's reply for container %s is not a core/v1 Container", container))
	}
	return &c, nil
}

// CallbackError is a failed HostCallbacks call. It is a gRPC status
// (status.Code(err) works), a Kubernetes API status (apierrors.IsNotFound,
// IsForbidden... work, as for a lister or clientset) and an errdefs kind
// (errdefs.IsNotFound), so upstream provider code checks it as it is used to.
type CallbackError struct {
	// Resource and Name say what was asked for ("secrets", "db-password").
	Resource, Name string
	status         *status.Status
}

func callbackError(resource, name string, err error) *CallbackError {
	return &CallbackError{Resource: resource, Name: name, status: status.Convert(err)}
}

func (e *CallbackError) Error() string {
	return fmt.Sprintf("host callback for %s %q: %s: %s", e.Resource, e.Name, e.status.Code(), e.status.Message())
}

// GRPCStatus is the host's answer.
func (e *CallbackError) GRPCStatus() *status.Status { return e.status }

// NotFound: errdefs.IsNotFound.
func (e *CallbackError) NotFound() bool { return e.status.Code() == codes.NotFound }

// InvalidInput: errdefs.IsInvalidInput.
func (e *CallbackError) InvalidInput() bool { return e.status.Code() == codes.InvalidArgument }

// Status is the Kubernetes API status of the error, for apierrors.
func (e *CallbackError) Status() metav1.Status {
	reason, code := metav1.StatusReasonInternalError, int32(http.StatusInternalServerError)
	switch e.status.Code() {
	case codes.NotFound:
		reason, code = metav1.StatusReasonNotFound, http.StatusNotFound
	case codes.PermissionDenied, codes.Unauthenticated:
		reason, code = metav1.StatusReasonForbidden, http.StatusForbidden
	case codes.InvalidArgument:
		reason, code = metav1.StatusReasonBadRequest, http.StatusBadRequest
	case codes.Unavailable, codes.DeadlineExceeded:
		reason, code = metav1.StatusReasonServiceUnavailable, http.StatusServiceUnavailable
	}
	return metav1.Status{
		Status:  metav1.StatusFailure,
		Message: e.Error(),
		Reason:  reason,
		Code:    code,
		Details: &metav1.StatusDetails{Name: e.Name, Kind: e.Resource},
	}
}

// brokenClient answers every call with the error that kept the client
// from being made.
type brokenClient struct{ err error }

func (b brokenClient) fail() error { return status.Error(codes.Unavailable, b.err.Error()) }

func (b brokenClient) GetSecret(context.Context, *pb.GetObjectRequest, ...grpc.CallOption) (*pb.GetSecretResponse, error) {
	return nil, b.fail()
}
func (b brokenClient) GetConfigMap(context.Context, *pb.GetObjectRequest, ...grpc.CallOption) (*pb.GetConfigMapResponse, error) {
	return nil, b.fail()
}
func (b brokenClient) CreateServiceAccountToken(context.Context, *pb.CreateServiceAccountTokenRequest, ...grpc.CallOption) (*pb.CreateServiceAccountTokenResponse, error) {
	return nil, b.fail()
}
func (b brokenClient) GetContainerEnv(context.Context, *pb.GetContainerEnvRequest, ...grpc.CallOption) (*pb.GetContainerEnvResponse, error) {
	return nil, b.fail()
}
