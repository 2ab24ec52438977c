package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"transcoder/app/internal/shared"
	"transcoder/app/jobs"
)

// outcome is what decoding one message means for the job store: nothing
// (Ignored: acknowledged, applied to no job) or an update, given here by
// everything a job learns from it.
type outcome struct {
	Ignored     bool
	JobID       string
	EngineJobID string
	Engine      jobs.Engine
	State       jobs.State
	At          time.Time
	Progress    int
	Queue       string
	// Input is the input's URI, or for Elastic Transcoder (which names
	// none) its key; InputMS its duration.
	Input    string
	InputMS  int64
	Outputs  []jobs.Output
	Error    *jobs.Failure
	Warnings []jobs.Warning
	Metadata map[string]string
}

func outcomeOf(u *jobs.Update) outcome {
	o := outcome{
		JobID: u.JobID, EngineJobID: u.EngineJobID, Engine: u.Engine, State: u.State, At: u.At,
		Progress: u.Progress, Queue: u.Queue, Outputs: u.Outputs, Error: u.Error, Warnings: u.Warnings,
		Metadata: u.Metadata,
	}
	if u.Input != nil {
		o.Input, o.InputMS = u.Input.URI, u.Input.DurationMS
		if key, ok := u.Input.Details["key"].(string); ok && o.Input == "" {
			o.Input = key
		}
	}
	return o
}

// realEvent is what one file of the shared folder must decode to.
type realEvent struct {
	file string // under transcoder-events
	want outcome
	// mended, for an AWS sample published as invalid JSON only because of
	// its placeholder warning code 000000, is what the sample decodes to once
	// that one token reads 0.
	mended *outcome
}

func ms(epochMillis int64) time.Time { return time.UnixMilli(epochMillis).UTC() }

func rfc3339(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// realEvents lists every file of ../shared/testdata/transcoder-events (see
// its SOURCES.md) with what it says, as AWS documents the two engines'
// events:
//   - MediaConvert: the User Guide's page of each status, such as "Events
//     with COMPLETE status"
//     (https://docs.aws.amazon.com/mediaconvert/latest/ug/ev_status_complete.html):
//     the job id and status in detail, dated by detail.timestamp in
//     milliseconds (else by the EventBridge time), jobPercentComplete for
//     STATUS_UPDATE, errorCode and errorMessage for ERROR, warningCode and
//     warningMessage for NEW_WARNING, the new queue for QUEUE_HOP (the job
//     still waits: SUBMITTED), and for COMPLETE each group's
//     playlistFilePaths and each output's outputFilePaths and durationInMs;
//   - Elastic Transcoder: "Notifications of job status"
//     (https://docs.aws.amazon.com/elastictranscoder/latest/developerguide/notifications.html)
//     and CreateJob's file names: outputs and master playlists under
//     outputKeyPrefix in the pipeline's output bucket, dated by the SNS
//     Timestamp.
//
// A message that is not a job event (plain text, a Python repr, a detail
// without its envelope, the guide's format description) is ignored, which
// the endpoint acknowledges so that SNS does not retry it.
func realEvents(t *testing.T) []realEvent {
	const (
		mcDocs = "awsdocs-mediaconvert/"
		et     = jobs.ElasticTranscoder
		mc     = jobs.MediaConvert
	)
	ignored := outcome{Ignored: true}
	// The 2023 guide's output group samples share one job and its warning.
	docJob := func(outputs ...jobs.Output) *outcome {
		return &outcome{
			JobID: "1536964333549-opn151", EngineJobID: "1536964333549-opn151", Engine: mc, State: jobs.Complete,
			At: ms(1536964380391), Progress: 100, Outputs: outputs, Warnings: []jobs.Warning{{Code: "0", Count: 1}},
		}
	}
	guide2018 := func(id string, at int64, outputs ...jobs.Output) outcome {
		return outcome{JobID: id, EngineJobID: id, Engine: mc, State: jobs.Complete, At: ms(at), Progress: 100, Outputs: outputs}
	}
	dlcsCompleted := func(metadata map[string]string) outcome {
		const prefix = "s3://blog-transcoded/random-guid/2/1/engine_vid_1/full/full/max/max/0/"
		return outcome{
			JobID: "1598374269794-x3aftt", EngineJobID: "1598374269794-x3aftt", Engine: et, State: jobs.Complete,
			At: rfc3339(t, "2022-07-29T11:51:26.616Z"), Progress: 100, Input: "2/1/engine_vid_1/9912",
			Outputs: []jobs.Output{
				{URI: prefix + "default.mp4", Preset: "1351620000001-100070", DurationMS: 14000, Status: "COMPLETE"},
				{URI: prefix + "default.webm", Preset: "1351620000001-100240", DurationMS: 15000, Status: "COMPLETE"},
			},
			Metadata: metadata,
		}
	}
	reeltime := func(state jobs.State, status string, progress int, ms int64) outcome {
		return outcome{
			JobID: "1388444889472-t01s28", EngineJobID: "1388444889472-t01s28", Engine: et, State: state,
			At: snsTime, Progress: progress, Input: "small.mp4",
			Outputs: []jobs.Output{
				{URI: "s3://blog-transcoded/hls-small/hls-small-master.m3u8", Status: status},
				{URI: "s3://blog-transcoded/hls-small/hls-small-400k.m3u8", Preset: "1351620000001-200050", DurationMS: ms, Status: status},
			},
		}
	}
	streetvoice := func(state jobs.State, at, status string, ms int64) outcome {
		return outcome{
			JobID: "1396802241671-jkmme8", EngineJobID: "1396802241671-jkmme8", Engine: et, State: state,
			At: rfc3339(t, at), Input: "input.mp3",
			Outputs: []jobs.Output{{URI: "s3://blog-transcoded/output.mp3", Preset: "1351620000001-300040", DurationMS: ms, Status: status}},
		}
	}
	completed := streetvoice(jobs.Complete, "2014-04-06T16:37:37.265Z", "COMPLETE", 110000)
	completed.Progress = 100
	failed := streetvoice(jobs.Failed, "2014-04-06T16:36:51.568Z", "ERROR", 0)
	failed.Error = &jobs.Failure{Code: "3002", Message: "3002 25319782-210b-45b2-a8a2-fb929b87d46b: The specified object could not be saved " +
		"in the specified bucket because an object by that name already exists: bucket=bucket_name, key=output.mp3."}
	const vod = "s3://vod-destination/12345/mp4/dude_3.0Mbps.mp4"

	return []realEvent{
		{file: "aws-samples-simple-vod-workflow/input-information.json", want: outcome{
			JobID: "1525799045060-9vh36h", EngineJobID: "1525799045060-9vh36h", Engine: mc, State: jobs.Progressing,
			At: ms(1525799133520), Input: "s3://elementalrodeo99-us-west-2/video-archive/720p60/futbol_720p60.mp4",
			Metadata: map[string]string{"workflow": "funnycatvideos"},
		}},
		{file: "aws-samples-simple-vod-workflow/status-update.json", want: outcome{
			JobID: "1522673670949-v90e0c", EngineJobID: "1522673670949-v90e0c", Engine: mc, State: jobs.Progressing,
			At: ms(1522673733689), Metadata: map[string]string{"workflow": "funnycatvideos"},
		}},
		// The fixture names every file "file" and dates the event 123 ms
		// after the epoch: kept as the event says, the file once.
		{file: "aws-solutions-vod-foundation/job-complete-complete.json", want: outcome{
			JobID: "12345", EngineJobID: "12345", Engine: mc, State: jobs.Complete, At: ms(123), Progress: 100,
			Outputs:  []jobs.Output{{URI: "file", DurationMS: 13513}},
			Metadata: map[string]string{"guid": "12345", "workflow": "foo-vod"},
		}},
		{file: "aws-solutions-vod-foundation/job-complete-input-information.json", want: outcome{
			JobID: "1234", EngineJobID: "1234", Engine: mc, State: jobs.Progressing, At: ms(1234), Input: "file",
			Metadata: map[string]string{"guid": "391d00eb-0639-420f-b952-97fd4bf3575f", "workflow": "foo-space", "solutionId": "SO0146"},
		}},
		// Both Messages are a Python repr, not JSON: another project's own
		// notification, not MediaConvert's event.
		{file: "aws-solutions-vod-foundation/pr18-video-ready-event-failure.json", want: ignored},
		{file: "aws-solutions-vod-foundation/pr18-video-ready-event-success.json", want: ignored},
		// A detail without its EventBridge envelope is no job event.
		{file: "aws-solutions-vod/output-validate-cmaf-mss.json", want: ignored},
		{file: "aws-solutions-vod/output-validate-hls-dash.json", want: ignored},
		{file: "aws-solutions-vod/output-validate-mp4.json", want: outcome{
			JobID: "-htprrb", EngineJobID: "-htprrb", Engine: mc, State: jobs.Complete,
			At: rfc3339(t, "2018-10-17T14:46:06Z"), Progress: 100, Outputs: []jobs.Output{{URI: vod, DurationMS: 13471}},
			Metadata: map[string]string{"guid": "12345", "workflow": "vod4"},
		}},
		// The guide's only "example" describes the format in prose.
		{file: "awsdocs-elastic-transcoder/notification-format.json", want: ignored},
		{file: mcDocs + "2018-cmaf-group.json", want: guide2018("1536964369162-gl6ur1", 1536964429367,
			jobs.Output{URI: "s3://bucket/cmaf/1.mpd"}, jobs.Output{URI: "s3://bucket/cmaf/1.m3u8"})},
		{file: mcDocs + "2018-dash-iso-group.json", want: guide2018("1536964333549-opn151", 1536964380391,
			jobs.Output{URI: "s3://bucket/dash/1.mpd"})},
		{file: mcDocs + "2018-file-group-frame-capture.json", want: guide2018("1536962115049-g58xc4", 1536962166536,
			jobs.Output{URI: "s3://bucket/frameoutput/file.0000036.jpg", DurationMS: 185000},
			jobs.Output{URI: "s3://bucket/file/file.mp4", DurationMS: 180041})},
		{file: mcDocs + "2018-hls-group.json", want: guide2018("1536961999428-kxngbl", 1536962071281,
			jobs.Output{URI: "s3://bucket/hls/main.m3u8"},
			jobs.Output{URI: "s3://bucket/hls/mainv2.m3u8", DurationMS: 180041},
			jobs.Output{URI: "s3://bucket/hls/mainv1.m3u8", DurationMS: 180041})},
		{file: mcDocs + "2018-ms-smooth-group.json", want: guide2018("1536964355034-rqbv0o", 1536964409174,
			jobs.Output{URI: "s3://bucket/smooth/1.ism"},
			jobs.Output{URI: "s3://bucket/smooth/1_va.ismv", DurationMS: 180041},
			jobs.Output{URI: "s3://bucket/smooth/2_va.ismv", DurationMS: 180041})},
		{file: mcDocs + "2023-canceled.json", want: outcome{
			JobID: "1515368087458-qnoxtd", EngineJobID: "1515368087458-qnoxtd", Engine: mc, State: jobs.Canceled, At: ms(1515368120764),
		}},
		{file: mcDocs + "2023-cmaf-group.json", want: ignored, mended: docJob(
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/cmaf/1.mpd"}, jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/cmaf/1.m3u8"})},
		{file: mcDocs + "2023-complete.json", want: ignored, mended: &outcome{
			JobID: "1671476818694-phptj0", EngineJobID: "1671476818694-phptj0", Engine: mc, State: jobs.Complete,
			At: ms(1671476832124), Progress: 100, Outputs: []jobs.Output{{URI: "s3://DOC-EXAMPLE-BUCKET/file/file.mp4", DurationMS: 30041}},
			Warnings: []jobs.Warning{{Code: "0", Count: 1}},
		}},
		{file: mcDocs + "2023-dash-iso-group.json", want: ignored, mended: docJob(jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/dash/1.mpd"})},
		{file: mcDocs + "2023-error.json", want: outcome{
			JobID: "1515368087458-qnoxtd", EngineJobID: "1515368087458-qnoxtd", Engine: mc, State: jobs.Failed, At: ms(1515368120764),
			Error: &jobs.Failure{Code: "1040", Message: "Example error message"},
		}},
		{file: mcDocs + "2023-file-group-frame-capture.json", want: ignored, mended: docJob(
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/frameoutput/file.0000036.jpg", DurationMS: 185000},
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/file/file.mp4", DurationMS: 180041})},
		// Besides 000000, bare members in an array and trailing commas.
		{file: mcDocs + "2023-file-group.json", want: ignored},
		{file: mcDocs + "2023-hls-group.json", want: ignored, mended: docJob(
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/hls/main.m3u8"},
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/hls/mainv2.m3u8", DurationMS: 180041},
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/hls/mainv1.m3u8", DurationMS: 180041})},
		{file: mcDocs + "2023-input-information.json", want: outcome{
			JobID: "1671476818694-phptj0", EngineJobID: "1671476818694-phptj0", Engine: mc, State: jobs.Progressing,
			At: ms(1671476832075), Input: "s3://DOC-EXAMPLE-BUCKET/file/file.mp4",
		}},
		{file: mcDocs + "2023-ms-smooth-group.json", want: ignored, mended: docJob(
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/smooth/1.ism"},
			jobs.Output{URI: "s3://DOC-EXAMPLE-BUCKET/smooth/1_va.ismv", DurationMS: 180041})},
		{file: mcDocs + "2023-new-warning.json", want: outcome{
			JobID: "1515368087458-qnoxtd", EngineJobID: "1515368087458-qnoxtd", Engine: mc, State: jobs.Progressing,
			At: ms(1515368120764), Warnings: []jobs.Warning{{Code: "000000", Message: "Example warning message"}},
		}},
		{file: mcDocs + "2023-progressing.json", want: outcome{
			JobID: "1671477617078-2886ye", EngineJobID: "1671477617078-2886ye", Engine: mc, State: jobs.Progressing, At: ms(1671477621654),
		}},
		{file: mcDocs + "2023-queue-hop.json", want: outcome{
			JobID: "1515368087458-qnoxtd", EngineJobID: "1515368087458-qnoxtd", Engine: mc, State: jobs.Submitted,
			At: ms(1515368120764), Queue: "arn:aws:mediaconvert:us-west-2:111122223333:queues/Default",
		}},
		{file: mcDocs + "2023-status-update.json", want: outcome{
			JobID: "1671477617078-2886ye", EngineJobID: "1671477617078-2886ye", Engine: mc, State: jobs.Progressing,
			At: ms(1671477681737), Progress: 7,
		}},
		{file: "dlcs-protagonist/ElasticTranscoderErrorNotification.json", want: outcome{
			JobID: "000000000-job", EngineJobID: "000000000-job", Engine: et, State: jobs.Failed,
			At: rfc3339(t, "2022-07-29T11:51:26.616Z"), Input: "2/13/error-test/6301",
			Outputs: []jobs.Output{{
				URI:    "s3://blog-transcoded/00000000-0000-0000-0000-000000000000/2/13/error-test/full/full/max/max/0/default.mp4",
				Preset: "1351620000001-000010", Status: "ERROR",
			}},
			Error: &jobs.Failure{Code: "4000"},
			Metadata: map[string]string{
				"jobId": "00000000-0000-0000-0000-000000000000", "startTime": "0", "dlcsId": "2/13/mp4-test", "storedOriginSize": "0",
			},
		}},
		{file: "dlcs-protagonist/ElasticTranscoderNotification.json", want: dlcsCompleted(map[string]string{
			"jobId": "2a9e35a9-078c-4a43-b311-b14f2e74ddf4", "dlcsId": "2/1/engine_vid_1", "startTime": "1659095486",
		})},
		{file: "dlcs-protagonist/ElasticTranscoderNotificationBatch.json", want: dlcsCompleted(map[string]string{
			"jobId": "2a9e35a9-078c-4a43-b311-b14f2e74ddf4", "dlcsId": "2/1/engine_vid_1", "batchId": "123", "startTime": "1659095486",
		})},
		{file: "dlcs-protagonist/MediaConvertNotification.json", want: outcome{
			JobID: "123456789123-abcd1f", EngineJobID: "123456789123-abcd1f", Engine: mc, State: jobs.Complete,
			At: ms(1755778103731), Progress: 100, Outputs: []jobs.Output{{URI: "s3://output/2/1/converted.mp3", DurationMS: 14675}},
			Metadata: map[string]string{
				"batchId": "123", "dlcsId": "2/1/foo", "mediaType": "audio/wav", "jobId": "2f5e480b-d86f-498e-9268-83fe5f9548cc",
				"startTime": "1756888977", "storedOriginSize": "0",
			},
		}},
		// An HLSv3 job: the master playlist and the output's own playlist,
		// not its segment prefix.
		{file: "reeltime/completed-hls.json", want: reeltime(jobs.Complete, "COMPLETE", 100, 6000)},
		{file: "reeltime/progressing-hls.json", want: reeltime(jobs.Progressing, "PROGRESSING", 0, 0)},
		{file: "streetvoice-django-elastic-transcoder/oncomplete.json", want: completed},
		{file: "streetvoice-django-elastic-transcoder/onerror.json", want: failed},
		{file: "streetvoice-django-elastic-transcoder/onprogress.json", want: streetvoice(jobs.Progressing, "2014-04-06T16:37:24.159Z", "PROGRESSING", 0)},
	}
}

// snsMessage is the Message of the SNS notification body holds, as an HTTP
// delivery (Type, Message) or a Lambda event (Records[].Sns) carries it, and
// its Timestamp, which dates events without a time of their own. Anything
// else is itself a Message, dated at snsTime.
func snsMessage(body []byte) (string, time.Time) {
	type notification struct{ Type, Message, Timestamp string }
	var env struct {
		notification
		Records []struct{ Sns notification }
	}
	if json.Unmarshal(body, &env) == nil {
		n := env.notification
		if len(env.Records) > 0 {
			n = env.Records[0].Sns
		}
		if n.Type == "Notification" && n.Message != "" {
			at, err := time.Parse(time.RFC3339, n.Timestamp)
			if err != nil {
				at = snsTime
			}
			return n.Message, at
		}
	}
	return string(body), snsTime
}

// mend replaces the placeholder warning code of the MediaConvert guide's
// samples, 000000, which no JSON parser reads, by 0.
func mend(body []byte) []byte {
	return bytes.ReplaceAll(body, []byte(`"code": 000000`), []byte(`"code": 0`))
}

// decodeOutcome decodes message as the endpoint does and says what it means.
func decodeOutcome(t *testing.T, message string, at time.Time) outcome {
	t.Helper()
	u, err := both.Decode(message, at)
	switch {
	case errors.Is(err, ErrNotTranscoderEvent):
		return outcome{Ignored: true}
	case err != nil:
		t.Fatalf("Decode: %v", err)
	}
	if err := u.Validate(); err != nil {
		t.Fatalf("the update does not validate: %v", err)
	}
	// The update must create the job it names, in the state it reports.
	j := jobs.New(u.JobID)
	if _, changed := j.Apply(u); !changed || j.State != u.State || j.Version != 1 {
		t.Errorf("applied to a new job: changed %v, state %s, version %d; want the job created %s", changed, j.State, j.Version, u.State)
	}
	return outcomeOf(u)
}

func TestEveryRealTranscoderEventDecodesAsAWSDocumentsIt(t *testing.T) {
	dir := shared.Dir(t, "transcoder-events")
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "SOURCES.md" {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	events := realEvents(t)
	for _, e := range events {
		if !slices.Contains(files, e.file) {
			t.Errorf("%s is expected but not in %s", e.file, dir)
		}
	}

	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			i := slices.IndexFunc(events, func(e realEvent) bool { return e.file == file })
			if i < 0 {
				t.Fatalf("%s has no expectation: add what it says to realEvents", file)
			}
			e := events[i]
			body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
			if err != nil {
				t.Fatal(err)
			}
			message, at := snsMessage(body)
			if got := decodeOutcome(t, message, at); !reflect.DeepEqual(got, e.want) {
				t.Errorf("decoded\n%s\nwant\n%s", show(got), show(e.want))
			}
			if e.mended == nil {
				return
			}
			if json.Valid([]byte(message)) {
				t.Fatalf("%s is valid JSON: it needs no mending", file)
			}
			mended := string(mend([]byte(message)))
			if !json.Valid([]byte(mended)) {
				t.Fatalf("%s is still not JSON once its warning code reads 0", file)
			}
			if got := decodeOutcome(t, mended, at); !reflect.DeepEqual(got, *e.mended) {
				t.Errorf("once mended, decoded\n%s\nwant\n%s", show(got), show(*e.mended))
			}
		})
	}
	if t.Failed() {
		t.Log("the files and where they come from: " + strings.TrimSuffix(dir, "/") + "/SOURCES.md")
	}
}
