package localsns

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRetryDelaysFollowTheFourPhasesOfTheSNSPolicy(t *testing.T) {
	const s = time.Second
	for name, tc := range map[string]struct {
		p    DeliveryPolicy
		want []time.Duration
	}{
		"the default waits 20 seconds between three retries": {
			DefaultDeliveryPolicy, []time.Duration{20 * s, 20 * s, 20 * s},
		},
		"the zero policy is the default": {
			DeliveryPolicy{}, []time.Duration{20 * s, 20 * s, 20 * s},
		},
		"immediate, pre-backoff, linear backoff and post-backoff retries come in that order": {
			DeliveryPolicy{NumRetries: 9, NumNoDelayRetries: 2, NumMinDelayRetries: 2, NumMaxDelayRetries: 1,
				MinDelay: 10 * s, MaxDelay: 50 * s},
			[]time.Duration{0, 0, 10 * s, 10 * s, 20 * s, 30 * s, 40 * s, 50 * s, 50 * s},
		},
		"exponential backoff doubles its steps up to the maximum": {
			DeliveryPolicy{NumRetries: 3, MinDelay: 1 * s, MaxDelay: 8 * s, Backoff: Exponential},
			[]time.Duration{2 * s, 4 * s, 8 * s},
		},
		"no retries means none": {
			DeliveryPolicy{Timeout: time.Second}, nil,
		},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := tc.p.normalize()
			if err != nil {
				t.Fatal(err)
			}
			var got []time.Duration
			for n := 1; n <= p.NumRetries; n++ {
				got = append(got, p.delay(n))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("delays %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAnUnsetTimeoutIsSNSsFifteenSeconds(t *testing.T) {
	p, err := DeliveryPolicy{NumRetries: 1, MinDelay: time.Millisecond, MaxDelay: time.Millisecond}.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if p.Timeout != 15*time.Second {
		t.Errorf("Timeout %v, want 15s", p.Timeout)
	}
}

func TestAnInvalidPolicyIsRefusedWithTheFieldNamed(t *testing.T) {
	for name, tc := range map[string]struct {
		p    DeliveryPolicy
		want string
	}{
		"negative retries":      {DeliveryPolicy{NumRetries: -1}, "NumRetries -1"},
		"more retries than SNS": {DeliveryPolicy{NumRetries: 101}, "NumRetries 101"},
		"phases beyond the total": {DeliveryPolicy{NumRetries: 2, NumNoDelayRetries: 2, NumMaxDelayRetries: 1},
			"NumRetries 2 is less than"},
		"a negative phase":        {DeliveryPolicy{NumRetries: 2, NumMinDelayRetries: -1}, "NumMinDelayRetries -1"},
		"a minimum above the max": {DeliveryPolicy{MinDelay: 2 * time.Second, MaxDelay: time.Second}, "MaxDelay 1s is less than MinDelay 2s"},
		"an unknown backoff":      {DeliveryPolicy{Backoff: 7}, "Backoff Backoff(7)"},
		"a negative timeout":      {DeliveryPolicy{Timeout: -time.Second}, "Timeout -1s"},
		"more than an hour of retrying": {DeliveryPolicy{NumRetries: 100, MinDelay: time.Minute, MaxDelay: time.Minute},
			"more than SNS's limit of 1h0m0s"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tc.p.normalize()
			if err == nil || !strings.Contains(err.Error(), "Options.Policy.") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}
