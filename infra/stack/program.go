// Package stack is the whole Pulumi program of the transcoder: Program
// declares one stack of the pipeline (buckets, transcoder, topic, endpoint,
// delivery, alarms, budget) from its validated configuration. It is a
// package of its own so that tests can run the whole program under mocks.
package stack

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Program declares the stack and exports its outputs; infra/main.go runs it.
func Program(ctx *pulumi.Context) error {
	outputs, err := Build(ctx)
	if err != nil {
		return err
	}
	for name, value := range outputs {
		ctx.Export(name, value)
	}
	return nil
}

// Build declares every resource of the stack and returns the stack outputs.
// Components are declared in the order events flow: storage and the topic
// first, then the transcoder that fills the one and notifies the other, the
// endpoint that consumes both (and whose page the input bucket then lets
// browsers upload from), the delivery and alarms that join them, and the
// budget over them all.
func Build(ctx *pulumi.Context) (pulumi.Map, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings() {
		if err := ctx.Log.Warn(w, nil); err != nil {
			return nil, err
		}
	}

	names, err := resolveNamer(ctx, cfg)
	if err != nil {
		return nil, err
	}

	var key *kms.Key
	if cfg.Encryption == KMSEncryption {
		enc, err := NewEncryption(ctx, "encryption", &EncryptionArgs{
			Names: names, Ephemeral: cfg.Ephemeral, EventBridgeTargets: cfg.Engine == MediaConvert,
		})
		if err != nil {
			return nil, err
		}
		key = enc.Key
	}

	storage, err := NewStorage(ctx, "storage", &StorageArgs{
		Names:               names,
		Ephemeral:           cfg.Ephemeral,
		Key:                 key,
		InputRetentionDays:  cfg.InputRetentionDays,
		OutputRetentionDays: cfg.JobRetentionDays,
	})
	if err != nil {
		return nil, err
	}

	notifications, err := NewNotifications(ctx, "notifications", &NotificationsArgs{Names: names, Key: key})
	if err != nil {
		return nil, err
	}

	transcoder, err := NewTranscoder(ctx, "transcoder", &TranscoderArgs{
		Names:  names,
		Engine: cfg.Engine,
		Input:  storage.Input,
		Output: storage.Output,
		Topic:  notifications.Topic,
		Key:    key,

		MaxConcurrentJobs: cfg.MaxConcurrentJobs,
	})
	if err != nil {
		return nil, err
	}
	if err := notifications.AllowPublisher(ctx, transcoder.Publisher); err != nil {
		return nil, err
	}

	state, err := NewState(ctx, "state", &StateArgs{Names: names, Ephemeral: cfg.Ephemeral, Key: key})
	if err != nil {
		return nil, err
	}

	endpoint, err := NewEndpoint(ctx, "endpoint", &EndpointArgs{
		Names:         names,
		Ephemeral:     cfg.Ephemeral,
		Archive:       cfg.LambdaArchive,
		LogLevel:      cfg.LogLevel,
		APIToken:      cfg.APIToken,
		SessionSecret: cfg.SessionSecret,
		WebhookSecret: cfg.WebhookSecret,
		APIKeys:       cfg.APIKeys,
		SignIn:        cfg.SignIn,
		Quotas:        cfg.Quotas,
		Topic:         notifications.Topic,
		Table:         state.Table,
		Input:         storage.Input,
		Output:        storage.Output,
		Transcoder:    transcoder,
		Key:           key,

		JobRetentionDays:    cfg.JobRetentionDays,
		ReservedConcurrency: cfg.ReservedConcurrency,
	})
	if err != nil {
		return nil, err
	}
	// The page the endpoint serves uploads straight into the input bucket;
	// the base URL is that page's origin.
	if err := storage.AllowBrowserUploads(ctx, endpoint.BaseURL, cfg.AllowedOrigins); err != nil {
		return nil, err
	}

	delivery, err := NewDelivery(ctx, "delivery", &DeliveryArgs{
		Names:    names,
		Topic:    notifications.Topic,
		Endpoint: endpoint,
		Key:      key,
	})
	if err != nil {
		return nil, err
	}

	alarms, err := NewAlarms(ctx, "alarms", &AlarmsArgs{
		Names:           names,
		Email:           cfg.AlarmEmail,
		Key:             key,
		DeadLetterQueue: delivery.DeadLetterQueue,
		Topic:           notifications.Topic,
		Endpoint:        endpoint,
		Table:           state.Table,
		Transcoder:      transcoder,
	})
	if err != nil {
		return nil, err
	}

	if _, err := NewBudget(ctx, "budget", &BudgetArgs{
		Names:    names,
		LimitUSD: cfg.MonthlyBudgetUSD,
		Email:    cfg.AlarmEmail,
	}); err != nil {
		return nil, err
	}

	outputs := pulumi.Map{
		"engine":             pulumi.String(string(cfg.Engine)),
		"inputBucket":        storage.Input.Bucket,
		"outputBucket":       storage.Output.Bucket,
		"topicArn":           notifications.Topic.Arn,
		"endpointUrl":        endpoint.BaseURL,
		"notificationUrl":    endpoint.NotificationURL,
		"tableName":          state.Table.Name,
		"deadLetterQueueUrl": delivery.DeadLetterQueue.Url,
		"roleArn":            transcoder.Role.Arn,
		"dashboardName":      alarms.Dashboard.DashboardName,
	}
	switch cfg.Engine {
	case MediaConvert:
		outputs["queueArn"] = transcoder.Queue.Arn
		outputs["jobStateDeadLetterQueueUrl"] = transcoder.DeadLetterQueue.Url
	case ElasticTranscoder:
		outputs["pipelineId"] = transcoder.Pipeline.ID().ToStringOutput()
	}
	if alarms.Topic != nil {
		outputs["alarmTopicArn"] = alarms.Topic.Arn
	}
	return outputs, nil
}

// resolveNamer asks AWS which account and partition the stack deploys into.
func resolveNamer(ctx *pulumi.Context, cfg *Config) (Namer, error) {
	identity, err := aws.GetCallerIdentity(ctx, nil)
	if err != nil {
		return Namer{}, err
	}
	partition, err := aws.GetPartition(ctx, nil)
	if err != nil {
		return Namer{}, err
	}
	return Namer{
		Project:   cfg.Project,
		Stack:     cfg.Stack,
		Account:   identity.AccountId,
		Partition: partition.Partition,
		Region:    cfg.Region,
	}, nil
}
