package elastictranscoder

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"transcoder/app/jobs"
)

// Decoder reads the notifications of one Elastic Transcoder pipeline.
type Decoder struct {
	// OutputBucket is the pipeline's output bucket. Notifications name
	// outputs by key only, so the decoder must be told where they are to
	// give each output its s3:// URI.
	OutputBucket string
}

// NewDecoder returns a Decoder for the pipeline whose output bucket is
// outputBucket, or an error if that is not a bucket name: a decoder that
// cannot name its outputs is refused at start-up rather than at the first
// notification.
func NewDecoder(outputBucket string) (*Decoder, error) {
	switch {
	case outputBucket == "":
		return nil, ErrNoOutputBucket
	case strings.ContainsAny(outputBucket, "/ \t\n"):
		return nil, fmt.Errorf("elastictranscoder: output bucket %q is not a bucket name: give the name alone, without s3:// or a key", outputBucket)
	}
	return &Decoder{OutputBucket: outputBucket}, nil
}

// Decode reads one notification, the Message of an SNS notification, into an
// update dated at: notifications carry no time, so pass the SNS Timestamp.
//
// It returns ErrNotNotification for anything that is not a job notification,
// and an *InvalidNotificationError for one that is but cannot be read.
func (d Decoder) Decode(message []byte, at time.Time) (*jobs.Update, error) {
	var n Notification
	// Unmarshal checks the whole message is JSON before it sets anything, and
	// a value of the wrong type does not stop it: what it could read tells
	// whether the message claims to be a notification.
	err := json.Unmarshal(message, &n)
	if !n.IsNotification() {
		return nil, ErrNotNotification
	}
	if err != nil {
		return nil, invalid(err.Error())
	}
	return d.Update(&n, at)
}

// IsNotification reports whether n claims to be an Elastic Transcoder job
// notification: it has a state and names a pipeline, which no other
// message transcoder receives does.
func (n *Notification) IsNotification() bool {
	return n.State != "" && n.PipelineID != ""
}

// Update turns n into the domain's update, dated at. It changes nothing in n.
//
// PROGRESSING moves the job to PROGRESSING, COMPLETED to COMPLETE, ERROR to
// ERROR with the failure, and WARNING to PROGRESSING (a warning does not end
// a job) with the warnings. Every notification lists the files the job
// writes, master playlists included, each with its own status.
//
// The input is given by its key alone, in Input.Details["key"], and without
// a URI: the notification does not name the input bucket, and transcoder
// does not guess it.
func (d Decoder) Update(n *Notification, at time.Time) (*jobs.Update, error) {
	if d.OutputBucket == "" {
		return nil, ErrNoOutputBucket
	}
	if !n.IsNotification() {
		return nil, ErrNotNotification
	}
	if n.JobID == "" {
		return nil, invalid("jobId is missing")
	}
	u := &jobs.Update{
		JobID:       n.JobID,
		EngineJobID: n.JobID,
		Engine:      jobs.ElasticTranscoder,
		At:          at,
	}
	switch {
	case strings.EqualFold(n.State, "PROGRESSING"):
		u.State = jobs.Progressing
	case strings.EqualFold(n.State, "COMPLETED"):
		u.State, u.Progress = jobs.Complete, 100
	case strings.EqualFold(n.State, "ERROR"):
		u.State, u.Error = jobs.Failed, failure(n)
	case strings.EqualFold(n.State, "WARNING"):
		u.State, u.Warnings = jobs.Progressing, warnings(n)
	default:
		return nil, invalid(fmt.Sprintf("state %q is not PROGRESSING, COMPLETED, WARNING or ERROR", n.State))
	}
	if id := n.UserMetadata[jobs.MetadataJobID]; id != "" {
		u.JobID = id
	}
	if len(n.UserMetadata) > 0 {
		u.Metadata = n.UserMetadata
	}
	if n.Input.Key != "" {
		u.Input = &jobs.Input{Details: map[string]any{"key": n.Input.Key}}
	}
	var err error
	if u.Outputs, err = d.outputs(n); err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, invalid(err.Error())
	}
	return u, nil
}

// outputs lists the files the job writes, each by its URI in the output
// bucket: the master playlists first, then each output's own file. An
// output without a key names no file and is left out.
//
// Elastic Transcoder names them by rules the CreateJob documentation gives
// (Playlist Name and OutputKeys, Output SegmentDuration:
// https://docs.aws.amazon.com/elastictranscoder/latest/developerguide/create-job.html),
// always under OutputKeyPrefix:
//   - a master playlist is its Name plus ".m3u8" (HLSv3, HLSv4), or plus
//     ".ism" and ".ismc" (Smooth);
//   - an output with no segment duration, or one that is not HLS (in a
//     Smooth or MPEG-DASH playlist), is the file Key;
//   - a segmented HLSv3 output, or a segmented output in no playlist, is a
//     playlist Key + ".m3u8" over segments Key00000.ts, Key00001.ts...; a
//     segmented HLSv4 output is a playlist Key + "_v4.m3u8" over Key.ts.
//     The output's own playlist stands for it: Key alone names no object.
//
// A playlist of a format the documentation gives no extension for
// (MPEG-DASH) is left out rather than named by a guess.
func (d Decoder) outputs(n *Notification) ([]jobs.Output, error) {
	if len(n.Outputs) == 0 && len(n.Playlists) == 0 {
		return nil, nil
	}
	prefix := "s3://" + d.OutputBucket + "/" + n.OutputKeyPrefix
	out := make([]jobs.Output, 0, len(n.Outputs)+len(n.Playlists))
	var format map[string]string // output key -> its playlist's format
	if len(n.Playlists) > 0 {
		format = make(map[string]string, len(n.Outputs))
	}
	for _, p := range n.Playlists {
		for _, k := range p.OutputKeys {
			if _, ok := format[k]; !ok {
				format[k] = p.Format
			}
		}
		if p.Name == "" {
			continue
		}
		for _, ext := range playlistExtensions(p.Format) {
			out = append(out, jobs.Output{URI: prefix + p.Name + ext, Status: outputStatus(p.Status)})
		}
	}
	for i, o := range n.Outputs {
		if o.Key == "" {
			continue
		}
		ms := o.DurationMillis
		if ms == 0 {
			if o.Duration > math.MaxInt64/1000 {
				return nil, invalid(fmt.Sprintf("outputs[%d].duration %d is not a duration in seconds", i, o.Duration))
			}
			ms = o.Duration * 1000
		}
		if ms < 0 {
			return nil, invalid(fmt.Sprintf("outputs[%d] has a negative duration", i))
		}
		segmented, err := segmented(o.SegmentDuration)
		if err != nil {
			return nil, invalid(fmt.Sprintf("outputs[%d].segmentDuration %s", i, err))
		}
		name := o.Key
		if segmented {
			f, inPlaylist := format[o.Key]
			switch {
			case !inPlaylist || strings.EqualFold(f, "HLSv3"):
				name += ".m3u8"
			case strings.EqualFold(f, "HLSv4"):
				name += "_v4.m3u8"
			}
		}
		out = append(out, jobs.Output{
			URI:        prefix + name,
			Preset:     o.PresetID,
			DurationMS: ms,
			Status:     outputStatus(o.Status),
		})
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// playlistExtensions are the extensions Elastic Transcoder appends to the
// Name of a master playlist of the given format, one per file it writes.
func playlistExtensions(format string) []string {
	switch {
	case strings.EqualFold(format, "HLSv3"), strings.EqualFold(format, "HLSv4"):
		return []string{".m3u8"}
	case strings.EqualFold(format, "Smooth"):
		return []string{".ism", ".ismc"}
	}
	return nil
}

// segmented reports whether an output's segment duration is set: a number
// of seconds above zero.
func segmented(d json.Number) (bool, error) {
	if d == "" {
		return false, nil
	}
	s, err := strconv.ParseFloat(string(d), 64)
	if err != nil || s < 0 || math.IsInf(s, 0) {
		return false, fmt.Errorf("%q is not a number of seconds", string(d))
	}
	return s > 0, nil
}

// outputStatus spells an output's status as the domain spells states, so
// that "Complete" and "Completed" are one status. One it does not know is
// kept, upper-cased.
func outputStatus(s string) string {
	switch {
	case s == "":
		return ""
	case strings.EqualFold(s, "Complete"), strings.EqualFold(s, "Completed"):
		return string(jobs.Complete)
	case strings.EqualFold(s, "Progressing"):
		return string(jobs.Progressing)
	case strings.EqualFold(s, "Submitted"):
		return string(jobs.Submitted)
	case strings.EqualFold(s, "Error"):
		return string(jobs.Failed)
	case strings.EqualFold(s, "Canceled"):
		return string(jobs.Canceled)
	case strings.EqualFold(s, "Warning"):
		return "WARNING"
	}
	return strings.ToUpper(s)
}

// failure is why an ERROR notification's job failed: the job's error code
// and message, each taken from its first output in error when the job has
// none.
func failure(n *Notification) *jobs.Failure {
	f := &jobs.Failure{Code: n.ErrorCode.String(), Message: n.MessageDetails}
	if f.Code == "" || f.Message == "" {
		for _, o := range n.Outputs {
			if strings.EqualFold(o.Status, "Error") {
				f.Code = cmp.Or(f.Code, o.ErrorCode.String())
				f.Message = cmp.Or(f.Message, o.StatusDetail)
				break
			}
		}
	}
	if f.Code == "" && f.Message == "" {
		return nil
	}
	return f
}

// warnings are a WARNING notification's warnings: one for each output in
// warning, with its detail, or else one for the job.
func warnings(n *Notification) []jobs.Warning {
	var ws []jobs.Warning
	for _, o := range n.Outputs {
		if !strings.EqualFold(o.Status, "Warning") {
			continue
		}
		ws = append(ws, jobs.Warning{
			Code:    cmp.Or(o.ErrorCode.String(), n.ErrorCode.String()),
			Message: cmp.Or(o.StatusDetail, n.MessageDetails),
		})
	}
	if len(ws) == 0 && (n.ErrorCode != "" || n.MessageDetails != "") {
		ws = append(ws, jobs.Warning{Code: n.ErrorCode.String(), Message: n.MessageDetails})
	}
	return ws
}
