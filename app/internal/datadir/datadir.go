// Package datadir makes a data directory (DATA_DIR) belong to one process
// and keeps what is in it private to the user the service runs as.
//
// Two services on one data directory would each take the other's state for
// their own: the second's engine would report the first's running jobs as
// interrupted, and both would write the same database, topic and journal.
// So a process takes an exclusive lock (flock(2)) on LockFile before it
// opens anything else there, and holds it for its life; the kernel releases
// it when the process ends, however it ends (kill -9 included), so a crash
// never leaves a directory that needs cleaning by hand. The lock file
// records the holder's pid and address, so that a second process can say
// which one to stop.
package datadir

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// LockFile is the file in a data directory that its holder locks and in
// which it records itself.
const LockFile = "lock"

// DirMode and FileMode are what a data directory's folders and files are
// made with: nobody but the service's user reads tokens, keys, jobs or media.
const (
	DirMode  fs.FileMode = 0o700
	FileMode fs.FileMode = 0o600
)

// Holder is the process that holds a data directory, as its lock file
// records it.
type Holder struct {
	PID int `json:"pid"`
	// URL is where it serves; empty until it listens.
	URL string `json:"url,omitempty"`
}

// InUseError is returned by Acquire when another process holds the
// directory.
type InUseError struct {
	Dir string
	// Holder is the other process; its PID is 0 if it had not recorded
	// itself yet.
	Holder Holder
}

func (e *InUseError) Error() string {
	who := "another transcoder (which has not recorded its pid yet)"
	switch {
	case e.Holder.PID != 0 && e.Holder.URL != "":
		who = fmt.Sprintf("the transcoder at %s (pid %d)", e.Holder.URL, e.Holder.PID)
	case e.Holder.PID != 0:
		who = fmt.Sprintf("the transcoder with pid %d, which is still starting", e.Holder.PID)
	}
	return fmt.Sprintf("DATA_DIR %s is in use by %s: stop it, or give this one another DATA_DIR", e.Dir, who)
}

// Lock is a data directory held by this process. It must stay reachable
// (and open) for as long as the process uses the directory.
type Lock struct {
	dir  string
	f    *os.File
	self Holder
}

// Acquire makes dir if need be (DirMode), tightens an existing one to
// DirMode (saying so on logger), and locks it for this process; it
// returns an *InUseError if another process holds it. Call it before
// opening anything else in dir, and Close the lock when done with dir.
func Acquire(dir string, logger *slog.Logger) (*Lock, error) {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return nil, fmt.Errorf("DATA_DIR: cannot make %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	if perm := st.Mode().Perm(); perm != DirMode {
		if err := os.Chmod(dir, DirMode); err != nil {
			return nil, fmt.Errorf("DATA_DIR %s is mode %04o, which others may read, and cannot be made %04o: %w (chmod 700 it, or give another DATA_DIR)",
				dir, perm, DirMode, err)
		}
		logger.Warn("DATA_DIR was readable by others: made it private to this user",
			"dir", dir, "was", fmt.Sprintf("%04o", perm), "now", fmt.Sprintf("%04o", DirMode))
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return nil, fmt.Errorf("DATA_DIR: cannot open its lock file: %w", err)
	}
	held, err := lockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("DATA_DIR: cannot lock %s: %w", path, err)
	}
	if !held {
		f.Close()
		return nil, &InUseError{Dir: dir, Holder: readHolder(path)}
	}
	l := &Lock{dir: dir, f: f, self: Holder{PID: os.Getpid()}}
	if err := f.Chmod(FileMode); err != nil {
		l.Close()
		return nil, fmt.Errorf("DATA_DIR: %w", err)
	}
	if err := l.record(); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Serving records where this process serves, for the message a second
// process gives; call it once the listener exists. On a nil Lock (no data
// directory held) it does nothing.
func (l *Lock) Serving(url string) error {
	if l == nil {
		return nil
	}
	l.self.URL = url
	return l.record()
}

// Dir is the directory held.
func (l *Lock) Dir() string { return l.dir }

// Close releases the directory. Ending the process releases it too. On a
// nil Lock it does nothing.
func (l *Lock) Close() error {
	if l == nil {
		return nil
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("DATA_DIR: releasing %s: %w", l.dir, err)
	}
	return nil
}

// record writes l.self over the lock file's content, in place: replacing
// the file by a rename would put a new, unlocked file at the path.
func (l *Lock) record() error {
	data, err := json.Marshal(l.self)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return fmt.Errorf("DATA_DIR: recording this process in %s: %w", l.f.Name(), err)
	}
	if err := l.f.Truncate(int64(len(data))); err != nil {
		return fmt.Errorf("DATA_DIR: recording this process in %s: %w", l.f.Name(), err)
	}
	return nil
}

// readHolder reads who holds the lock file at path. The holder writes it
// right after locking, so an empty or partly written record is read again
// a few times before the holder is reported as unknown.
func readHolder(path string) Holder {
	for range 10 {
		var h Holder
		data, err := os.ReadFile(path)
		if err != nil {
			return Holder{}
		}
		if json.Unmarshal(data, &h) == nil && h.PID != 0 {
			return h
		}
		time.Sleep(20 * time.Millisecond)
	}
	return Holder{}
}
