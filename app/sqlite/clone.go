package sqlite

import (
	"encoding/json"
	"fmt"

	"transcoder/app/jobs"
)

// clone returns a copy of j that shares nothing with it, so that the writer
// can apply an update to the copy while j stays the snapshot an earlier call
// of the batch was answered with. It goes through the job's JSON form, the
// form the store keeps, so that it stays exact as the Job type grows.
func clone(j *jobs.Job) (*jobs.Job, error) {
	doc, err := json.Marshal(j)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode job %q: %w", j.ID, err)
	}
	return decode(j.ID, doc)
}
