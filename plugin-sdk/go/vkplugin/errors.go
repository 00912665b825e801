package vkplugin

import (
	"context"
	"errors"
	"fmt"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// alreadyExists is how an error says "another pod holds this name", in the
// style of errdefs' NotFound() and InvalidInput() (errdefs has no such kind).
type alreadyExists interface {
	AlreadyExists() bool
}

// AlreadyExists returns an error the SDK reports as ALREADY_EXISTS.
// Providers rarely need it: the SDK answers ALREADY_EXISTS itself when a
// CreatePod names a namespace/name that GetPod shows under another UID.
func AlreadyExists(message string) error {
	return &alreadyExistsError{message}
}

type alreadyExistsError struct{ message string }

func (e *alreadyExistsError) Error() string       { return e.message }
func (e *alreadyExistsError) AlreadyExists() bool { return true }

// ToStatus turns a provider's error into the gRPC status the host sees; it
// is the one place the error table of proto/provider.proto is applied:
//
//	nil                                   OK
//	a HostClient/lister error (*CallbackError): NOT_FOUND, PERMISSION_DENIED
//	                                      FAILED_PRECONDITION (retried: what the
//	                                      pod needs is not there yet);
//	                                      UNAVAILABLE stays (retried)
//	a gRPC status error                   its code, unchanged
//	errdefs NotFound, apierrors NotFound  NOT_FOUND (DeletePod: already gone)
//	errdefs InvalidInput, apierrors Invalid/BadRequest
//	                                      INVALID_ARGUMENT (pod Failed, not retried)
//	AlreadyExists(), apierrors AlreadyExists
//	                                      ALREADY_EXISTS
//	context.DeadlineExceeded              DEADLINE_EXCEEDED (retried)
//	context.Canceled                      CANCELLED
//	anything else                         INTERNAL (retried with backoff)
//
// The message is the error's text: it reaches users (pod events, kubectl
// describe), so providers should say what failed and why.
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	return status.Error(codeOf(err), err.Error())
}

func codeOf(err error) codes.Code {
	// A callback's NOT_FOUND is about a Secret or ConfigMap, not the pod:
	// something the pod needs is not there yet, so the host retries.
	var callback *CallbackError
	if errors.As(err, &callback) {
		switch callback.status.Code() {
		case codes.Unavailable, codes.DeadlineExceeded:
			return codes.Unavailable
		case codes.NotFound, codes.PermissionDenied, codes.FailedPrecondition:
			return codes.FailedPrecondition
		}
		return codes.Internal
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	// errdefs follows Cause() only; errors.As also follows %w wrapping.
	var (
		missing errdefs.ErrNotFound
		bad     errdefs.ErrInvalidInput
		exists  alreadyExists
	)
	switch {
	case errdefs.IsNotFound(err) || (errors.As(err, &missing) && missing.NotFound()) || apierrors.IsNotFound(err):
		return codes.NotFound
	case errdefs.IsInvalidInput(err) || (errors.As(err, &bad) && bad.InvalidInput()) ||
		apierrors.IsInvalid(err) || apierrors.IsBadRequest(err):
		return codes.InvalidArgument
	case (errors.As(err, &exists) && exists.AlreadyExists()) || apierrors.IsAlreadyExists(err):
		return codes.AlreadyExists
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Internal
}

// invalid is an INVALID_ARGUMENT status for a malformed request.
func invalid(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}

// notFound is a NOT_FOUND status.
func notFound(format string, args ...any) error {
	return status.Error(codes.NotFound, fmt.Sprintf(format, args...))
}
