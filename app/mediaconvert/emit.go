package mediaconvert

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"transcoder/app/internal/ids"
)

// This file renders job state change events, the inverse of Decode: an engine
// that stands in for MediaConvert (the local ffmpeg engine) tells transcoder
// about its jobs in exactly the JSON that EventBridge delivers for real ones,
// so that one decoder reads both and nothing downstream can tell them apart.
// The shapes follow the MediaConvert User Guide, "EventBridge events" (one
// example event per status) and "Error codes".

// ErrorCode is a MediaConvert job error code, as an ERROR event's errorCode
// carries it. The constants are the documented codes an engine that runs
// ffmpeg can meet; MediaConvert documents the meaning of each.
type ErrorCode int

// The documented error codes (MediaConvert User Guide, "Error codes").
const (
	// ErrorInput (1010, "Input Error"): an input file cannot be opened: it
	// is inaccessible, corrupt, or of an unsupported format.
	ErrorInput ErrorCode = 1010
	// ErrorAudio (1021, "Audio Error"): the input was read but has no
	// audio stream.
	ErrorAudio ErrorCode = 1021
	// ErrorDiskFull (1050, "Disk Full"): writing an output ran out of
	// space.
	ErrorDiskFull ErrorCode = 1050
	// ErrorFileOpen (1056, "File Open Error"): an input or output file
	// cannot be opened, which is how an output that cannot be written fails.
	ErrorFileOpen ErrorCode = 1056
	// ErrorSourceRead (1076, "Source Read Error"): the transcoder could not
	// read an input that probed well, such as a truncated file.
	ErrorSourceRead ErrorCode = 1076
	// ErrorPermission (1401, "Permissions Issue"): storage denied access to
	// a file or bucket.
	ErrorPermission ErrorCode = 1401
	// ErrorNotFound (1404, "File Open Error"): the file or bucket does not
	// exist.
	ErrorNotFound ErrorCode = 1404
	// ErrorUnknown (1999, "Unknown Error"): an unexpected transcoding
	// error, one that no other code describes.
	ErrorUnknown ErrorCode = 1999
)

// Phase is a stage of a running job, as a STATUS_UPDATE event reports it.
type Phase string

// A job's phases, in the order it goes through them.
const (
	// Probing reads what the input is.
	Probing Phase = "PROBING"
	// Transcoding decodes, encodes and muxes.
	Transcoding Phase = "TRANSCODING"
	// Uploading writes the outputs that remain to storage.
	Uploading Phase = "UPLOADING"
)

// phases lists every phase in order; a STATUS_UPDATE reports all of them.
var phases = []Phase{Probing, Transcoding, Uploading}

// Emitter renders the events of one job, envelope and detail, as EventBridge
// publishes them to an SNS topic. Its fields are what every event of the job
// repeats; each method renders one status. Every event gets a fresh
// EventBridge id.
type Emitter struct {
	// JobID is MediaConvert's id for the job (see NewJobID).
	JobID string
	// Account is the AWS account id the job runs in, e.g. 111122223333.
	Account string
	// Region is the AWS region the job runs in, e.g. us-east-1.
	Region string
	// Queue is the ARN of the queue the job is in.
	Queue string
	// UserMetadata is the job's user metadata; every event carries it, as {}
	// when there is none.
	UserMetadata map[string]string
}

// ARN is the job's ARN, the one resource an event names.
func (e *Emitter) ARN() string {
	return "arn:aws:mediaconvert:" + e.Region + ":" + e.Account + ":jobs/" + e.JobID
}

// NewJobID returns a fresh job id in MediaConvert's shape: the creation time
// in milliseconds since the epoch, a dash and six random lower-case letters
// and digits, e.g. 1717405800112-7dq4mb.
func NewJobID(created time.Time) string {
	return strconv.FormatInt(created.UnixMilli(), 10) + "-" + ids.Alphanumeric(6)
}

// InputDetail is what MediaConvert reports about one input in an
// INPUT_INFORMATION event.
type InputDetail struct {
	// ID numbers the inputs of a job from 1.
	ID int `json:"id"`
	// URI is where the input was read from.
	URI string `json:"uri"`
	// DurationInMs is the input's duration in milliseconds.
	DurationInMs int64 `json:"durationInMs"`
	// Audio and Video describe the input's streams, each kind in stream
	// order.
	Audio []AudioDetail `json:"audio,omitempty"`
	Video []VideoDetail `json:"video,omitempty"`
}

// AudioDetail describes one audio stream of an input.
type AudioDetail struct {
	// Channels counts the stream's audio channels.
	Channels int `json:"channels"`
	// Codec is MediaConvert's name for the codec: AAC, MP3, FLAC, PCM...
	Codec string `json:"codec"`
	// Language is an upper-case ISO 639-2 code, UND when unknown.
	Language string `json:"language"`
	// SampleRate is in hertz.
	SampleRate int `json:"sampleRate"`
	// StreamID numbers the input's streams from 1.
	StreamID int `json:"streamId"`
}

// VideoDetail describes one video stream of an input.
type VideoDetail struct {
	// BitDepth is the bits per sample.
	BitDepth int `json:"bitDepth"`
	// Codec is MediaConvert's name for the codec: H_264, H_265, PRORES...
	Codec string `json:"codec"`
	// ColorFormat is the chroma subsampling, e.g. YUV_420.
	ColorFormat string `json:"colorFormat"`
	// FourCC is the codec's four-character tag in the container, e.g. avc1.
	FourCC string `json:"fourCC"`
	// FrameRate is in frames per second, e.g. 29.97.
	FrameRate float64 `json:"frameRate"`
	// Width and Height are the frame size in pixels.
	Height int `json:"height"`
	// InterlaceMode is PROGRESSIVE, TOP_FIELD or BOTTOM_FIELD.
	InterlaceMode string `json:"interlaceMode"`
	// Sar is the sample aspect ratio, e.g. 1:1.
	Sar string `json:"sar"`
	// Standard is the broadcast standard, UNSPECIFIED for files.
	Standard string `json:"standard"`
	// StreamID numbers the input's streams from 1.
	StreamID int `json:"streamId"`
	Width    int `json:"width"`
}

// Progress is what a STATUS_UPDATE event says of a running job.
type Progress struct {
	// Phase is the phase the job is in; the phases before it are complete
	// and those after it pending.
	Phase Phase
	// PhasePercent is how far the current phase is, 0-100.
	PhasePercent int
	// JobPercent is how far the whole job is, 0-100.
	JobPercent int
	// FramesDecoded counts the video frames decoded so far; zero leaves it
	// out, as for an audio-only job.
	FramesDecoded int64
	// RetryCount counts the times the job was retried.
	RetryCount int
}

// Progressing renders the event MediaConvert sends when a job leaves its
// queue and starts (PROGRESSING).
func (e *Emitter) Progressing(at time.Time) ([]byte, error) {
	return e.render(at, &detail{Status: "PROGRESSING"})
}

// InputInformation renders the event MediaConvert sends once it has read
// the job's inputs (INPUT_INFORMATION), all of them in one event.
func (e *Emitter) InputInformation(at time.Time, inputs ...InputDetail) ([]byte, error) {
	if len(inputs) == 0 {
		return nil, errors.New("mediaconvert: an INPUT_INFORMATION event describes at least one input")
	}
	for i, in := range inputs {
		if in.DurationInMs < 0 {
			return nil, fmt.Errorf("mediaconvert: input %d has a negative duration %d ms", i+1, in.DurationInMs)
		}
		for _, v := range in.Video {
			if math.IsNaN(v.FrameRate) || math.IsInf(v.FrameRate, 0) {
				return nil, fmt.Errorf("mediaconvert: input %d has a video frame rate that is not a number", i+1)
			}
		}
	}
	return e.render(at, &detail{Status: "INPUT_INFORMATION", InputDetails: inputs})
}

// StatusUpdate renders a progress report (STATUS_UPDATE) with every phase's
// status and percentage.
func (e *Emitter) StatusUpdate(at time.Time, p Progress) ([]byte, error) {
	current := -1
	for i, ph := range phases {
		if ph == p.Phase {
			current = i
		}
	}
	switch {
	case current < 0:
		return nil, fmt.Errorf("mediaconvert: phase %q is not one of PROBING, TRANSCODING, UPLOADING", p.Phase)
	case p.PhasePercent < 0 || p.PhasePercent > 100:
		return nil, fmt.Errorf("mediaconvert: phase percent %d is outside 0-100", p.PhasePercent)
	case p.JobPercent < 0 || p.JobPercent > 100:
		return nil, fmt.Errorf("mediaconvert: job percent %d is outside 0-100", p.JobPercent)
	case p.FramesDecoded < 0 || p.RetryCount < 0:
		return nil, errors.New("mediaconvert: frames decoded and retry count cannot be negative")
	}
	jp := &jobProgress{
		PhaseProgress:      make(map[Phase]phaseProgress, len(phases)),
		JobPercentComplete: p.JobPercent,
		CurrentPhase:       p.Phase,
		RetryCount:         p.RetryCount,
	}
	for i, ph := range phases {
		switch {
		case i < current:
			jp.PhaseProgress[ph] = phaseProgress{Status: "COMPLETE", PercentComplete: 100}
		case i == current:
			jp.PhaseProgress[ph] = phaseProgress{Status: "PROGRESSING", PercentComplete: p.PhasePercent}
		default:
			jp.PhaseProgress[ph] = phaseProgress{Status: "PENDING", PercentComplete: 0}
		}
	}
	d := &detail{Status: "STATUS_UPDATE", JobProgress: jp}
	if p.FramesDecoded > 0 {
		d.FramesDecoded = &p.FramesDecoded
	}
	return e.render(at, d)
}

// Complete renders the event MediaConvert sends when every output is
// written (COMPLETE): the outputs, as one file output group, and the
// summary of the warnings the job raised, if any.
func (e *Emitter) Complete(at time.Time, outputs []OutputDetail, warnings []WarningCount) ([]byte, error) {
	if len(outputs) == 0 {
		return nil, errors.New("mediaconvert: a COMPLETE event lists at least one output")
	}
	for i, o := range outputs {
		if len(o.OutputFilePaths) == 0 || o.DurationInMs < 0 {
			return nil, fmt.Errorf("mediaconvert: output %d needs a file path and a duration that is not negative", i+1)
		}
	}
	zero := int64(0)
	return e.render(at, &detail{
		Status:             "COMPLETE",
		Warnings:           warnings,
		OutputGroupDetails: []outputGroup{{OutputDetails: outputs, Type: "FILE_GROUP"}},
		// An audio-only job pads no video and finds no black frames.
		PaddingInserted:    &zero,
		BlackVideoDetected: &zero,
		BlackSegments:      &[]blackSegment{},
	})
}

// Error renders the event MediaConvert sends when a job fails (ERROR), with
// the documented code that says what kind of failure it is and a message
// that says what exactly went wrong.
func (e *Emitter) Error(at time.Time, code ErrorCode, message string) ([]byte, error) {
	if code <= 0 || message == "" {
		return nil, fmt.Errorf("mediaconvert: an ERROR event needs a code and a message (got %d, %q)", code, message)
	}
	return e.render(at, &detail{Status: "ERROR", ErrorCode: code, ErrorMessage: message})
}

// Canceled renders the event MediaConvert sends when a job is canceled
// (CANCELED).
func (e *Emitter) Canceled(at time.Time) ([]byte, error) {
	return e.render(at, &detail{Status: "CANCELED"})
}

// envelope is an EventBridge event.
type envelope struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     *detail  `json:"detail"`
}

// detail is a job state change's detail: the members every status has, then
// those of particular statuses, each left out where its status has none.
type detail struct {
	Timestamp    int64             `json:"timestamp"`
	AccountID    string            `json:"accountId"`
	Queue        string            `json:"queue"`
	JobID        string            `json:"jobId"`
	Status       string            `json:"status"`
	UserMetadata map[string]string `json:"userMetadata"`

	ErrorCode    ErrorCode `json:"errorCode,omitempty"`
	ErrorMessage string    `json:"errorMessage,omitempty"`

	FramesDecoded *int64       `json:"framesDecoded,omitempty"`
	JobProgress   *jobProgress `json:"jobProgress,omitempty"`

	InputDetails []InputDetail `json:"inputDetails,omitempty"`

	Warnings           []WarningCount  `json:"warnings,omitempty"`
	OutputGroupDetails []outputGroup   `json:"outputGroupDetails,omitempty"`
	PaddingInserted    *int64          `json:"paddingInserted,omitempty"`
	BlackVideoDetected *int64          `json:"blackVideoDetected,omitempty"`
	BlackSegments      *[]blackSegment `json:"blackSegments,omitempty"`
}

type jobProgress struct {
	PhaseProgress      map[Phase]phaseProgress `json:"phaseProgress"`
	JobPercentComplete int                     `json:"jobPercentComplete"`
	CurrentPhase       Phase                   `json:"currentPhase"`
	RetryCount         int                     `json:"retryCount"`
}

type phaseProgress struct {
	Status          string `json:"status"`
	PercentComplete int    `json:"percentComplete"`
}

type outputGroup struct {
	OutputDetails []OutputDetail `json:"outputDetails"`
	Type          string         `json:"type"`
}

type blackSegment struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// render wraps d in the envelope, filling in what every event repeats.
// EventBridge's time is the event's, to the second; MediaConvert's timestamp
// is the same moment to the millisecond.
func (e *Emitter) render(at time.Time, d *detail) ([]byte, error) {
	switch {
	case e.JobID == "":
		return nil, errors.New("mediaconvert: cannot render an event without a job id: set Emitter.JobID")
	case e.Account == "" || e.Region == "" || e.Queue == "":
		return nil, fmt.Errorf("mediaconvert: cannot render an event for job %s without an account, a region and a queue: set Emitter.Account, Region and Queue", e.JobID)
	case at.UnixMilli() <= 0:
		return nil, fmt.Errorf("mediaconvert: cannot render an event for job %s dated %v: events are dated after 1970", e.JobID, at)
	}
	d.Timestamp = at.UnixMilli()
	d.AccountID = e.Account
	d.Queue = e.Queue
	d.JobID = e.JobID
	d.UserMetadata = e.UserMetadata
	if d.UserMetadata == nil {
		d.UserMetadata = map[string]string{}
	}
	return json.Marshal(&envelope{
		Version:    "0",
		ID:         ids.UUID(),
		DetailType: DetailType,
		Source:     Source,
		Account:    e.Account,
		Time:       at.UTC().Truncate(time.Second).Format(time.RFC3339),
		Region:     e.Region,
		Resources:  []string{e.ARN()},
		Detail:     d,
	})
}
