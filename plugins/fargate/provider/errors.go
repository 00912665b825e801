package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// codeOfAWS is the protocol code for an AWS error code (proto/provider.proto,
// "Errors"): throttling and server faults are retried by the host,
// a request ECS refuses fails the pod, a missing cluster is waited for.
func codeOfAWS(code string, fault smithy.ErrorFault) codes.Code {
	switch code {
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
		"LimitExceededException":
		return codes.ResourceExhausted
	case "ServerException", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
		"InternalServerError", "RequestTimeout", "RequestTimeoutException":
		return codes.Unavailable
	case "InvalidParameterException", "ValidationException", "PlatformUnknownException",
		"PlatformTaskDefinitionIncompatibilityException", "UnsupportedFeatureException":
		return codes.InvalidArgument
	case "ClusterNotFoundException", "ClusterContainsTasksException", "ResourceNotFoundException",
		"AccessDeniedException", "ClientException", "BlockedException":
		// The cluster, the log group or a permission is missing: fixable
		// by the operator, so the host keeps retrying.
		return codes.FailedPrecondition
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException",
		"ExpiredTokenException", "MissingAuthenticationToken", "IncompleteSignature":
		return codes.FailedPrecondition
	}
	if fault == smithy.FaultServer {
		return codes.Unavailable
	}
	return codes.Internal
}

// AWSStatus turns an AWS SDK error of operation (e.g. "RunTask") into a gRPC
// status the host acts on, keeping the AWS code and message for users. A
// non-AWS error (a transport failure once the SDK's retryer gave up) is
// UNAVAILABLE; context errors keep their codes.
func AWSStatus(operation string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, fmt.Sprintf("%s: %v", operation, err))
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, fmt.Sprintf("%s: %v", operation, err))
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return status.Error(codeOfAWS(api.ErrorCode(), api.ErrorFault()),
			fmt.Sprintf("AWS %s failed: %s: %s", operation, api.ErrorCode(), api.ErrorMessage()))
	}
	return status.Error(codes.Unavailable, fmt.Sprintf("AWS %s failed: %v", operation, err))
}
