package jobs

import (
	"maps"
	"slices"
)

// Clone returns a copy of j that shares nothing Apply or the other methods
// of Job modify, so that a store can change the copy while the original
// stays the snapshot it handed out. Input.Details is shared: nothing
// modifies it once set.
func (j *Job) Clone() *Job {
	c := *j
	c.Presets = slices.Clone(j.Presets)
	if j.Input != nil {
		in := *j.Input
		c.Input = &in
	}
	c.Outputs = slices.Clone(j.Outputs)
	if j.Error != nil {
		e := *j.Error
		c.Error = &e
	}
	c.Warnings = slices.Clone(j.Warnings)
	c.Metadata = maps.Clone(j.Metadata)
	c.Transitions = slices.Clone(j.Transitions)
	c.Notices = slices.Clone(j.Notices)
	c.Webhooks = slices.Clone(j.Webhooks)
	return &c
}
