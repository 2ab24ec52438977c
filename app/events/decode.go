// Package events turns the Message of a verified SNS notification into the
// domain's update, whichever transcoding engine sent it.
//
// The SNS topic transcoder subscribes to may carry more than job events: test
// messages from the console, other EventBridge events, notifications of an
// engine this deployment does not run. Decode tells those apart from job
// events and decodes them in one pass, because the HTTP handler calls it for
// every delivery and the JSON parse is nearly all of its cost: the common
// MediaConvert events by a reader of their own fields (fast.go), which
// declines anything it could read differently from encoding/json, and every
// other message with a single encoding/json Unmarshal.
package events

import (
	"encoding/json"
	"errors"
	"time"

	"transcoder/app/elastictranscoder"
	"transcoder/app/jobs"
	"transcoder/app/mediaconvert"
)

// ErrNotTranscoderEvent is returned for a message that is not a job event of
// a configured engine: plain text, JSON about something else, another
// EventBridge event, or an Elastic Transcoder notification when that engine
// is not configured. It is nobody's mistake: the handler acknowledges the
// delivery (200) and records it as ignored.
var ErrNotTranscoderEvent = errors.New("events: not a transcoder job event")

// InvalidEventError reports a message that is recognisably a job event of a
// configured engine but cannot be turned into an update (no job id, an
// unknown status, a field of the wrong type). Redelivery would bring the same
// bytes, so the handler acknowledges it too (200) and records it as ignored
// because invalid, with Reason in the log.
type InvalidEventError struct {
	// Engine is the engine the message claims to come from.
	Engine jobs.Engine
	// Reason says which rule the message breaks, naming the field at fault.
	Reason string
}

// Error names the engine and says why its event is invalid.
func (e *InvalidEventError) Error() string {
	return "events: invalid " + string(e.Engine) + " event: " + e.Reason
}

// Decoder decodes the job events of the engines transcoder runs on.
// MediaConvert events are always understood; Elastic Transcoder
// notifications only when ElasticTranscoder is set, since they can only be
// read knowing the pipeline's output bucket.
type Decoder struct {
	// ElasticTranscoder decodes the legacy engine's notifications; nil when
	// that engine is not configured.
	ElasticTranscoder *elastictranscoder.Decoder
}

// either has the fields of both engines' messages, which share no JSON key,
// so that one Unmarshal reads either and the fields that identify each tell
// which it is. (Neither embedded type may implement json.Unmarshaler, or its
// method would be promoted and decode the whole message alone.)
type either struct {
	mediaconvert.Event
	elastictranscoder.Notification
}

// Decode turns message, an SNS notification's Message, into an update. at is
// the SNS Timestamp: it dates the events that carry no time of their own.
//
// A JSON object with source "aws.mediaconvert" and detail-type "MediaConvert
// Job State Change" is a MediaConvert event; one with a state and a
// pipelineId is an Elastic Transcoder notification. Anything else is
// ErrNotTranscoderEvent; an event that is recognisably one of them but
// unreadable is an *InvalidEventError. A returned update always passes
// jobs.Update.Validate.
func (d Decoder) Decode(message string, at time.Time) (*jobs.Update, error) {
	if !isObject(message) {
		return nil, ErrNotTranscoderEvent
	}
	// Most deliveries are MediaConvert events of the common shapes, which
	// the fast reader reads exactly as Unmarshal would; it declines the rest.
	var e mediaconvert.Event
	if readMediaConvert(message, &e) {
		if !e.IsJobStateChange() {
			// Valid JSON with no field of Notification's: no job event.
			return nil, ErrNotTranscoderEvent
		}
		u, err := e.Update(at)
		return u, engineError(jobs.MediaConvert, err)
	}
	return d.decodeJSON(message, at)
}

// decodeJSON is Decode with encoding/json: the reference that the fast
// reader agrees with, and the path of every message it declines.
func (d Decoder) decodeJSON(message string, at time.Time) (*jobs.Update, error) {
	var m either
	// Unmarshal checks that the whole message is JSON before it sets any
	// field, and carries on past a value of the wrong type: even then, what
	// it could read tells which engine the message claims to come from.
	err := json.Unmarshal([]byte(message), &m)
	switch {
	case m.Event.IsJobStateChange():
		if err != nil {
			return nil, &InvalidEventError{Engine: jobs.MediaConvert, Reason: err.Error()}
		}
		u, err := m.Event.Update(at)
		return u, engineError(jobs.MediaConvert, err)
	case m.Notification.IsNotification() && d.ElasticTranscoder != nil:
		if err != nil {
			return nil, &InvalidEventError{Engine: jobs.ElasticTranscoder, Reason: err.Error()}
		}
		u, err := d.ElasticTranscoder.Update(&m.Notification, at)
		return u, engineError(jobs.ElasticTranscoder, err)
	}
	return nil, ErrNotTranscoderEvent
}

// isObject reports whether message can be a JSON object, by its first byte
// after white space, so that plain-text messages cost no JSON parse.
func isObject(message string) bool {
	for i := 0; i < len(message); i++ {
		switch message[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// engineError translates an engine package's error into this package's.
// Errors that are not about the message (a misconfigured decoder) pass
// through as they are.
func engineError(engine jobs.Engine, err error) error {
	if err == nil {
		return nil
	}
	var mc *mediaconvert.InvalidEventError
	var et *elastictranscoder.InvalidNotificationError
	switch {
	case errors.As(err, &mc):
		return &InvalidEventError{Engine: engine, Reason: mc.Reason}
	case errors.As(err, &et):
		return &InvalidEventError{Engine: engine, Reason: et.Reason}
	case errors.Is(err, mediaconvert.ErrNotJobEvent), errors.Is(err, elastictranscoder.ErrNotNotification):
		return ErrNotTranscoderEvent
	}
	return err
}
