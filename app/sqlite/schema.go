package sqlite

import (
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from version i to version i+1; the
// database's version is kept in PRAGMA user_version. Append, never edit: a
// database in the field has run every step up to its version.
var migrations = [][]string{
	// 1: jobs, each a JSON document. created_at and the index on it are for
	// listing a user's jobs newest first; an owner column will join them.
	{
		`CREATE TABLE jobs (
			id         TEXT    NOT NULL PRIMARY KEY,
			version    INTEGER NOT NULL,
			created_at INTEGER NOT NULL, -- Unix nanoseconds, UTC
			updated_at INTEGER NOT NULL, -- Unix nanoseconds, UTC
			doc        TEXT    NOT NULL  -- the jobs.Job as JSON
		) STRICT`,
		`CREATE INDEX jobs_newest_first ON jobs (created_at DESC, id DESC)`,
	},
	// 2: the owner, for listing one owner's jobs, and when the job's next
	// webhook call is due (NULL: none owed), for the dispatcher.
	{
		`ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE jobs ADD COLUMN webhook_due INTEGER`,
		`CREATE INDEX jobs_owner_newest_first ON jobs (owner, created_at DESC, id DESC)`,
		`CREATE INDEX jobs_webhook_due ON jobs (webhook_due) WHERE webhook_due IS NOT NULL`,
	},
	// 3: invites (jobs.InviteStore), listed newest first, and the quotas'
	// tallies (jobs.Tallies): a set's members, one row each, and when the
	// set may be forgotten (NULL: never), for the sweep.
	{
		`CREATE TABLE invites (
			id         TEXT    NOT NULL PRIMARY KEY,
			owner      TEXT    NOT NULL,
			uses       INTEGER NOT NULL,
			used       INTEGER NOT NULL,
			created_at INTEGER NOT NULL, -- Unix nanoseconds, UTC
			expires_at INTEGER NOT NULL, -- Unix nanoseconds, UTC
			revoked_at INTEGER           -- Unix nanoseconds, UTC; NULL while it stands
		) STRICT`,
		`CREATE INDEX invites_newest_first ON invites (created_at DESC, id DESC)`,
		`CREATE TABLE tallies (
			key        TEXT    NOT NULL PRIMARY KEY,
			expires_at INTEGER           -- Unix nanoseconds, UTC; NULL: kept
		) STRICT`,
		`CREATE INDEX tallies_expiry ON tallies (expires_at) WHERE expires_at IS NOT NULL`,
		`CREATE TABLE tally_members (
			key    TEXT NOT NULL,
			member TEXT NOT NULL,
			PRIMARY KEY (key, member)
		) STRICT, WITHOUT ROWID`,
	},
	// 4: when each job's retention runs from (jobs.Job.RetainedFrom, Unix
	// nanoseconds; 0: kept for ever), for the sweep of jobs past
	// JOB_RETENTION_DAYS. A job of an older build counts from its last
	// change or its next webhook call, whichever is later, which is never
	// earlier than the rule. No index: the sweep reads the column once a
	// day, and an index would be rewritten by every progress event.
	{
		`ALTER TABLE jobs ADD COLUMN retained_from INTEGER NOT NULL DEFAULT 0`,
		`UPDATE jobs SET retained_from = max(updated_at, coalesce(webhook_due, 0))`,
	},
}

// migrate brings the schema of the database at path up to len(migrations) in
// one transaction, refusing a database written by a newer build.
func migrate(db *sql.DB, path string) error { return migrateWith(db, path, migrations) }

// migrateWith is migrate with the given steps: the tests make the database
// of an older build with the steps it knew.
func migrateWith(db *sql.DB, path string, migrations [][]string) error {
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op once committed

	var version int
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("sqlite: read the schema version of %s: %w", path, err)
	}
	if version > len(migrations) {
		return fmt.Errorf("sqlite: %s has schema version %d but this build knows only up to %d: run a newer transcoder, or point DATA_DIR at another directory",
			path, version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		for _, stmt := range migrations[v] {
			if _, err := tx.Exec(stmt); err != nil {
				return fmt.Errorf("sqlite: migrate %s to schema version %d: %w", path, v+1, err)
			}
		}
	}
	if version == len(migrations) {
		return nil
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations))); err != nil {
		return fmt.Errorf("sqlite: set the schema version of %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit the migration of %s: %w", path, err)
	}
	return nil
}
