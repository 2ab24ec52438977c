package stack

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Signal is one thing the stack watches: a CloudWatch metric, when it means
// trouble, what that means and what to do about it. The alarms and the
// dashboard are both built from the same signals, so the two cannot drift.
type Signal struct {
	// Name names the alarm ("dead-letters": logical alarms-dead-letters,
	// physical <prefix>-alarm-dead-letters).
	Name string
	// Title heads the signal's dashboard graph.
	Title string
	// Meaning says what a firing alarm means; Action what to do.
	Meaning, Action string

	Namespace, Metric, Statistic string
	Dimensions                   pulumi.StringMap
	// Threshold is the value the statistic must exceed, over Periods
	// consecutive five-minute periods (1 when unset), for the alarm to fire.
	Threshold float64
	Periods   int
}

// Description is the alarm's AlarmDescription: what it means, then what to
// do.
func (s Signal) Description() string { return s.Meaning + " What to do: " + s.Action }

func (s Signal) periods() int { return max(1, s.Periods) }

// stackSignals are the signals of one stack, those of its engine included.
//
// Deliberately not watched: SNS's NumberOfNotificationsFailed, which counts
// every failed attempt, retries included, and so fires on any blip SNS
// retries past; what matters is a delivery SNS gave up on, which
// NumberOfNotificationsRedrivenToDlq counts ("Amazon SNS dead-letter
// queues", https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html).
func stackSignals(args *AlarmsArgs) []Signal {
	n := args.Names
	fn := args.Endpoint.Function.Name
	topic := pulumi.StringMap{"TopicName": args.Topic.Name}
	function := pulumi.StringMap{"FunctionName": fn}
	s := []Signal{
		{
			Name: "dead-letters", Title: "Job events waiting in the dead-letter queue",
			Meaning: "Job events SNS gave up delivering to the endpoint are waiting in the dead-letter queue " + n.Name("job-events-dlq") +
				"; their jobs show a stale state until the events are redriven.",
			Action: "Find why the endpoint failed them in its logs (log group /aws/lambda/" + n.Name("endpoint") +
				"), fix it, then redrive the queue (stack output deadLetterQueueUrl). Messages are kept 14 days.",
			Namespace: "AWS/SQS", Metric: "ApproximateNumberOfMessagesVisible", Statistic: "Maximum",
			Dimensions: pulumi.StringMap{"QueueName": args.DeadLetterQueue.Name},
		},
		{
			Name: "redriven-to-dlq", Title: "Deliveries SNS gave up on",
			Meaning: "SNS exhausted its retries delivering job events to the endpoint and moved them to the dead-letter queue.",
			Action: "Look at the endpoint's 5xx answers and errors in its logs at the same time; once fixed, " +
				"redrive the dead-letter queue (stack output deadLetterQueueUrl).",
			Namespace: "AWS/SNS", Metric: "NumberOfNotificationsRedrivenToDlq", Statistic: "Sum", Dimensions: topic,
		},
		{
			Name: "lost-notifications", Title: "Deliveries lost on the way to the dead-letter queue",
			Meaning: "SNS could not move undeliverable job events to the dead-letter queue: those events are lost.",
			Action: "Check the dead-letter queue's policy (only this topic may send) and, with transcoder:encryption kms, " +
				"that the key policy still lets sns.amazonaws.com use the key. The lost jobs' states must be read from the engine.",
			Namespace: "AWS/SNS", Metric: "NumberOfNotificationsFailedToRedriveToDlq", Statistic: "Sum", Dimensions: topic,
		},
		{
			// Function URL metrics: "FunctionName – View aggregated metrics
			// for all function URLs assigned to a function's $LATEST
			// unpublished version, or to any of the function's aliases"
			// (Lambda Developer Guide, "Monitoring Lambda function URLs",
			// https://docs.aws.amazon.com/lambda/latest/dg/urls-monitoring.html).
			// The function has exactly one URL, on $LATEST, so the aggregate
			// is that URL; the Resource dimension is documented only by
			// example ("hello-world-function:$LATEST"), and an alarm on a
			// dimension set that is never published never fires.
			Name: "endpoint-5xx", Title: "Endpoint 5xx answers",
			Meaning: "The endpoint answered 5xx for ten minutes running: the app could not do the work (job store, " +
				"signing certificate or confirmation failures). SNS retries these, webhook callers and pages see errors. " +
				"Lambda's Errors metric does not count these answers.",
			Action:    "Read the endpoint's log lines for the 5xx answers; a 503 names the job store, a 502 the certificate or confirmation fetch.",
			Namespace: "AWS/Lambda", Metric: "Url5xxCount", Statistic: "Sum", Dimensions: function, Periods: 2,
		},
		{
			Name: "endpoint-errors", Title: "Endpoint invocation errors",
			Meaning:   "The endpoint's function crashed or timed out, through its URL or on its schedule.",
			Action:    "Read the endpoint's logs for the failed invocations' errors; a timeout means a dependency answered too slowly.",
			Namespace: "AWS/Lambda", Metric: "Errors", Statistic: "Sum", Dimensions: function,
		},
		{
			Name: "endpoint-throttles", Title: "Endpoint throttles",
			Meaning: "Lambda refused to run the endpoint for ten minutes running: its concurrency (transcoder:reservedConcurrency, " +
				"or the account's quota) is used up. SNS retries refused deliveries, pages and API clients fail.",
			Action:    "Raise transcoder:reservedConcurrency, or the account's Lambda concurrency quota, or find what floods the URL.",
			Namespace: "AWS/Lambda", Metric: "Throttles", Statistic: "Sum", Dimensions: function, Periods: 2,
		},
		{
			Name: "scheduler-errors", Title: "Scheduler invocation errors",
			Meaning: "The scheduler, which retries due webhook calls and re-subscribes the endpoint while its subscription " +
				"is pending, crashed or timed out.",
			Action:    "Read the scheduler's logs (log group /aws/lambda/" + n.Name("scheduler") + ") for the failed invocations' errors.",
			Namespace: "AWS/Lambda", Metric: "Errors", Statistic: "Sum",
			Dimensions: pulumi.StringMap{"FunctionName": args.Endpoint.Scheduler.Name},
		},
		{
			Name: "schedule-failures", Title: "Schedule invocations that failed",
			Meaning: "EventBridge could not invoke the scheduler on its one-minute schedule: due webhook calls are not retried " +
				"and an unconfirmed subscription is not healed.",
			Action: "Check " + n.Name("scheduler") + "'s permission for events.amazonaws.com from rule " + n.Name("webhook-schedule") +
				" and the account's Lambda throttles.",
			Namespace: "AWS/Events", Metric: "FailedInvocations", Statistic: "Sum",
			Dimensions: pulumi.StringMap{"RuleName": args.Endpoint.Schedule.Name},
		},
		{
			Name: "table-read-throttles", Title: "Job table read throttles",
			Meaning:   "DynamoDB throttled reads of the job table for ten minutes running; the endpoint answers 503 and SNS retries.",
			Action:    "Look for a burst of list or poll requests; on-demand tables throttle past twice their previous peak.",
			Namespace: "AWS/DynamoDB", Metric: "ReadThrottleEvents", Statistic: "Sum",
			Dimensions: pulumi.StringMap{"TableName": args.Table.Name}, Periods: 2,
		},
		{
			Name: "table-write-throttles", Title: "Job table write throttles",
			Meaning:   "DynamoDB throttled writes to the job table for ten minutes running; job events are answered 503 and retried by SNS.",
			Action:    "Look for a burst of jobs or events; on-demand tables throttle past twice their previous peak.",
			Namespace: "AWS/DynamoDB", Metric: "WriteThrottleEvents", Statistic: "Sum",
			Dimensions: pulumi.StringMap{"TableName": args.Table.Name}, Periods: 2,
		},
	}
	if t := args.Transcoder; t.Engine == MediaConvert {
		s = append(s,
			Signal{
				Name: "job-state-failures", Title: "Job-state events EventBridge could not publish",
				Meaning: "EventBridge gave up publishing MediaConvert job-state events to the topic and parked them in " +
					n.Name("job-state-dlq") + "; their jobs show a stale state.",
				Action: "Check the topic policy (events.amazonaws.com may publish) and, with transcoder:encryption kms, the key policy's " +
					"EventBridge statement; then send the parked events' details to the topic again.",
				Namespace: "AWS/Events", Metric: "FailedInvocations", Statistic: "Sum",
				Dimensions: pulumi.StringMap{"RuleName": t.Rule.Name},
			},
			Signal{
				Name: "job-state-dead-letters", Title: "Job-state events waiting in their dead-letter queue",
				Meaning:   "Job-state events EventBridge could not publish are waiting in " + n.Name("job-state-dlq") + ".",
				Action:    "Fix the cause (see the job-state-failures alarm), then publish the parked events to the topic again. Messages are kept 14 days.",
				Namespace: "AWS/SQS", Metric: "ApproximateNumberOfMessagesVisible", Statistic: "Maximum",
				Dimensions: pulumi.StringMap{"QueueName": t.DeadLetterQueue.Name},
			},
			Signal{
				// MediaConvert publishes its job metrics in AWS/MediaConvert
				// per queue, the Queue dimension holding the queue's ARN
				// (MediaConvert User Guide, "Using CloudWatch with
				// MediaConvert",
				// https://docs.aws.amazon.com/mediaconvert/latest/ug/cloudwatch_metrics.html).
				Name: "transcode-errors", Title: "MediaConvert jobs that ended in error",
				Meaning: "MediaConvert jobs of queue " + n.Name("queue") + " ended in ERROR; their owners see the error.",
				Action: "Read the jobs' error codes (the job view, or the MediaConvert console); the same code on every job " +
					"means a broken preset, a missing input or the transcoder role's permissions.",
				Namespace: "AWS/MediaConvert", Metric: "JobsErroredCount", Statistic: "Sum",
				Dimensions: pulumi.StringMap{"Queue": t.Queue.Arn},
			},
		)
	}
	return s
}

// ResolvedSignal is a signal whose dimensions are known: what the dashboard
// draws.
type ResolvedSignal struct {
	Signal
	Values map[string]string
}

// resolvedSignals waits for every signal's dimension values and for the
// alarms' ARNs, then builds from them.
func resolvedSignals(signals []Signal, alarmArns pulumi.StringArrayInput,
	build func([]ResolvedSignal, []string) (string, error),
) pulumi.StringOutput {
	inputs := []any{alarmArns.ToStringArrayOutput()}
	for _, s := range signals {
		inputs = append(inputs, s.Dimensions.ToStringMapOutput())
	}
	return pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		out := make([]ResolvedSignal, len(signals))
		for i, s := range signals {
			out[i] = ResolvedSignal{Signal: s, Values: v[i+1].(map[string]string)}
		}
		return build(out, v[0].([]string))
	}).(pulumi.StringOutput)
}

// dashboardColumns is how many graphs fit side by side on the dashboard's
// 24-unit grid.
const dashboardColumns = 3

// DashboardBody is the dashboard's JSON: the alarms' states first, then one
// graph per signal, of the very metric, statistic, period and threshold its
// alarm watches ("Dashboard Body Structure and Syntax",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
func DashboardBody(region string, signals []ResolvedSignal, alarmArns []string) (string, error) {
	if len(signals) != len(alarmArns) {
		return "", fmt.Errorf("dashboard: %d signals but %d alarms", len(signals), len(alarmArns))
	}
	width := 24 / dashboardColumns
	widgets := []map[string]any{{
		"type": "alarm", "x": 0, "y": 0, "width": 24, "height": 2 + len(alarmArns)/4,
		"properties": map[string]any{"title": "Alarms", "alarms": alarmArns},
	}}
	top := 2 + len(alarmArns)/4
	for i, s := range signals {
		names := make([]string, 0, len(s.Values))
		for k := range s.Values {
			names = append(names, k)
		}
		sort.Strings(names)
		metric := []any{s.Namespace, s.Metric}
		for _, k := range names {
			metric = append(metric, k, s.Values[k])
		}
		widgets = append(widgets, map[string]any{
			"type": "metric", "x": (i % dashboardColumns) * width, "y": top + (i/dashboardColumns)*6, "width": width, "height": 6,
			"properties": map[string]any{
				"title": s.Title, "region": region, "view": "timeSeries",
				"stat": s.Statistic, "period": alarmPeriodSeconds,
				"metrics": []any{metric},
				"annotations": map[string]any{"horizontal": []any{map[string]any{
					"label": fmt.Sprintf("alarm %s above this for %d period(s)", s.Name, s.periods()), "value": s.Threshold,
				}}},
			},
		})
	}
	b, err := json.Marshal(map[string]any{"widgets": widgets})
	return string(b), err
}
