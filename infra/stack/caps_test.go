package stack_test

import (
	"strconv"
	"testing"
)

// The whole-account caps: what the stack bounds whoever its users are.

func TestTheQueueRunsAtMostTheConfiguredNumberOfJobsAtOnce(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		if !sc.mediaconvert() {
			if n := len(r.Of(tMCQueue)); n != 0 {
				t.Errorf("the legacy engine declares %d queues", n)
			}
			return
		}
		want := 5.0
		if v := sc.config["transcoder:maxConcurrentJobs"]; v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			want = float64(n)
		}
		if got := r.one(tMCQueue).Get("concurrentJobs"); got != want {
			t.Errorf("the queue runs %v jobs at once, want %v", got, want)
		}
	})
}

func TestAMonthlyBudgetWatchesTheCostOfThisStacksResources(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		budget := r.one(tBudget)
		if budget.Parent != "budget" {
			t.Errorf("the budget is in %s, want its own component", budget.Parent)
		}
		wantLimit := "50"
		if v := sc.config["transcoder:monthlyBudgetUsd"]; v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			wantLimit = strconv.FormatFloat(f, 'f', -1, 64)
		}
		if budget.String("budgetType") != "COST" || budget.String("timeUnit") != "MONTHLY" ||
			budget.String("limitAmount") != wantLimit || budget.String("limitUnit") != "USD" {
			t.Errorf("budget %s %s %s %s, want COST MONTHLY %s USD", budget.String("budgetType"), budget.String("timeUnit"),
				budget.String("limitAmount"), budget.String("limitUnit"), wantLimit)
		}
		if got, want := budget.String("name"), "transcoder-"+sc.stack+"-monthly-cost"; got != want {
			t.Errorf("budget name %q, want %q", got, want)
		}
		if budget.Get("costTypes.includeCredit") != false {
			t.Errorf("the budget counts credits (%v), which would hide what the stack spends", budget.Get("costTypes"))
		}

		// Only this stack's costs: the filter names a tag that every
		// resource of this stack carries with a value no other stack has.
		prefix := "transcoder-" + sc.stack
		want := []map[string]any{{"name": "TagKeyValue", "values": []string{"user:deployment$" + prefix}}}
		if got := budget.Get("costFilters"); !jsonEqual(got, want) {
			t.Errorf("cost filters %v, want %v", got, want)
		}
		tagged := 0
		for _, res := range r.Resources {
			tags, ok := res.Get("tags").(map[string]any)
			if !ok {
				continue
			}
			tagged++
			if tags["deployment"] != prefix {
				t.Errorf("%s %s is tagged deployment=%v, want %s: the budget would miss its cost", res.Type, res.Name, tags["deployment"], prefix)
			}
		}
		if tagged < 10 {
			t.Errorf("only %d resources are tagged", tagged)
		}

		email := sc.config["transcoder:alarmEmail"]
		notifications, _ := budget.Get("notifications").([]any)
		if email == "" {
			if len(notifications) != 0 {
				t.Errorf("without an alarm e-mail the budget notifies %v", notifications)
			}
			return
		}
		wantNotifications := []map[string]any{
			{"notificationType": "ACTUAL", "comparisonOperator": "GREATER_THAN", "threshold": 80, "thresholdType": "PERCENTAGE", "subscriberEmailAddresses": []string{email}},
			{"notificationType": "ACTUAL", "comparisonOperator": "GREATER_THAN", "threshold": 100, "thresholdType": "PERCENTAGE", "subscriberEmailAddresses": []string{email}},
			{"notificationType": "FORECASTED", "comparisonOperator": "GREATER_THAN", "threshold": 100, "thresholdType": "PERCENTAGE", "subscriberEmailAddresses": []string{email}},
		}
		if !jsonEqual(notifications, wantNotifications) {
			t.Errorf("notifications %v, want %v", notifications, wantNotifications)
		}
	})
}

func TestTheFunctionReservesConcurrencyOnlyWhenConfigured(t *testing.T) {
	forEachScenario(t, func(t *testing.T, sc scenario, r *stackRun) {
		// The scheduler, invoked once a minute, reserves nothing of the
		// account's pool.
		if got := r.named("endpoint-scheduler").Get("reservedConcurrentExecutions"); got != nil {
			t.Errorf("the scheduler reserves %v concurrent executions", got)
		}
		got := r.named("endpoint-function").Get("reservedConcurrentExecutions")
		v := sc.config["transcoder:reservedConcurrency"]
		if v == "" {
			if got != nil {
				t.Errorf("reserves %v concurrent executions without transcoder:reservedConcurrency", got)
			}
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		if got != float64(n) {
			t.Errorf("reserves %v concurrent executions, want %d", got, n)
		}
	})
}
