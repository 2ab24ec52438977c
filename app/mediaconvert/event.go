package mediaconvert

import (
	"encoding/json"
	"errors"
	"reflect"
)

// Source and DetailType identify a MediaConvert job state change among all
// EventBridge events: the rule that forwards MediaConvert's events to SNS
// matches on the same two fields.
const (
	Source     = "aws.mediaconvert"
	DetailType = "MediaConvert Job State Change"
)

// ErrNotJobEvent is returned for a message that is not a MediaConvert job
// state change at all: not JSON, another service's event, or one of
// MediaConvert's other events (job engine versions, CloudTrail API calls).
// Such a message says nothing about any job and is ignored, not rejected.
var ErrNotJobEvent = errors.New("mediaconvert: not a MediaConvert job state change event")

// InvalidEventError reports a message that says it is a MediaConvert job
// state change but cannot be turned into an update: a field of the wrong
// type, no job id, a status this package does not know. Redelivering it cannot
// help.
type InvalidEventError struct {
	// Reason says which rule the event breaks, naming the field at fault.
	Reason string
}

// Error says that the event is invalid and why.
func (e *InvalidEventError) Error() string {
	return "mediaconvert: invalid job state change event: " + e.Reason
}

func invalid(reason string) error { return &InvalidEventError{Reason: reason} }

// Event is an EventBridge event as far as transcoder reads it. Unmarshal a
// message into it, then call IsJobStateChange and Update.
type Event struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	// Time is when EventBridge received the event, RFC 3339 to the second;
	// it dates the event only when the detail has no timestamp.
	Time   string `json:"time"`
	Detail Detail `json:"detail"`
}

// Detail is the MediaConvert part of a job state change. Which fields are
// present depends on Status; see the MediaConvert User Guide, "EventBridge
// events", for an example of each.
type Detail struct {
	// Timestamp is when MediaConvert emitted the event, in milliseconds since
	// the Unix epoch.
	Timestamp int64  `json:"timestamp"`
	JobID     string `json:"jobId"`
	Status    string `json:"status"`
	// Queue is the ARN of the queue the job is in; for QUEUE_HOP, the queue
	// it hopped to.
	Queue        string            `json:"queue"`
	UserMetadata map[string]string `json:"userMetadata"`

	// ERROR. The code is a JSON number; json.Number also takes it quoted.
	ErrorCode    json.Number `json:"errorCode"`
	ErrorMessage string      `json:"errorMessage"`

	// NEW_WARNING. The documented example writes the code as a JSON
	// string ("000000"); Code takes a number too.
	WarningCode    Code   `json:"warningCode"`
	WarningMessage string `json:"warningMessage"`

	// COMPLETE (and sometimes ERROR): every warning code the job raised and
	// how often.
	Warnings []WarningCount `json:"warnings"`

	// STATUS_UPDATE.
	JobProgress JobProgress `json:"jobProgress"`

	// INPUT_INFORMATION: one object per input, kept as MediaConvert wrote it
	// (uri, durationInMs, video and audio stream details).
	InputDetails []map[string]any `json:"inputDetails"`

	// COMPLETE.
	OutputGroupDetails []OutputGroupDetail `json:"outputGroupDetails"`
}

// Code is a warning code as the event wrote it, a JSON string or a JSON
// number, kept as text: the User Guide's NEW_WARNING example
// (https://docs.aws.amazon.com/mediaconvert/latest/ug/ev_status_new_warning.html)
// has "warningCode": "000000", which is no JSON number (a number has no
// leading zero), so reading it as one would refuse the event and lose the job.
type Code string

// UnmarshalJSON takes a string as it is and a number as it was written; null
// is no code. Anything else is refused, naming the JSON type found.
func (c *Code) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Code(s)
		return nil
	case b[0] == '-' || '0' <= b[0] && b[0] <= '9':
		// The decoder has checked the literal is a valid JSON number.
		*c = Code(b)
		return nil
	case string(b) == "null":
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[Code]()}
}

// jsonKind names the JSON type of the value b, as encoding/json's errors do.
func jsonKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	}
	return "value"
}

// String returns the code's text.
func (c Code) String() string { return string(c) }

// WarningCount is one entry of a COMPLETE event's warnings summary.
type WarningCount struct {
	Code  json.Number `json:"code"`
	Count int         `json:"count"`
}

// JobProgress is a STATUS_UPDATE event's measure of progress.
type JobProgress struct {
	JobPercentComplete int `json:"jobPercentComplete"`
}

// OutputGroupDetail lists the files one output group wrote. Which of the two
// lists is filled depends on the group's type (file, HLS, DASH, CMAF...).
type OutputGroupDetail struct {
	// PlaylistFilePaths are the group's top-level manifests (HLS, DASH,
	// CMAF, Smooth groups).
	PlaylistFilePaths []string       `json:"playlistFilePaths"`
	OutputDetails     []OutputDetail `json:"outputDetails"`
}

// OutputDetail is one output of a group: its files and their duration.
type OutputDetail struct {
	OutputFilePaths []string `json:"outputFilePaths"`
	DurationInMs    int64    `json:"durationInMs"`
}
