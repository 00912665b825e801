package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// ECSAPI is what the plugin calls of Amazon ECS (*ecs.Client).
type ECSAPI interface {
	RegisterTaskDefinition(context.Context, *ecs.RegisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
	DeregisterTaskDefinition(context.Context, *ecs.DeregisterTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error)
	RunTask(context.Context, *ecs.RunTaskInput, ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
	DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
}

// LogsAPI is what the plugin calls of CloudWatch Logs
// (*cloudwatchlogs.Client).
type LogsAPI interface {
	GetLogEvents(context.Context, *cloudwatchlogs.GetLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Clients are the AWS API clients of the plugin, built from the standard
// AWS chain (environment, shared files, instance role) with the standard
// retryer, which backs off on throttling as AWS asks.
type Clients struct {
	ECS    ECSAPI
	Logs   LogsAPI
	Region string
}

// NewClients loads the AWS configuration (Region of cfg overrides the
// chain's; Endpoint overrides the endpoints) and checks that credentials
// are there, so a plugin without them stops at start with a clear error.
func NewClients(ctx context.Context, cfg *Config) (*Clients, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("no AWS region: set Region in the configuration file, or pass AWS_REGION to the plugin (vk-host --plugin-env AWS_REGION)")
	}
	check, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := awsCfg.Credentials.Retrieve(check); err != nil {
		return nil, fmt.Errorf("no AWS credentials (pass AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, "+
			"to the plugin with vk-host --plugin-env NAME, or run where an instance role is available): %w", err)
	}
	endpoint := func(base **string) {
		if cfg.Endpoint != "" {
			*base = aws.String(cfg.Endpoint)
		}
	}
	return &Clients{
		ECS:    ecs.NewFromConfig(awsCfg, func(o *ecs.Options) { endpoint(&o.BaseEndpoint) }),
		Logs:   cloudwatchlogs.NewFromConfig(awsCfg, func(o *cloudwatchlogs.Options) { endpoint(&o.BaseEndpoint) }),
		Region: awsCfg.Region,
	}, nil
}
