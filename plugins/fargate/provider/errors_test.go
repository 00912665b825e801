package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestAWSStatusMapsAWSErrorsToTheProtocolsCodes(t *testing.T) {
	cases := []struct {
		err  error
		want codes.Code
	}{
		{&smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}, codes.ResourceExhausted},
		{&smithy.GenericAPIError{Code: "ServerException", Message: "oops", Fault: smithy.FaultServer}, codes.Unavailable},
		{&smithy.GenericAPIError{Code: "SomethingNew", Fault: smithy.FaultServer}, codes.Unavailable},
		{&smithy.GenericAPIError{Code: "InvalidParameterException", Message: "bad cpu"}, codes.InvalidArgument},
		{&smithy.GenericAPIError{Code: "ClusterNotFoundException", Message: "Cluster not found."}, codes.FailedPrecondition},
		{&smithy.GenericAPIError{Code: "AccessDeniedException"}, codes.FailedPrecondition},
		{&smithy.GenericAPIError{Code: "UnrecognizedClientException"}, codes.FailedPrecondition},
		{&smithy.GenericAPIError{Code: "SomethingNew", Fault: smithy.FaultClient}, codes.Internal},
		{fmt.Errorf("wrapped: %w", &smithy.GenericAPIError{Code: "ThrottlingException"}), codes.ResourceExhausted},
		{errors.New("dial tcp: connection refused"), codes.Unavailable},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{context.Canceled, codes.Canceled},
	}
	for _, c := range cases {
		got := AWSStatus("RunTask", c.err)
		if status.Code(got) != c.want {
			t.Errorf("AWSStatus(%v) = %v, want %v", c.err, got, c.want)
		}
		if !strings.Contains(got.Error(), "RunTask") {
			t.Errorf("AWSStatus(%v) = %q does not name the operation", c.err, got)
		}
	}
	if AWSStatus("RunTask", nil) != nil {
		t.Error("AWSStatus(nil) is not nil")
	}
	got := AWSStatus("RunTask", &smithy.GenericAPIError{Code: "ClusterNotFoundException", Message: "Cluster not found."})
	if !strings.Contains(got.Error(), "ClusterNotFoundException: Cluster not found.") {
		t.Errorf("the AWS code and message are lost: %q", got)
	}
}
