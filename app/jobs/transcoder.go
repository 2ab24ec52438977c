package jobs

import (
	"context"
	"strings"

	"transcoder/app/presets"
)

// Transcoder starts jobs on an engine: MediaConvert, the legacy Elastic
// Transcoder, or the local ffmpeg engine. Whatever happens to a job after
// Start is reported by the engine's events, which reach the service through
// SNS like any other; Start itself only submits.
type Transcoder interface {
	// Start submits the job and returns the engine's own id for it. Events
	// may arrive before Start returns: the request's Metadata carries the
	// job's id under MetadataJobID so that they find their job.
	Start(ctx context.Context, req StartRequest) (engineJobID string, err error)
}

// OutputURI is where every engine writes the output of preset p for input
// (an s3:// URI): under the job's prefix, in a folder named after the preset,
// with the input's base name and the preset's extension. Engines that name
// outputs themselves (MediaConvert names a file after its input) are
// configured to arrive at the same URI.
func OutputURI(prefix, input string, p presets.Preset) string {
	base := input[strings.LastIndexByte(input, '/')+1:]
	if dot := strings.LastIndexByte(base, '.'); dot > 0 {
		base = base[:dot]
	}
	return prefix + p.Name + "/" + base + p.Extension
}

// Canceler is a Transcoder that can stop a job it started, by the engine's
// own id for it. The engine's events then report the job CANCELED (or, if it
// had ended already, nothing changes).
type Canceler interface {
	Cancel(ctx context.Context, engineJobID string) error
}
