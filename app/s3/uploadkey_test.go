package s3_test

import (
	"errors"
	"strings"
	"testing"

	"transcoder/app/s3"
)

func TestUploadKey(t *testing.T) {
	tests := []struct {
		name                      string
		owner, uploadID, filename string
		want                      string
	}{
		{"a plain file name lands in the upload's folder", "u1", "up-1", "clip.mov", "uploads/u1/up-1/clip.mov"},
		{"owner and upload id may hold letters, digits, '_' and '-'", "User_9", "0190b2c4-7e5f-7d5e-9f2a-3c1d5e6f7a8b", "a.mp4", "uploads/User_9/0190b2c4-7e5f-7d5e-9f2a-3c1d5e6f7a8b/a.mp4"},
		{"a file name keeps its spaces, brackets and accents", "u1", "up-1", "Clip (final) é.mov", "uploads/u1/up-1/Clip (final) é.mov"},
		{"two periods inside a file name cannot escape and are kept", "u1", "up-1", "take..2.mov", "uploads/u1/up-1/take..2.mov"},
		{"a hidden file name is kept", "u1", "up-1", ".clip", "uploads/u1/up-1/.clip"},
		{"a file name of 255 bytes is accepted", "u1", "up-1", strings.Repeat("é", 127) + "a", "uploads/u1/up-1/" + strings.Repeat("é", 127) + "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s3.UploadKey(tt.owner, tt.uploadID, tt.filename)
			if err != nil || got != tt.want {
				t.Fatalf("UploadKey(%q, %q, %q) = %q, %v; want %q", tt.owner, tt.uploadID, tt.filename, got, err, tt.want)
			}
			if _, _, err := s3.ParseURI(s3.URI("media-in", got)); err != nil {
				t.Fatalf("the key does not make a valid URI: %v", err)
			}
		})
	}
}

func TestUploadKeyRefuses(t *testing.T) {
	tests := []struct {
		name                      string
		owner, uploadID, filename string
		part, reason              string
	}{
		{"an empty owner is refused", "", "up-1", "a.mov", "owner", "is empty"},
		{"an owner with a slash is refused", "u1/../u2", "up-1", "a.mov", "owner", "may hold only ASCII letters, digits, '_' and '-'"},
		{"an owner with a period is refused", "u.1", "up-1", "a.mov", "owner", "may hold only ASCII letters, digits, '_' and '-'"},
		{"an owner with a non-ASCII letter is refused", "é", "up-1", "a.mov", "owner", "may hold only ASCII letters, digits, '_' and '-'"},
		{"an owner over 128 bytes is refused", strings.Repeat("u", 129), "up-1", "a.mov", "owner", "is longer than 128 bytes"},
		{"an empty upload id is refused", "u1", "", "a.mov", "upload id", "is empty"},
		{"an upload id with a space is refused", "u1", "up 1", "a.mov", "upload id", "may hold only ASCII letters, digits, '_' and '-'"},
		{"an upload id that is a parent segment is refused", "u1", "..", "a.mov", "upload id", "may hold only ASCII letters, digits, '_' and '-'"},
		{"an empty file name is refused", "u1", "up-1", "", "file name", "is empty"},
		{"a file name that is a parent segment is refused", "u1", "up-1", "..", "file name", "is a relative path element"},
		{"a file name that is a current-folder segment is refused", "u1", "up-1", ".", "file name", "is a relative path element"},
		{"a file name with a slash is refused", "u1", "up-1", "../../u2/a.mov", "file name", "holds a '/'"},
		{"a file name ending with a slash is refused", "u1", "up-1", "a/", "file name", "holds a '/'"},
		{"a Windows path is refused", "u1", "up-1", `..\..\a.mov`, "file name", `holds a '\'`},
		{"a file name with a NUL is refused", "u1", "up-1", "a.mov\x00.jpg", "file name", "holds a NUL byte"},
		{"a file name with a newline is refused", "u1", "up-1", "a\nb.mov", "file name", "holds a control character"},
		{"a file name with a DEL is refused", "u1", "up-1", "a\x7f.mov", "file name", "holds a control character"},
		{"a file name with a C1 control character is refused", "u1", "up-1", "a\u0085.mov", "file name", "holds a control character"},
		{"a file name that is not UTF-8 is refused", "u1", "up-1", "a\xff.mov", "file name", "is not valid UTF-8"},
		{"a file name over 255 bytes is refused", "u1", "up-1", strings.Repeat("é", 128), "file name", "is longer than 255 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s3.UploadKey(tt.owner, tt.uploadID, tt.filename)
			var nerr *s3.NameError
			if !errors.As(err, &nerr) {
				t.Fatalf("UploadKey(%q, %q, %q) = %q, %v; want a *NameError", tt.owner, tt.uploadID, tt.filename, got, err)
			}
			if nerr.Part != tt.part || nerr.Reason != tt.reason {
				t.Fatalf("refused the %s for %q, want the %s for %q", nerr.Part, nerr.Reason, tt.part, tt.reason)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.part) || !strings.Contains(msg, tt.reason) {
				t.Fatalf("error %q does not say what is wrong", msg)
			}
		})
	}
}
