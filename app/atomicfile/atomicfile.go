// Package atomicfile replaces a file's content so that a crash, a power cut
// or a reader at the wrong moment sees either the old content or the new,
// never a torn or empty file, and so that the new content is on disk once
// Write returns.
//
// The service keeps small state files in DATA_DIR (its token and session
// secret, the local SNS's keys and outbox, the local engine's journal);
// each of them is written through this one package. It sits outside
// app/internal so that the Pulumi program in infra/, another module, can
// write its files the same way.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces the file at path with data, made with mode perm: it
// writes a temporary file in the same directory, syncs it, renames it over
// path and syncs the directory, so that both the content and the rename
// survive a crash. On an error, path is as it was and no temporary file is
// left behind.
func Write(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir makes the creations, renames and removals made in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
