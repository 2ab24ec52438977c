package stack_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"transcoder/infra/stacktest"
)

// watched is what one alarm watches: namespace/metric and its dimensions.
type watched struct {
	metric     string
	dimensions map[string]string
}

func (w watched) String() string { return fmt.Sprintf("%s %v", w.metric, w.dimensions) }

// wantWatched is every signal a stack of this scenario must watch, by alarm
// name, each on the resource it belongs to.
func (r *stackRun) wantWatched(sc scenario) map[string]watched {
	fn := r.named("endpoint-function").String("name")
	topic := r.named("notifications-topic").String("name")
	table := r.one(tTable).String("name")
	rules, _, _ := r.scheduleResources()
	if len(rules) != 1 {
		r.t.Fatalf("want one schedule rule, got %d", len(rules))
	}
	want := map[string]watched{
		"alarms-dead-letters": {"AWS/SQS/ApproximateNumberOfMessagesVisible",
			map[string]string{"QueueName": r.named("delivery-dead-letter-queue").String("name")}},
		"alarms-redriven-to-dlq":       {"AWS/SNS/NumberOfNotificationsRedrivenToDlq", map[string]string{"TopicName": topic}},
		"alarms-lost-notifications":    {"AWS/SNS/NumberOfNotificationsFailedToRedriveToDlq", map[string]string{"TopicName": topic}},
		"alarms-endpoint-5xx":          {"AWS/Lambda/Url5xxCount", map[string]string{"FunctionName": fn}},
		"alarms-endpoint-errors":       {"AWS/Lambda/Errors", map[string]string{"FunctionName": fn}},
		"alarms-endpoint-throttles":    {"AWS/Lambda/Throttles", map[string]string{"FunctionName": fn}},
		"alarms-scheduler-errors":      {"AWS/Lambda/Errors", map[string]string{"FunctionName": r.named("endpoint-scheduler").String("name")}},
		"alarms-schedule-failures":     {"AWS/Events/FailedInvocations", map[string]string{"RuleName": rules[0].String("name")}},
		"alarms-table-read-throttles":  {"AWS/DynamoDB/ReadThrottleEvents", map[string]string{"TableName": table}},
		"alarms-table-write-throttles": {"AWS/DynamoDB/WriteThrottleEvents", map[string]string{"TableName": table}},
	}
	if sc.mediaconvert() {
		want["alarms-job-state-failures"] = watched{"AWS/Events/FailedInvocations",
			map[string]string{"RuleName": r.oneIn("transcoder", tEventRule).String("name")}}
		want["alarms-job-state-dead-letters"] = watched{"AWS/SQS/ApproximateNumberOfMessagesVisible",
			map[string]string{"QueueName": r.named("transcoder-job-state-dead-letter-queue").String("name")}}
		want["alarms-transcode-errors"] = watched{"AWS/MediaConvert/JobsErroredCount",
			map[string]string{"Queue": r.output("queueArn")}}
	}
	return want
}

// watches is what an alarm resource watches.
func watches(a stacktest.Resource) watched {
	dims := map[string]string{}
	for k, v := range a.Get("dimensions").(map[string]any) {
		dims[k], _ = v.(string)
	}
	return watched{a.String("namespace") + "/" + a.String("metricName"), dims}
}

func TestAlarmsWatchWhereJobEventsGetLostAndWhatTheEndpointReliesOn(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		want := r.wantWatched(sc)
		got := map[string]watched{}
		for _, a := range r.Of(tAlarm) {
			got[a.Name] = watches(a)
			// Every failed attempt, retries included, is no reason to page.
			if a.String("metricName") == "NumberOfNotificationsFailed" {
				t.Errorf("%s pages on every failed SNS attempt, retries included", a.Name)
			}
		}
		for name, w := range want {
			if g, ok := got[name]; !ok {
				t.Errorf("no alarm %s on %s", name, w)
			} else if g.metric != w.metric || !maps.Equal(g.dimensions, w.dimensions) {
				t.Errorf("%s watches %s, want %s", name, g, w)
			}
		}
		for name, g := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("unexpected alarm %s on %s", name, g)
			}
		}
	})
}

func TestEveryAlarmSaysWhatItMeansAndWhatToDoAndTellsTheAlarmEmail(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		seen := map[string]string{}
		for _, a := range r.Of(tAlarm) {
			meaning, action, ok := strings.Cut(a.String("alarmDescription"), " What to do: ")
			if !ok || len(meaning) < 20 || len(action) < 20 {
				t.Errorf("%s: description %q does not say what it means, then \"What to do: \" and what", a.Name, a.String("alarmDescription"))
			}
			if len(a.String("alarmDescription")) > 1024 {
				t.Errorf("%s: description longer than CloudWatch's 1024 characters", a.Name)
			}
			if other, dup := seen[meaning]; dup {
				t.Errorf("%s and %s mean the same: %q", a.Name, other, meaning)
			}
			seen[meaning] = a.Name
			if got, want := a.String("name"), "transcoder-"+sc.stack+"-alarm-"+strings.TrimPrefix(a.Name, "alarms-"); got != want {
				t.Errorf("alarm named %q, want %q", got, want)
			}
			periods, _ := a.Get("evaluationPeriods").(float64)
			if a.Get("threshold") != 0.0 || a.String("comparisonOperator") != "GreaterThanThreshold" ||
				periods < 1 || a.Get("datapointsToAlarm") != periods || a.String("treatMissingData") != "notBreaching" {
				t.Errorf("%s fires on %v %s over %v of %v periods, missing data %q", a.Name, a.Get("threshold"),
					a.String("comparisonOperator"), a.Get("datapointsToAlarm"), a.Get("evaluationPeriods"), a.String("treatMissingData"))
			}
			for _, key := range []string{"alarmActions", "okActions"} {
				actions := toStrings(a.Get(key))
				if sc.alarmEmail() {
					if !slices.Equal(actions, []string{r.output("alarmTopicArn")}) {
						t.Errorf("%s %s %v, want the alarm topic", a.Name, key, actions)
					}
				} else if len(actions) != 0 {
					t.Errorf("%s has %s %v without an alarm e-mail", a.Name, key, actions)
				}
			}
		}
		emails := r.Where(tSubscription, "protocol", "email")
		if email := sc.config["transcoder:alarmEmail"]; email != "" {
			if len(emails) != 1 || emails[0].String("endpoint") != email || emails[0].String("topic") != r.output("alarmTopicArn") {
				t.Errorf("e-mail subscriptions %v, want %s on the alarm topic", emails, email)
			}
		} else if len(emails) != 0 || len(r.Of(tTopic)) != 1 {
			t.Errorf("an alarm topic exists without an alarm e-mail")
		}
	})
}

// dashboard is the part of a CloudWatch dashboard body the tests read.
type dashboard struct {
	Widgets []struct {
		Type       string
		Properties struct {
			Title       string
			Region      string
			Stat        string
			Period      float64
			Metrics     [][]string
			Alarms      []string
			Annotations struct {
				Horizontal []struct{ Value float64 }
			}
		}
	}
}

func TestTheDashboardDrawsExactlyWhatTheAlarmsWatch(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		d := r.one(tDashboard)
		if got, want := d.String("dashboardName"), "transcoder-"+sc.stack; got != want || r.output("dashboardName") != want {
			t.Errorf("dashboard %q (output %q), want %q", got, r.output("dashboardName"), want)
		}
		var body dashboard
		if err := json.Unmarshal([]byte(d.String("dashboardBody")), &body); err != nil {
			t.Fatalf("dashboard body: %v", err)
		}
		alarms := r.Of(tAlarm)
		graphs := map[string]int{}
		var states []string
		for _, w := range body.Widgets {
			switch w.Type {
			case "alarm":
				states = append(states, w.Properties.Alarms...)
			case "metric":
				p := w.Properties
				if len(p.Metrics) != 1 || len(p.Annotations.Horizontal) != 1 || p.Region != "eu-west-1" {
					t.Errorf("graph %q: %d metrics, %d thresholds, region %q", p.Title, len(p.Metrics), len(p.Annotations.Horizontal), p.Region)
					continue
				}
				key := fmt.Sprint(p.Metrics[0], p.Stat, p.Period, p.Annotations.Horizontal[0].Value)
				graphs[key]++
			default:
				t.Errorf("unexpected widget %s", w.Type)
			}
		}
		var arns []string
		for _, a := range alarms {
			arns = append(arns, a.Output("arn"))
			w := watches(a)
			ns, metric, _ := strings.Cut(w.metric, "/")
			if i := strings.LastIndex(w.metric, "/"); i > 0 {
				ns, metric = w.metric[:i], w.metric[i+1:]
			}
			line := []string{ns, metric}
			for _, k := range slices.Sorted(maps.Keys(w.dimensions)) {
				line = append(line, k, w.dimensions[k])
			}
			key := fmt.Sprint(line, a.String("statistic"), a.Get("period"), a.Get("threshold"))
			if graphs[key] != 1 {
				t.Errorf("alarm %s (%s) has %d graphs of the same metric, statistic, period and threshold", a.Name, key, graphs[key])
			}
			delete(graphs, key)
		}
		for key := range graphs {
			t.Errorf("a graph of %s has no alarm", key)
		}
		slices.Sort(arns)
		slices.Sort(states)
		if !slices.Equal(states, arns) {
			t.Errorf("the dashboard shows the states of %v, want every alarm: %v", states, arns)
		}
	})
}
