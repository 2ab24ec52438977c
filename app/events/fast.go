package events

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"transcoder/app/mediaconvert"
)

// readMediaConvert is the hot path of Decode: one pass over message that
// checks it is valid JSON and reads only the fields of a MediaConvert event
// that the job model needs, into e, with no reflection.
//
// It is exact or it declines. It returns true only when encoding/json would
// have read the same e from message with no error and an empty Elastic
// Transcoder notification: message is valid JSON; every value it reads has
// exactly the type Event declares (an int is written as an integer that
// fits); no key at a level it reads appears twice or matches a field of
// either only by case; no string it reads has an escape or a non-ASCII byte.
// Anything else (a field it does not read, an ERROR or NEW_WARNING event, a
// key that names an Elastic Transcoder field, null) makes it return false,
// and Decode reads the message with encoding/json, which gives the same
// update or the precise error.
func readMediaConvert(message string, e *mediaconvert.Event) bool {
	r := reader{s: message}
	ok := r.object(func(key string) bool {
		switch key {
		case "source":
			return r.once(0) && r.str(&e.Source)
		case "detail-type":
			return r.once(1) && r.str(&e.DetailType)
		case "time":
			return r.once(2) && r.str(&e.Time)
		case "detail":
			return r.once(3) && r.detail(&e.Detail)
		}
		return !fieldNames().top.folds(key) && r.skip(0)
	})
	if !ok {
		return false
	}
	r.space()
	return r.i == len(r.s)
}

// reader is a position in a JSON text.
type reader struct {
	s    string
	i    int
	seen uint64 // known keys read in the object being read (see once)
}

// once reports whether the key numbered bit has not been read before in the
// object being read, and marks it read.
func (r *reader) once(bit uint) bool {
	if r.seen&(1<<bit) != 0 {
		return false
	}
	r.seen |= 1 << bit
	return true
}

func (r *reader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (r *reader) peek() byte {
	r.space()
	if r.i < len(r.s) {
		return r.s[r.i]
	}
	return 0
}

// object reads a JSON object, calling field for each key with the reader at
// its value; field must read the value. Each object tracks its own keys.
// Keys must be plain (see plain): one with an escape might name a field.
func (r *reader) object(field func(key string) bool) bool {
	return r.members(false, field)
}

// members reads an object; with anyKey, a key may be any JSON string, and
// field is given "" for one that is not plain.
func (r *reader) members(anyKey bool, field func(key string) bool) bool {
	if r.peek() != '{' {
		return false
	}
	r.i++
	outer := r.seen
	r.seen = 0
	defer func() { r.seen = outer }()
	if r.peek() == '}' {
		r.i++
		return true
	}
	for {
		var key string
		if r.peek() != '"' {
			return false
		}
		if !r.plain(&key) && (!anyKey || !r.skipString()) {
			return false
		}
		if r.peek() != ':' {
			return false
		}
		r.i++
		if !field(key) {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			return false
		}
	}
}

// array reads a JSON array, calling item for each element with the reader
// at it; item must read the element.
func (r *reader) array(item func() bool) bool {
	if r.peek() != '[' {
		return false
	}
	r.i++
	if r.peek() == ']' {
		r.i++
		return true
	}
	for {
		if !item() {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true
		default:
			return false
		}
	}
}

// plain reads a string of printable ASCII with no escape into v.
func (r *reader) plain(v *string) bool {
	if r.peek() != '"' {
		return false
	}
	start := r.i + 1
	for j := start; j < len(r.s); j++ {
		switch c := r.s[j]; {
		case c == '"':
			*v = r.s[start:j]
			r.i = j + 1
			return true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return false
		}
	}
	return false
}

// str reads a string value into v.
func (r *reader) str(v *string) bool { return r.plain(v) }

// integer reads a JSON integer that fits in 64 bits (the width of Go's int
// here, as of int64) into v.
func (r *reader) integer(v *int64) bool {
	r.space()
	start := r.i
	j := start
	if j < len(r.s) && r.s[j] == '-' {
		j++
	}
	digits := j
	for j < len(r.s) && '0' <= r.s[j] && r.s[j] <= '9' {
		j++
	}
	// A leading zero is valid JSON only alone; a fraction or exponent makes
	// it no integer for encoding/json.
	if j == digits || (r.s[digits] == '0' && j-digits > 1) {
		return false
	}
	if j < len(r.s) {
		switch r.s[j] {
		case '.', 'e', 'E':
			return false
		}
	}
	n, err := strconv.ParseInt(r.s[start:j], 10, 64)
	if err != nil {
		return false
	}
	*v, r.i = n, j
	return true
}

// detail reads an event's detail: the job and its state (jobField), and what
// the event reports of its work (reportField).
func (r *reader) detail(d *mediaconvert.Detail) bool {
	names := fieldNames()
	return r.object(func(key string) bool {
		if ok, known := r.jobField(key, d); known {
			return ok
		}
		if ok, known := r.reportField(key, d); known {
			return ok
		}
		return !names.detail.folds(key) && r.skip(0)
	})
}

// jobField reads the detail's member key if it names the job or its state
// (known), and reports whether it read well. It numbers its keys for once
// from 0 to 4; reportField goes on from 5.
func (r *reader) jobField(key string, d *mediaconvert.Detail) (ok, known bool) {
	switch key {
	case "timestamp":
		return r.once(0) && r.integer(&d.Timestamp), true
	case "jobId":
		return r.once(1) && r.str(&d.JobID), true
	case "status":
		return r.once(2) && r.str(&d.Status), true
	case "queue":
		return r.once(3) && r.str(&d.Queue), true
	case "userMetadata":
		return r.once(4) && r.metadata(&d.UserMetadata), true
	}
	return false, false
}

// reportField reads the detail's member key if it is one of the event's
// reports (known): progress, outputs, warnings. It reports whether it read
// well.
func (r *reader) reportField(key string, d *mediaconvert.Detail) (ok, known bool) {
	switch key {
	case "jobProgress":
		return r.once(5) && r.progress(&d.JobProgress), true
	case "outputGroupDetails":
		return r.once(6) && r.groups(&d.OutputGroupDetails), true
	case "warnings":
		return r.once(7) && r.warnings(&d.Warnings), true
	}
	return false, false
}

// progress reads a STATUS_UPDATE event's jobProgress.
func (r *reader) progress(p *mediaconvert.JobProgress) bool {
	names := fieldNames()
	return r.object(func(key string) bool {
		switch key {
		case "jobPercentComplete":
			var n int64
			ok := r.once(0) && r.integer(&n)
			p.JobPercentComplete = int(n)
			return ok
		}
		return !names.progress.folds(key) && r.skip(0)
	})
}

// metadata reads userMetadata, a map of strings; like encoding/json it adds
// to a map that is there already and a later key replaces an earlier one.
func (r *reader) metadata(m *map[string]string) bool {
	if *m == nil {
		*m = map[string]string{}
	}
	return r.object(func(key string) bool {
		var v string
		if !r.str(&v) {
			return false
		}
		(*m)[key] = v
		return true
	})
}

// groups reads a COMPLETE event's output groups.
func (r *reader) groups(gs *[]mediaconvert.OutputGroupDetail) bool {
	names := fieldNames()
	*gs = []mediaconvert.OutputGroupDetail{}
	return r.array(func() bool {
		var g mediaconvert.OutputGroupDetail
		ok := r.object(func(key string) bool {
			switch key {
			case "playlistFilePaths":
				return r.once(0) && r.strings(&g.PlaylistFilePaths)
			case "outputDetails":
				g.OutputDetails = []mediaconvert.OutputDetail{}
				return r.once(1) && r.array(func() bool {
					var o mediaconvert.OutputDetail
					ok := r.object(func(key string) bool {
						switch key {
						case "outputFilePaths":
							return r.once(0) && r.strings(&o.OutputFilePaths)
						case "durationInMs":
							return r.once(1) && r.integer(&o.DurationInMs)
						}
						return !names.output.folds(key) && r.skip(0)
					})
					g.OutputDetails = append(g.OutputDetails, o)
					return ok
				})
			}
			return !names.group.folds(key) && r.skip(0)
		})
		*gs = append(*gs, g)
		return ok
	})
}

// warnings reads a COMPLETE event's summary of warning codes and counts.
func (r *reader) warnings(ws *[]mediaconvert.WarningCount) bool {
	names := fieldNames()
	*ws = []mediaconvert.WarningCount{}
	return r.array(func() bool {
		var w mediaconvert.WarningCount
		ok := r.object(func(key string) bool {
			switch key {
			case "code":
				// A json.Number keeps the literal; a quoted one goes to
				// encoding/json, which checks the string is a number.
				r.space()
				start := r.i
				if !r.once(0) || r.peek() == '"' || !r.skipNumber() {
					return false
				}
				w.Code = json.Number(r.s[start:r.i])
				return true
			case "count":
				var n int64
				ok := r.once(1) && r.integer(&n)
				w.Count = int(n)
				return ok
			}
			return !names.warning.folds(key) && r.skip(0)
		})
		*ws = append(*ws, w)
		return ok
	})
}

func (r *reader) strings(v *[]string) bool {
	*v = []string{}
	return r.array(func() bool {
		var s string
		if !r.str(&s) {
			return false
		}
		*v = append(*v, s)
		return true
	})
}

// maxDepth bounds the nesting skip follows; deeper messages go to
// encoding/json, whose own bound is far higher.
const maxDepth = 64

// skip checks and passes over one JSON value of any kind.
func (r *reader) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := r.peek(); {
	case c == '{':
		return r.members(true, func(string) bool { return r.skip(depth + 1) })
	case c == '[':
		return r.array(func() bool { return r.skip(depth + 1) })
	case c == '"':
		return r.skipString()
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return r.skipNumber()
	}
	return false
}

func (r *reader) literal(word string) bool {
	if !strings.HasPrefix(r.s[r.i:], word) {
		return false
	}
	r.i += len(word)
	return true
}

// skipString passes over a string, escapes and any byte from 0x20 up
// included, as encoding/json accepts them.
func (r *reader) skipString() bool {
	for j := r.i + 1; j < len(r.s); j++ {
		switch c := r.s[j]; {
		case c == '"':
			r.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(r.s) {
				return false
			}
			switch r.s[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(r.s) {
					return false
				}
				for _, h := range []byte(r.s[j+1 : j+5]) {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

// skipNumber passes over a number of JSON's grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *reader) skipNumber() bool {
	s, j := r.s, r.i
	digits := func() bool {
		start := j
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		return j > start
	}
	if j < len(s) && s[j] == '-' {
		j++
	}
	switch {
	case j < len(s) && s[j] == '0':
		j++
	case !digits():
		return false
	}
	if j < len(s) && s[j] == '.' {
		j++
		if !digits() {
			return false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if !digits() {
			return false
		}
	}
	r.i = j
	return true
}

// names is the JSON field names of one struct level, as encoding/json
// matches them.
type names []string

// folds reports whether key would be matched by encoding/json to a field of
// the level: the fast reader declines those it does not read itself.
func (n names) folds(key string) bool {
	for _, name := range n {
		if strings.EqualFold(key, name) {
			return true
		}
	}
	return false
}

// levels are the struct levels the fast reader reads.
type levels struct{ top, detail, progress, group, output, warning names }

// fieldNames is computed from the types themselves, so that a field added to
// Event or Notification is never skipped unseen.
var fieldNames = sync.OnceValue(func() levels {
	return levels{
		top:      jsonNames(reflect.TypeFor[either]()),
		detail:   jsonNames(reflect.TypeFor[mediaconvert.Detail]()),
		progress: jsonNames(reflect.TypeFor[mediaconvert.JobProgress]()),
		group:    jsonNames(reflect.TypeFor[mediaconvert.OutputGroupDetail]()),
		output:   jsonNames(reflect.TypeFor[mediaconvert.OutputDetail]()),
		warning:  jsonNames(reflect.TypeFor[mediaconvert.WarningCount]()),
	}
})

// jsonNames lists the names encoding/json gives t's fields, those of
// untagged embedded structs included.
func jsonNames(t reflect.Type) names {
	var out names
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case tag == "-":
		case f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, jsonNames(f.Type)...)
		case !f.IsExported():
		case tag != "":
			out = append(out, tag)
		default:
			out = append(out, f.Name)
		}
	}
	return out
}
