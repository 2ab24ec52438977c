// Package failures tells the owner of a failed job, in a sentence a person
// can act on, what went wrong and what to do about it.
//
// Engines describe failures in their own terms: MediaConvert and Elastic
// Transcoder with numbered error codes and messages that name buckets and
// keys, the local engine with MediaConvert's codes and ffmpeg's standard
// error, which names memory addresses and filter graphs. None of that is for
// the file's owner. Explain maps an engine's code and message to a Reason and
// the Reason to a fixed sentence, so that what the owner reads never
// contains anything the engine wrote (a length and a limit excepted, which
// are parsed, not copied). The engine's words stay with the job for the
// operator.
//
// The package depends on nothing else of transcoder's, so that the domain
// (package jobs) can use it to word its inbox notices.
package failures

import (
	"strconv"
	"strings"
)

// Reason is what kind of failure a job met, as far as its owner is
// concerned: each has one sentence, and says whether the owner or the
// service's operator has to act.
type Reason string

// The reasons a job fails.
const (
	// Unreadable: the file is not audio or video an engine can read
	// (corrupt, or not media at all).
	Unreadable Reason = "unreadable"
	// Unsupported: the file is media, in a format or codec no engine here
	// decodes.
	Unsupported Reason = "unsupported"
	// NoAudio: the file was read but has no sound to convert.
	NoAudio Reason = "no_audio"
	// Truncated: the file ends before its data does, as an upload or an
	// export that did not finish leaves it.
	Truncated Reason = "truncated"
	// Missing: the uploaded file is no longer in storage.
	Missing Reason = "missing"
	// TooLong: the file plays longer than the service takes.
	TooLong Reason = "too_long"
	// TooLarge: the file is bigger (in bytes or picture size) than the
	// engine takes.
	TooLarge Reason = "too_large"
	// Interrupted: the job was stopped before it finished (a restart, a
	// time limit); starting it again may well work.
	Interrupted Reason = "interrupted"
	// Service: the service's own fault (permissions, a missing tool, its
	// settings, the engine's outage). The owner cannot fix it; the operator
	// must.
	Service Reason = "service"
	// Unknown: nothing says what happened.
	Unknown Reason = "unknown"
)

// sentences are what the owner reads for each reason: what happened, then
// what to do.
var sentences = map[Reason]string{
	Unreadable:  "This file isn't audio or video we can read. Try exporting it again as WAV or MP3.",
	Unsupported: "This file is in a format we can't convert. Try exporting it again as WAV or MP3.",
	NoAudio:     "This file has no sound in it to convert. Upload a file with an audio track.",
	Truncated:   "This file seems cut short: part of it is missing. Export it again and upload the whole file.",
	Missing:     "The file you uploaded is no longer here. Upload it again and start a new job.",
	TooLong:     "This file is longer than this service takes. Trim it or split it, then upload again.",
	TooLarge:    "This file is too big for this service to convert. Export a smaller version (for example as MP3) and upload that.",
	Interrupted: "The conversion stopped before it finished. Start the job again.",
	Service:     "This failed because of a problem on our side, not with your file. The service's operator has been told; try again later.",
	Unknown:     "Something went wrong while converting this file. Try again; if it fails again, export the file as WAV or MP3 and upload that.",
}

// Sentence is what the owner reads for r; an unknown reason reads as
// Unknown.
func (r Reason) Sentence() string {
	if s, ok := sentences[r]; ok {
		return s
	}
	return sentences[Unknown]
}

// Operator reports whether the operator, rather than the owner, has to act:
// the service's own faults, and failures nothing explains.
func (r Reason) Operator() bool { return r == Service || r == Unknown }

// Explanation is a failure told to the people it concerns.
type Explanation struct {
	// Reason is the kind of failure, a stable name for logs and metrics.
	Reason Reason
	// Message is the sentence for the job's owner. It never contains the
	// engine's words: no bucket, key, path or memory address.
	Message string
}

// The failure codes transcoder itself records (the engines' are numbers).
const (
	// StartFailed: the engine refused the job when it was submitted.
	StartFailed = "START_FAILED"
	// InputTooLong: the service canceled a job whose input runs past its
	// limit on input duration.
	InputTooLong = "INPUT_TOO_LONG"
)

// The engines whose codes Explain knows, by the names package jobs gives
// them (jobs.Engine).
const (
	MediaConvert      = "mediaconvert"
	ElasticTranscoder = "elastictranscoder"
	Local             = "local"
)

// Explain says, for the owner, why a job failed, from the engine that ran it
// (MediaConvert, ElasticTranscoder or Local; empty reads as MediaConvert,
// whose events the local engine imitates) and the code and message it
// reported. It is a pure function of its arguments, so a job's failure
// reads the same in its view, its notice and its webhook calls, and an
// improved mapping applies to jobs stored before it.
func Explain(engine, code, message string) Explanation {
	code = strings.TrimSpace(code)
	r := reason(engine, code, message)
	e := Explanation{Reason: r, Message: r.Sentence()}
	if r == TooLong {
		if s, ok := tooLong(message); ok {
			e.Message = s
		}
	}
	return e
}

// reason finds the reason for a code, reading the message where the code
// alone does not tell.
func reason(engine, code, message string) Reason {
	switch code {
	case StartFailed:
		return Service
	case InputTooLong:
		return TooLong
	}
	n, err := strconv.Atoi(code)
	if err != nil || n <= 0 {
		// No code, or one nobody documents: only the message can tell.
		return refine(message, Unknown)
	}
	if engine == ElasticTranscoder {
		return elasticTranscoder(n, message)
	}
	return mediaConvert(n, message)
}

// refine reads the message for a more precise reason than the code's, and
// keeps otherwise when it says nothing recognisable.
func refine(message string, otherwise Reason) Reason {
	if r := Classify(message); r != Unknown {
		return r
	}
	return otherwise
}
