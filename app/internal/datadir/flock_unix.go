//go:build unix

package datadir

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on f without waiting, and reports
// whether it got it. The lock belongs to f's open file, which Go opens
// close-on-exec, so no child process (ffmpeg) keeps it past this one.
func lockFile(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return false, err
	}
}

// PrivateUmask makes every file and folder this process creates from now
// on readable by its user only (umask 077), whatever mode the code that
// creates it asks for: SQLite, the S3 backend and the engine create files
// of their own under DATA_DIR. It is process-wide, so main calls it, not
// run.
func PrivateUmask() { syscall.Umask(0o077) }
