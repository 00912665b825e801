package vkplugin

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"

	pb "github.com/vk-host/vk-host/plugin-sdk/go/providerv1"
)

const testSecret = "0123456789abcdef"

// memHandler is the smallest upstream provider: PodLifecycleHandler only,
// not idempotent by itself (as upstream providers are not).
type memHandler struct {
	mu      sync.Mutex
	pods    map[string]*corev1.Pod
	creates int
}

func (m *memHandler) CreatePod(_ context.Context, pod *corev1.Pod) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.creates++
	m.pods[podKey(pod.Namespace, pod.Name)] = pod
	return nil
}
func (m *memHandler) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	return m.CreatePod(ctx, pod)
}
func (m *memHandler) DeletePod(_ context.Context, pod *corev1.Pod) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pods, podKey(pod.Namespace, pod.Name))
	return nil
}
func (m *memHandler) GetPod(_ context.Context, namespace, name string) (*corev1.Pod, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pod, ok := m.pods[podKey(namespace, name)]; ok {
		return pod, nil
	}
	return nil, errdefs.NotFoundf("pod %s/%s", namespace, name)
}
func (m *memHandler) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := m.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}
func (m *memHandler) GetPods(context.Context) ([]*corev1.Pod, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var pods []*corev1.Pod
	for _, p := range m.pods {
		pods = append(pods, p)
	}
	return pods, nil
}

func testLaunch(t *testing.T) Launch {
	dir, err := os.MkdirTemp("", "vkplugin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return Launch{
		PluginSocket: filepath.Join(dir, "plugin.sock"), HostSocket: filepath.Join(dir, "host.sock"),
		ProtocolVersions: []uint32{1}, secret: testSecret,
	}
}

func dial(t *testing.T, path string) *grpc.ClientConn {
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithAuthority("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func authorized(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testSecret)
}

func podJSON(t *testing.T, name, uid string) []byte {
	data, err := json.Marshal(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: k8stypes.UID(uid)},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func waitForSocket(t *testing.T, path string) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("the plugin never bound %s", path)
}

func TestServeAnswersTheProtocolForAPlainUpstreamHandler(t *testing.T) {
	launch := testLaunch(t)
	handler := &memHandler{pods: map[string]*corev1.Pod{}}
	served := make(chan error, 1)
	go func() {
		served <- Serve(context.Background(), handler, Options{Name: "mem", Version: "1", Launch: &launch, Logger: quietLog()})
	}()
	waitForSocket(t, launch.PluginSocket)
	conn := dial(t, launch.PluginSocket)
	identity, pods := pb.NewPluginIdentityClient(conn), pb.NewPodLifecycleClient(conn)

	if _, err := identity.Probe(context.Background(), &pb.ProbeRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a call without the secret: %v", err)
	}
	health, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || health.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health without the secret: %v %v", health, err)
	}
	hello, err := identity.Handshake(authorized(t), &pb.HandshakeRequest{ProtocolVersions: []uint32{1}, NodeName: "vk"})
	if err != nil || hello.GetName() != "mem" || len(hello.GetCapabilities()) != 0 {
		t.Fatalf("handshake: %v %v", hello, err)
	}

	for range 2 {
		if _, err := pods.CreatePod(authorized(t), &pb.CreatePodRequest{Pod: podJSON(t, "web", "u1")}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	if handler.creates != 1 {
		t.Fatalf("a repeated CreatePod of the same uid reached the provider %d times", handler.creates)
	}
	_, err = pods.CreatePod(authorized(t), &pb.CreatePodRequest{Pod: podJSON(t, "web", "u2")})
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("another uid: %v", err)
	}
	_, err = pods.GetPod(authorized(t), &pb.GetPodRequest{Pod: &pb.PodRef{Namespace: "ns", Name: "web", Uid: "u2"}})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("GetPod of another uid: %v", err)
	}
	_, err = pods.UpdatePod(authorized(t), &pb.UpdatePodRequest{Pod: podJSON(t, "nope", "u3")})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("UpdatePod of an unknown pod: %v", err)
	}
	stream, err := pods.WatchPodStatus(authorized(t), &pb.WatchPodStatusRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("an undeclared capability: %v", err)
	}

	if _, err := identity.Shutdown(authorized(t), &pb.ShutdownRequest{GracePeriodMs: 5000}); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the Shutdown rpc")
	}
	if _, err := os.Stat(launch.PluginSocket); !os.IsNotExist(err) {
		t.Fatalf("the socket is left behind: %v", err)
	}
}

// fakeHost serves HostCallbacks: Secret db to pod web (uid u1) only.
type fakeHost struct {
	pb.UnimplementedHostCallbacksServer
	mu    sync.Mutex
	asked []string
}

func (h *fakeHost) GetSecret(ctx context.Context, req *pb.GetObjectRequest) (*pb.GetSecretResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if auth := md.Get("authorization"); len(auth) != 1 || auth[0] != "Bearer "+testSecret {
		return nil, status.Error(codes.Unauthenticated, "no secret")
	}
	h.mu.Lock()
	h.asked = append(h.asked, req.GetPod().GetName()+"/"+req.GetPod().GetUid()+":"+req.GetName())
	h.mu.Unlock()
	if req.GetPod().GetName() != "web" || req.GetPod().GetUid() != "u1" || req.GetName() != "db" {
		return nil, status.Error(codes.PermissionDenied, "referenced: the pod does not reference it")
	}
	return &pb.GetSecretResponse{Data: map[string][]byte{"user": []byte("u"), "pass": []byte("p")}, Type: "Opaque", ResourceVersion: "7"}, nil
}

func startFakeHost(t *testing.T, path string) *fakeHost {
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	host := &fakeHost{}
	pb.RegisterHostCallbacksServer(server, host)
	go server.Serve(listener)
	t.Cleanup(server.Stop)
	return host
}

func TestListersAndVolumeFilesAskTheHostOnBehalfOfAPodThatNamesTheObject(t *testing.T) {
	launch := testLaunch(t)
	host := startFakeHost(t, launch.HostSocket)
	client := NewHostClient(launch)
	defer client.Close()
	index := newPodIndex()
	index.put(podNamed("other", corev1.PodSpec{}))
	volume := corev1.Volume{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: "db", Items: []corev1.KeyToPath{{Key: "pass", Path: "conf/pass", Mode: ptr(int32(0o400))}},
	}}}
	web := podNamed("web", corev1.PodSpec{Volumes: []corev1.Volume{volume}})
	web.UID = "u1"
	index.put(web)

	cfg := providerConfig("vk", client, index)
	secret, err := cfg.Secrets.Secrets("ns").Get("db")
	if err != nil {
		t.Fatalf("Get db: %v", err)
	}
	if string(secret.Data["user"]) != "u" || secret.ResourceVersion != "7" || secret.Type != corev1.SecretTypeOpaque {
		t.Fatalf("secret %v", secret)
	}
	if host.asked[0] != "web/u1:db" {
		t.Fatalf("the host was asked %v; the pod naming Secret db goes first", host.asked)
	}

	files, versions, ok, err := VolumeFiles(context.Background(), client, web, volume)
	if err != nil || !ok || len(files) != 1 {
		t.Fatalf("volume files: %v %v %v", files, ok, err)
	}
	if files[0].Path != "conf/pass" || string(files[0].Contents) != "p" || files[0].Mode != 0o400 || versions.Objects["Secret/db"] != "7" {
		t.Fatalf("file %v versions %v", files[0], versions)
	}
	if _, _, ok, _ := VolumeFiles(context.Background(), client, web, corev1.Volume{Name: "scratch",
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}); ok {
		t.Fatal("an emptyDir is the plugin's own")
	}
}
