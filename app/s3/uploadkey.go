package s3

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// UploadPrefix is the folder of the input bucket under which users' uploads
// land, one folder per owner and upload.
const UploadPrefix = "uploads/"

const (
	maxTokenBytes    = 128 // owner and upload id
	maxFilenameBytes = 255 // what common file systems allow for one name
)

// NameError reports an owner, upload id or file name that UploadKey refuses.
// Its message names the part and the rule, so that the uploads API can hand
// it to the user as it is.
type NameError struct {
	Part   string // "owner", "upload id" or "file name"
	Value  string // the value as given
	Reason string // the rule it breaks
}

func (e *NameError) Error() string {
	return "s3: invalid " + e.Part + " " + quote(e.Value) + ": " + e.Reason
}

// UploadKey returns the input-bucket key for a user's upload:
// uploads/<owner>/<uploadID>/<filename>. The key is what the presigned PUT
// names, so whatever the browser sends as a file name must not be able to
// leave the upload's own folder or be rewritten on the way: owner and
// uploadID must be tokens of ASCII letters, digits, '_' and '-' (at most 128
// bytes), and filename must be one path segment of at most 255 bytes of UTF-8
// with no '/', '\', NUL or other control character, and not "." or "..".
// The file name is kept as given, spaces and all, and never rewritten: a name
// that breaks a rule is refused with a *NameError that says which.
func UploadKey(owner, uploadID, filename string) (string, error) {
	if reason := checkToken(owner); reason != "" {
		return "", &NameError{Part: "owner", Value: owner, Reason: reason}
	}
	if reason := checkToken(uploadID); reason != "" {
		return "", &NameError{Part: "upload id", Value: uploadID, Reason: reason}
	}
	if reason := checkFilename(filename); reason != "" {
		return "", &NameError{Part: "file name", Value: filename, Reason: reason}
	}
	key := UploadPrefix + owner + "/" + uploadID + "/" + filename
	if reason := checkKey(key); reason != "" { // cannot happen given the rules above
		return "", &NameError{Part: "file name", Value: filename, Reason: "makes a key that " + reason}
	}
	return key, nil
}

// checkToken returns why s is not a simple token, or "" if it is one.
func checkToken(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > maxTokenBytes:
		return "is longer than 128 bytes"
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "may hold only ASCII letters, digits, '_' and '-'"
		}
	}
	return ""
}

// checkFilename returns why name cannot be the last segment of an upload
// key, or "" if it can.
func checkFilename(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > maxFilenameBytes:
		return "is longer than 255 bytes"
	case name == "." || name == "..":
		return "is a relative path element"
	case strings.ContainsRune(name, '/'):
		return "holds a '/'"
	case strings.ContainsRune(name, '\\'):
		return "holds a '\\'"
	case strings.ContainsRune(name, 0):
		return "holds a NUL byte"
	case !utf8.ValidString(name):
		return "is not valid UTF-8"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "holds a control character"
	}
	return ""
}
