package jobstest_test

import (
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobstest"
)

// TestReferenceStorePassesTheSuite runs the suite against the simplest store
// that keeps the contract, so that a failure in a real store's run points at
// the store and not at the suite.
func TestReferenceStorePassesTheSuite(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Store {
		return jobstest.NewMemStore()
	}, jobstest.Options{
		Reopen: func(t *testing.T, closed jobs.Store) jobs.Store {
			return closed.(*jobstest.MemStore).Reopened()
		},
	})
}
