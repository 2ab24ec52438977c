package sqlite

import (
	"database/sql"
	"sync"
)

// SchemaVersion is the schema version this build creates.
var SchemaVersion = len(migrations)

// HoldNextBatch makes the writer stop once it has taken the first request of
// its next batch, before it gathers the rest; entered is closed when it has
// stopped, and release lets it go on. Only that one batch is held.
func HoldNextBatch(s *Store) (entered <-chan struct{}, release func()) {
	in, out := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func() {
		once.Do(func() {
			close(in)
			<-out
		})
	}
	s.beforeBatch.Store(&hook)
	return in, sync.OnceFunc(func() { close(out) })
}

// Queued is how many requests wait for the writer.
func Queued(s *Store) int { return len(s.requests) }

// WriterPragma reads a PRAGMA on the writer's connection.
func WriterPragma(s *Store, name string) (string, error) {
	var v string
	err := s.write.QueryRow("PRAGMA " + name).Scan(&v)
	return v, err
}

// ReaderPragma reads a PRAGMA on a connection of the read pool.
func ReaderPragma(s *Store, name string) (string, error) {
	var v string
	err := s.read.QueryRow("PRAGMA " + name).Scan(&v)
	return v, err
}

// MigrateTo brings db to schema version, as the build that knew only the
// first version migrations left its databases.
func MigrateTo(db *sql.DB, version int) error {
	return migrateWith(db, "(test database)", migrations[:version])
}
