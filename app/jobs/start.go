package jobs

import (
	"fmt"
	"slices"
	"strings"

	"transcoder/app/presets"
)

// StartRequest is what an engine needs to run a job.
type StartRequest struct {
	// JobID is transcoder's id for the job.
	JobID string
	// Owner is whose job it is ("" for the operator's): an engine that
	// queues jobs itself shares its capacity fairly among owners.
	Owner string
	// Input is the source file, as s3://bucket/key.
	Input string
	// OutputPrefix is s3://bucket/prefix/ under which every output is
	// written, each as OutputURI names it.
	OutputPrefix string
	// Presets are the outputs to produce, one file each.
	Presets []presets.Preset
	// Metadata is passed to the engine and comes back in every event; it
	// always holds MetadataJobID.
	Metadata map[string]string
}

// StartRequestError reports a StartRequest that breaks a rule every engine
// holds a request to (see StartRequest.Validate). Retrying the same request
// cannot help.
type StartRequestError struct {
	// Field is the StartRequest field at fault: "Metadata", "Input",
	// "OutputPrefix" or "Presets".
	Field string
	// Reason says which rule the field breaks and how to mend it, in words
	// that name the field.
	Reason string
}

// Error returns the reason alone: an engine puts its own name and the job's
// before it.
func (e *StartRequestError) Error() string { return e.Reason }

// Validate checks the rules every engine holds a request to, so that every
// engine refuses the same requests in the same words:
//
//   - Metadata holds MetadataJobID, by which the engine's events find their
//     job, and it is JobID when JobID is set;
//   - Input is an object, s3://bucket/key;
//   - OutputPrefix is a folder, s3://bucket/ or s3://bucket/prefix/, ending
//     in "/";
//   - there is at least one preset, and none is asked for twice (both
//     outputs would be written to one file).
//
// It checks the URIs' shape only: whether S3 takes a bucket name or key is
// package s3's to say (s3.ParseURI), for an engine that needs them. An engine
// adds its own rules after these: the presets it can make, its limits. The
// error is a *StartRequestError.
func (r *StartRequest) Validate() error {
	switch id := r.Metadata[MetadataJobID]; {
	case id == "":
		return invalid("Metadata", "metadata has no %s: set metadata[%q] to the job's id, so that the engine's events find their job",
			MetadataJobID, MetadataJobID)
	case r.JobID != "" && id != r.JobID:
		return invalid("Metadata", "metadata's %s %q is not the request's JobID %q", MetadataJobID, id, r.JobID)
	}
	if key, ok := s3Key(r.Input); !ok || key == "" || strings.HasSuffix(key, "/") {
		return invalid("Input", "input %q is not an S3 object: use s3://bucket/key", r.Input)
	}
	if _, ok := s3Key(r.OutputPrefix); !ok || !strings.HasSuffix(r.OutputPrefix, "/") {
		return invalid("OutputPrefix", "output prefix %q is not an S3 folder: use s3://bucket/prefix/, with the final slash", r.OutputPrefix)
	}
	if len(r.Presets) == 0 {
		return invalid("Presets", "no presets: a job needs at least one output; ask for one or more of %s", strings.Join(presets.Names(), ", "))
	}
	for i, p := range r.Presets {
		if slices.ContainsFunc(r.Presets[:i], func(q presets.Preset) bool { return q.Name == p.Name }) {
			return invalid("Presets", "preset %q is asked for twice: both outputs would be written to one file", p.Name)
		}
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return &StartRequestError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// s3Key returns what follows the bucket of s3://bucket/..., with ok false
// when uri is not of that shape (no scheme, no bucket, or no "/" after it).
func s3Key(uri string) (key string, ok bool) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	if !ok {
		return "", false
	}
	bucket, key, ok := strings.Cut(rest, "/")
	return key, ok && bucket != ""
}
