package localengine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"transcoder/app/atomicfile"
	"transcoder/app/mediaconvert"
)

// journal records every job the engine has accepted until the job's terminal
// event is published, one small JSON file per job, so that a job the process
// did not finish (it was stopped, or crashed) is reported by the next one
// instead of staying PROGRESSING for ever.
type journal struct {
	dir string
}

// entry is one job in the journal.
type entry struct {
	// Instance is the engine instance that accepted the job; Recover leaves
	// its own instance's jobs alone.
	Instance   string    `json:"instance"`
	AcceptedAt time.Time `json:"acceptedAt"`
	// Job is everything an event about the job repeats: its MediaConvert
	// id, account, region, queue and user metadata.
	Job mediaconvert.Emitter `json:"job"`
	// Owner, Input, OutputPrefix and Presets are whose job it is and what
	// it was asked to do, kept for whoever reads the journal.
	Owner        string   `json:"owner,omitempty"`
	Input        string   `json:"input"`
	OutputPrefix string   `json:"outputPrefix"`
	Presets      []string `json:"presets"`
	// Attempts counts the processes that began running the job.
	Attempts int `json:"attempts,omitempty"`
	// Terminal is the job's terminal event when it was decided but could
	// not be published; Recover publishes it as it is.
	Terminal string `json:"terminal,omitempty"`
}

func (j *journal) path(id string) string { return filepath.Join(j.dir, id+".json") }

// write records e, replacing what was recorded for its job, atomically and
// durably (atomicfile), so that a reader (or a crash) never sees half an
// entry.
func (j *journal) write(e *entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("localengine: journal entry for job %s: %w", e.Job.JobID, err)
	}
	if err := atomicfile.Write(j.path(e.Job.JobID), b, 0o600); err != nil {
		return fmt.Errorf("localengine: cannot write the journal in %s: %w", j.dir, err)
	}
	return nil
}

// remove forgets a job whose terminal event is published.
func (j *journal) remove(id string) error {
	if err := os.Remove(j.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("localengine: cannot remove job %s from the journal: %w", id, err)
	}
	return nil
}

// list returns every entry in the journal. An entry that cannot be read is
// reported, by file, among the errors; the others are still returned.
func (j *journal) list() ([]*entry, []error) {
	files, err := os.ReadDir(j.dir)
	if err != nil {
		return nil, []error{fmt.Errorf("localengine: cannot read the journal: %w", err)}
	}
	var entries []*entry
	var errs []error
	for _, f := range files {
		name := f.Name()
		if f.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		path := filepath.Join(j.dir, name)
		b, err := os.ReadFile(path)
		var e entry
		if err == nil {
			err = json.Unmarshal(b, &e)
		}
		if err == nil && e.Job.JobID != strings.TrimSuffix(name, ".json") {
			err = fmt.Errorf("it is about job %q", e.Job.JobID)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("localengine: journal entry %s is unreadable (%v): look at it, then delete it", path, err))
			continue
		}
		entries = append(entries, &e)
	}
	return entries, errs
}
