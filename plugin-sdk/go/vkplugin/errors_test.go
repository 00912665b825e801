package vkplugin

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestErrorsMapToTheProtocolsCodes(t *testing.T) {
	pods := schema.GroupResource{Resource: "pods"}
	cases := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"errdefs not found", errdefs.NotFound("pod a/b"), codes.NotFound},
		{"errdefs not found, wrapped with %w", fmt.Errorf("getting: %w", errdefs.NotFoundf("pod %s", "a/b")), codes.NotFound},
		{"errdefs invalid input", errdefs.InvalidInput("no containers"), codes.InvalidArgument},
		{"errdefs invalid input, wrapped", fmt.Errorf("create: %w", errdefs.InvalidInput("bad")), codes.InvalidArgument},
		{"AlreadyExists", AlreadyExists("another uid"), codes.AlreadyExists},
		{"apierrors not found", apierrors.NewNotFound(pods, "x"), codes.NotFound},
		{"apierrors already exists", apierrors.NewAlreadyExists(pods, "x"), codes.AlreadyExists},
		{"apierrors bad request", apierrors.NewBadRequest("x"), codes.InvalidArgument},
		{"a gRPC status keeps its code", status.Error(codes.ResourceExhausted, "full"), codes.ResourceExhausted},
		{"a deadline", fmt.Errorf("backend: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"cancelled", context.Canceled, codes.Canceled},
		{"anything else is retried", errors.New("backend hiccup"), codes.Internal},
		{"a missing Secret is retried, not NOT_FOUND of the pod",
			fmt.Errorf("volume: %w", callbackError("secrets", "db", status.Error(codes.NotFound, "no such secret"))), codes.FailedPrecondition},
		{"the host unavailable", callbackError("secrets", "db", status.Error(codes.Unavailable, "api down")), codes.Unavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := status.Code(ToStatus(c.err))
			if got != c.want {
				t.Fatalf("ToStatus(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
	if ToStatus(nil) != nil {
		t.Fatal("ToStatus(nil) must be nil")
	}
}

func TestTheMessageReachesTheHost(t *testing.T) {
	err := ToStatus(errdefs.NotFoundf("pod %s/%s is not running here", "ns", "web"))
	if got := status.Convert(err).Message(); got != "pod ns/web is not running here" {
		t.Fatalf("message %q", got)
	}
}

func TestACallbackErrorIsCheckedAsUpstreamCodeChecksErrors(t *testing.T) {
	missing := callbackError("secrets", "db", status.Error(codes.NotFound, "not found"))
	if !apierrors.IsNotFound(missing) || !errdefs.IsNotFound(missing) || status.Code(missing) != codes.NotFound {
		t.Fatalf("NOT_FOUND from the host must read as not found everywhere: %v", missing)
	}
	denied := callbackError("secrets", "db", status.Error(codes.PermissionDenied, "referenced: no"))
	if !apierrors.IsForbidden(denied) {
		t.Fatalf("PERMISSION_DENIED must read as Forbidden: %v", denied)
	}
	if want := `host callback for secrets "db": PermissionDenied: referenced: no`; denied.Error() != want {
		t.Fatalf("message %q, want %q", denied.Error(), want)
	}
}
