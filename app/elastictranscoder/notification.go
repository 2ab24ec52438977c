package elastictranscoder

import (
	"encoding/json"
	"errors"
)

// ErrNotNotification is returned for a message that is not an Elastic
// Transcoder job notification: not JSON, or without a state and a pipeline
// id. Such a message says nothing about any job and is ignored, not rejected.
var ErrNotNotification = errors.New("elastictranscoder: not an Elastic Transcoder job notification")

// ErrNoOutputBucket is returned by a Decoder that was built without an output
// bucket: it cannot name the files a job wrote. It is a configuration error,
// not a property of the message.
var ErrNoOutputBucket = errors.New("elastictranscoder: the decoder has no output bucket: the pipeline's output bucket is required")

// InvalidNotificationError reports a message that is an Elastic Transcoder
// notification but cannot be turned into an update: no job id, a state this
// package does not know, a field of the wrong type. Redelivering it cannot
// help.
type InvalidNotificationError struct {
	// Reason says which rule the notification breaks, naming the field at
	// fault.
	Reason string
}

// Error says that the notification is invalid and why.
func (e *InvalidNotificationError) Error() string {
	return "elastictranscoder: invalid job notification: " + e.Reason
}

func invalid(reason string) error { return &InvalidNotificationError{Reason: reason} }

// Notification is a job notification as far as transcoder reads it (see the
// Elastic Transcoder Developer Guide, "Notifications of Job Status"). Fields
// it does not need are ignored, so unknown ones do no harm.
type Notification struct {
	// State is PROGRESSING, COMPLETED, WARNING or ERROR.
	State string `json:"state"`
	// ErrorCode is set for ERROR (and may be for WARNING): a number such as
	// 3002; json.Number also takes it quoted.
	ErrorCode json.Number `json:"errorCode"`
	// MessageDetails is the short text of ErrorCode ("Output Already
	// Exists").
	MessageDetails string `json:"messageDetails"`
	JobID          string `json:"jobId"`
	PipelineID     string `json:"pipelineId"`
	Input          Input  `json:"input"`
	// OutputKeyPrefix is prepended to the name of every file the job
	// writes: outputs and master playlists.
	OutputKeyPrefix string   `json:"outputKeyPrefix"`
	Outputs         []Output `json:"outputs"`
	// Playlists are the job's master playlists (HLS and Smooth jobs).
	Playlists    []Playlist        `json:"playlists"`
	UserMetadata map[string]string `json:"userMetadata"`
}

// Playlist is one master playlist of the job: its settings and how it went.
type Playlist struct {
	// Name is the playlist's file name under OutputKeyPrefix, without the
	// extension Elastic Transcoder appends for Format.
	Name string `json:"name"`
	// Format is HLSv3, HLSv4, Smooth or MPEG-DASH.
	Format string `json:"format"`
	// OutputKeys are the Keys of the outputs the playlist lists.
	OutputKeys []string `json:"outputKeys"`
	// Status is the playlist's own status, cased as the outputs' are.
	Status string `json:"status"`
}

// Input is the job's input as the job's settings name it.
type Input struct {
	// Key is the object key in the pipeline's input bucket.
	Key string `json:"key"`
}

// Output is one output of the job: its settings and how it went.
type Output struct {
	// Key names the output's files under OutputKeyPrefix in the output
	// bucket: the file itself, or for a segmented HLS output the stem of its
	// playlist and segments (see Decoder.Update).
	Key      string `json:"key"`
	PresetID string `json:"presetId"`
	// Status is the output's own status, in whatever casing the pipeline
	// used ("Complete", "Completed", "Progressing", "Warning", "Error").
	Status       string      `json:"status"`
	StatusDetail string      `json:"statusDetail"`
	ErrorCode    json.Number `json:"errorCode"`
	// Duration is the output's length in whole seconds; DurationMillis, when
	// the notification has it, is the same to the millisecond.
	Duration       int64 `json:"duration"`
	DurationMillis int64 `json:"durationMillis"`
	// SegmentDuration, in seconds, is set for an output cut into segments
	// (HLS, Smooth, MPEG-DASH): a number in notifications (10.0), a string
	// in the job's settings ("10"); json.Number takes both.
	SegmentDuration json.Number `json:"segmentDuration"`
}
