package local

import (
	"io"
	"os"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
)

// spoolBackend is the s3afero backend with one change: an object's bytes are
// received whole into a file of their own before the backend stores them.
// s3afero writes straight into the object's file while holding its lock, so
// without the spool a browser upload that fails half way leaves a truncated
// object that Head reports as there, and a slow one stalls every request.
type spoolBackend struct {
	*s3afero.MultiBucketBackend
	dir string
}

func (b *spoolBackend) PutObject(bucket, key string, meta map[string]string, input io.Reader, size int64, conditions *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	f, err := os.CreateTemp(b.dir, "put-")
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, input)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	if n != size {
		return gofakes3.PutObjectResult{}, gofakes3.ErrIncompleteBody
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	return b.MultiBucketBackend.PutObject(bucket, key, meta, f, size, conditions)
}
