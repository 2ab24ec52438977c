package jobs_test

import (
	"strings"
	"testing"
	"time"

	"transcoder/app/failures"
	"transcoder/app/jobs"
)

func TestAFinishedJobLeavesOneNoticeInPlainWords(t *testing.T) {
	tests := []struct {
		name   string
		final  *jobs.Update
		text   string
		reason string
	}{
		{"completion", &jobs.Update{JobID: "j", At: at(2), State: jobs.Complete}, "Your file song.wav has been transcoded.", ""},
		{"failure, in the owner's words and not the engine's", &jobs.Update{JobID: "j", At: at(2), State: jobs.Failed, Engine: jobs.MediaConvert,
			Error: &jobs.Failure{Code: "1010", Message: "Unable to open input file [s3://in/uploads/alice/u1/song.wav]: [Failed probe/open: [Can't find parser for container]]"}},
			"Your file song.wav could not be transcoded. This file isn't audio or video we can read. Try exporting it again as WAV or MP3.", ""},
		{"failure the engine did not explain", &jobs.Update{JobID: "j", At: at(2), State: jobs.Failed},
			"Your file song.wav could not be transcoded. " + failures.Unknown.Sentence(), ""},
		{"cancellation", &jobs.Update{JobID: "j", At: at(2), State: jobs.Canceled}, "The transcoding of your file song.wav was canceled.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := jobs.New("j")
			j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Submitted, Name: "api test", Input: &jobs.Input{URI: "s3://in/uploads/alice/u1/song.wav"}})
			j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Progressing})
			j.Apply(tt.final)
			j.Apply(tt.final)
			if len(j.Notices) != 1 || j.Notices[0].Text != tt.text || j.Notices[0].ID != "j-"+string(tt.final.State) {
				t.Fatalf("notices = %+v, want one saying %q", j.Notices, tt.text)
			}
		})
	}
}

func TestANoticeNamesTheFileElseTheJobAndNeverNothing(t *testing.T) {
	tests := []struct {
		name  string
		start *jobs.Update
		text  string
	}{
		{"an upload, whatever the job is called", &jobs.Update{Name: "api test", Input: &jobs.Input{URI: "s3://in/uploads/alice/u1/take 2.mp3"}}, "Your file take 2.mp3 has been transcoded."},
		{"a job with a name and no input known", &jobs.Update{Name: "nightly"}, "Your job “nightly” has been transcoded."},
		{"a job known only from its engine's events", &jobs.Update{}, "Your job j has been transcoded."},
		{"an input with no file name", &jobs.Update{Input: &jobs.Input{URI: "s3://in/"}}, "Your job j has been transcoded."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := jobs.New("j")
			tt.start.JobID, tt.start.At, tt.start.State = "j", at(0), jobs.Submitted
			j.Apply(tt.start)
			j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Complete})
			if len(j.Notices) != 1 || j.Notices[0].Text != tt.text {
				t.Fatalf("notices = %+v, want one saying %q", j.Notices, tt.text)
			}
		})
	}
}

func TestEveryTransitionOwesOneWebhookCall(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Submitted, CallbackURL: "https://example.com/hook"})
	j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Progressing})
	j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Progressing})
	j.Apply(&jobs.Update{JobID: "j", At: at(2), State: jobs.Complete})
	var states []string
	for _, d := range j.Webhooks {
		states = append(states, string(d.State))
	}
	if strings.Join(states, ",") != "SUBMITTED,PROGRESSING,COMPLETE" {
		t.Fatalf("webhooks owed for %v", states)
	}
}

func TestACallbackLearntLateIsOwedEveryEarlierTransition(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(1), State: jobs.Progressing})
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Submitted, CallbackURL: "https://example.com/hook"})
	if len(j.Webhooks) != 1 || j.Webhooks[0].State != jobs.Progressing {
		t.Fatalf("webhooks = %+v", j.Webhooks)
	}
}

func TestADeliveryIsClaimedByOneDispatcherAndRetriedUntilDelivered(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Complete, CallbackURL: "https://example.com/hook"})
	id := j.Webhooks[0].ID
	if due, ok := j.NextWebhookCall(); !ok || !due.Equal(at(0)) {
		t.Fatalf("next delivery %v %v", due, ok)
	}
	if !j.ClaimWebhookCall(id, at(1), at(31)) || j.ClaimWebhookCall(id, at(2), at(32)) {
		t.Fatal("a held delivery was claimed twice")
	}
	j.RecordAttempt(id, at(3), 500, "server error", false, at(13))
	if j.ClaimWebhookCall(id, at(5), at(35)) {
		t.Fatal("a delivery was claimed before its retry was due")
	}
	if !j.ClaimWebhookCall(id, at(13), at(43)) {
		t.Fatal("a due delivery could not be claimed")
	}
	j.RecordAttempt(id, at(14), 204, "", true, time.Time{})
	d := j.Webhooks[0]
	if d.Attempts != 2 || d.Pending() || d.DeliveredAt != at(14) || d.LastStatus != 204 {
		t.Fatalf("delivery %+v", d)
	}
	if _, ok := j.NextWebhookCall(); ok {
		t.Fatal("a delivered call is still due")
	}
}

func TestANoticeIsReadThenDismissed(t *testing.T) {
	j := jobs.New("j")
	j.Apply(&jobs.Update{JobID: "j", At: at(0), State: jobs.Complete})
	id := j.Notices[0].ID
	if found, changed := j.MarkNotice(id, false); !found || !changed || !j.Notices[0].Read || j.Notices[0].Dismissed {
		t.Fatalf("read: %+v", j.Notices[0])
	}
	if _, changed := j.MarkNotice(id, false); changed {
		t.Fatal("reading twice changed the job")
	}
	if _, changed := j.MarkNotice(id, true); !changed || !j.Notices[0].Dismissed {
		t.Fatalf("dismiss: %+v", j.Notices[0])
	}
	if found, _ := j.MarkNotice("j-ERROR", true); found {
		t.Fatal("a notice that does not exist was found")
	}
}
