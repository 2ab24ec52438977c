//go:build !unix

package datadir

import (
	"errors"
	"os"
)

// lockFile refuses: without flock(2) a data directory cannot be held.
func lockFile(*os.File) (bool, error) {
	return false, errors.New("holding a data directory needs flock(2), which this system lacks: run on Linux or macOS")
}

// PrivateUmask does nothing: there is no umask here.
func PrivateUmask() {}
