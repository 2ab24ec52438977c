package transcoding

import (
	"context"
	"mime"
	"strings"

	"transcoder/app/internal/ids"
	"transcoder/app/s3"
)

// UploadRequest asks for a place to put one file.
type UploadRequest struct {
	Filename    string
	ContentType string
	// Size is the file's length in bytes: the upload URL is signed for
	// exactly that many, so storage refuses any other body.
	Size int64
}

// Upload is where the caller puts its file: Key names it in a later
// Submit, and Presigned is the request that stores it.
type Upload struct {
	Key       string
	Presigned *s3.Presigned
}

// Upload presigns a PUT to the input bucket, in the caller's folder, so
// that the file goes straight to storage and never through the service.
func (s *Service) Upload(ctx context.Context, who Caller, req UploadRequest) (Upload, error) {
	mt, _, err := mime.ParseMediaType(req.ContentType)
	if err != nil || !(strings.HasPrefix(mt, "audio/") || strings.HasPrefix(mt, "video/")) || isPlaylist(mt) {
		return Upload{}, invalid("contentType %q is not an audio or video file type (for example audio/wav or video/mp4; playlists are not files)", req.ContentType)
	}
	if req.Size <= 0 {
		return Upload{}, invalid("size: %d is not a file's size: send its length in bytes (the upload link is signed for exactly that many; an empty file has nothing to transcode)", req.Size)
	}
	if err := s.deps.Quotas.CheckUpload(req.Size); err != nil {
		return Upload{}, refusal("size", err)
	}
	key, err := s3.UploadKey(who.Folder(), ids.Prefixed("u"), req.Filename)
	if err != nil {
		return Upload{}, invalid("filename: %v", err)
	}
	p, err := s.deps.Storage.PresignUpload(ctx, key, mt, req.Size, LinkTTL)
	if err != nil {
		return Upload{}, unavailable("presigning an upload", err)
	}
	return Upload{Key: key, Presigned: p}, nil
}

// isPlaylist reports whether a media type is a playlist: a list of other
// files, which an engine would fetch, rather than media.
func isPlaylist(mt string) bool {
	return strings.HasSuffix(mt, "mpegurl") || strings.HasSuffix(mt, "x-scpls") || mt == "audio/x-ms-asx" || mt == "video/x-ms-asf"
}
