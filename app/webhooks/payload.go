package webhooks

import (
	"time"

	"transcoder/app/jobs"
)

// Payload is the JSON body of a webhook call: which transition of which job
// it reports, and the job as it stands when the call is made.
type Payload struct {
	// Delivery is the delivery id, also in the Transcoder-Delivery header:
	// one per transition, the same on every retry.
	Delivery string `json:"delivery"`
	// Job is the job id.
	Job string `json:"job"`
	// State is the state the job entered, and At when (RFC 3339, UTC).
	State jobs.State `json:"state"`
	At    time.Time  `json:"at"`
	// Sequence is the transition's place in the job's life, from 1
	// (SUBMITTED 1, PROGRESSING 2, then the terminal state): calls are
	// retried independently, so a later transition's call can arrive
	// before an earlier one's; a receiver orders a job's calls by it and
	// ignores one whose Sequence is not above the last it acted on.
	Sequence int `json:"sequence"`
	// Attempt counts the calls made for this delivery, this one included.
	Attempt int `json:"attempt"`
	// View is the job as the API shows it (Options.View) at the time of the
	// call, which may be ahead of State: a call retried for PROGRESSING can
	// carry a job that has since completed. Receivers should act on State and
	// At, and read the rest from View.
	View any `json:"view"`
}
