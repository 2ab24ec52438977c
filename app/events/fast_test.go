package events

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"transcoder/app/mediaconvert"
)

// agrees fails t unless the fast reader, on message, either declines or reads
// exactly what encoding/json reads, with no error and no Elastic Transcoder
// field set; it reports whether the fast reader read it.
func agrees(t *testing.T, message string) bool {
	t.Helper()
	var fast mediaconvert.Event
	if !readMediaConvert(message, &fast) {
		return false
	}
	var ref either
	if err := json.Unmarshal([]byte(message), &ref); err != nil {
		t.Fatalf("the fast reader read a message encoding/json refuses (%v):\n%s", err, message)
	}
	if !reflect.DeepEqual(fast, ref.Event) {
		t.Fatalf("the fast reader read\n%+v\nwhere encoding/json reads\n%+v\nfrom\n%s", fast, ref.Event, message)
	}
	if !reflect.ValueOf(ref.Notification).IsZero() {
		t.Fatalf("the fast reader read a message with Elastic Transcoder fields %+v:\n%s", ref.Notification, message)
	}
	return true
}

// sameDecode fails t unless Decode and the encoding/json reference give the
// same update and the same error.
func sameDecode(t *testing.T, message string) {
	t.Helper()
	u, err := both.Decode(message, snsTime)
	ru, rerr := both.decodeJSON(message, snsTime)
	if !reflect.DeepEqual(u, ru) || !reflect.DeepEqual(err, rerr) {
		t.Fatalf("Decode = %+v, %v; encoding/json = %+v, %v\nfor %s", u, err, ru, rerr, message)
	}
}

func compact(t testing.TB, message string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(message)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestTheFastReaderReadsTheCommonMediaConvertEventsAsEncodingJSONDoes(t *testing.T) {
	for _, name := range []string{"submitted.json", "progressing.json", "progressing_without_correlation.json",
		"status_update.json", "status_update_later.json", "complete.json", "canceled.json", "queue_hop.json"} {
		for _, form := range []string{"indented", "compact"} {
			t.Run(name+", "+form, func(t *testing.T) {
				message := fixture(t, mediaConvertData, name)
				if form == "compact" {
					message = compact(t, message)
				}
				if !agrees(t, message) {
					t.Fatal("the fast reader declined a common event: every delivery of this shape pays for encoding/json")
				}
				sameDecode(t, message)
			})
		}
	}
}

func TestEveryFixtureDecodesAsWithEncodingJSON(t *testing.T) {
	for _, dir := range []string{mediaConvertData, elasticTranscoderData} {
		for _, name := range fixtures(t, dir) {
			t.Run(name, func(t *testing.T) {
				message := fixture(t, dir, name)
				agrees(t, message)
				sameDecode(t, message)
				sameDecode(t, compact(t, message))
			})
		}
	}
}

func TestTheFastReaderDeclinesWhatOnlyEncodingJSONReadsRight(t *testing.T) {
	status := compact(t, fixture(t, mediaConvertData, "status_update.json"))
	edit := func(old, new string) string {
		if !strings.Contains(status, old) {
			t.Fatalf("the status_update fixture has no %q", old)
		}
		return strings.Replace(status, old, new, 1)
	}
	tests := []struct{ name, message string }{
		{"a key that matches a field only by case", edit(`"jobId"`, `"JobId"`)},
		{"a key that appears twice", edit(`"status":`, `"status":"PROGRESSING","status":`)},
		{"a string with an escape", edit(`"STATUS_UPDATE"`, `"STATUS\u005fUPDATE"`)},
		{"a string with a non-ASCII byte", edit(`"queue":"`, `"queue":"é`)},
		{"a fraction where an integer belongs", edit(`"jobPercentComplete":`, `"jobPercentComplete":1.5,"x":`)},
		{"an exponent where an integer belongs", edit(`"timestamp":`, `"timestamp":1e3,"x":`)},
		{"an integer too large for 64 bits", edit(`"timestamp":`, `"timestamp":99999999999999999999,"x":`)},
		{"a leading zero", edit(`"timestamp":`, `"timestamp":01,"x":`)},
		{"null where a string belongs", edit(`"status":`, `"status":null,"x":`)},
		{"a number where a string belongs", edit(`"jobId":`, `"jobId":7,"x":`)},
		{"an Elastic Transcoder field", edit(`{"version"`, `{"state":"COMPLETED","version"`)},
		{"an Elastic Transcoder field of the wrong type", edit(`{"version"`, `{"pipelineId":5,"version"`)},
		{"a field the fast reader does not read", edit(`"status":`, `"errorMessage":"boom","status":`)},
		{"text after the object", status + ` {}`},
		{"a truncated message", status[:len(status)-1]},
		{"an unknown field holding invalid JSON", edit(`"status":`, `"extra":[1,],"status":`)},
		{"a quoted warning code", edit(`"status":`, `"warnings":[{"code":"1","count":1}],"status":`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if agrees(t, tt.message) {
				t.Fatalf("the fast reader read it:\n%s", tt.message)
			}
			sameDecode(t, tt.message)
		})
	}
}

func TestTheFastReaderSkipsUnknownFieldsOfEveryJSONKind(t *testing.T) {
	status := compact(t, fixture(t, mediaConvertData, "status_update.json"))
	extra := `"extra":{"a":[true,false,null,-0,1.5e+3,0.25,"x\"\\\/\b\f\n\r\t\u00e9",{}],"b":[],"é":"ü"},`
	message := strings.Replace(status, `"detail":{`, `"detail":{`+extra, 1)
	message = strings.Replace(message, `{"version"`, `{`+extra+`"version"`, 1)
	if !agrees(t, message) {
		t.Fatalf("the fast reader declined valid unknown fields:\n%s", message)
	}
	sameDecode(t, message)
}

// FuzzFastReader checks, on any message, that the fast reader declines or
// reads exactly what encoding/json reads, and that Decode answers as the
// encoding/json reference does.
func FuzzFastReader(f *testing.F) {
	for _, dir := range []string{mediaConvertData, elasticTranscoderData} {
		for _, name := range fixtures(f, dir) {
			message := fixture(f, dir, name)
			f.Add(message)
			f.Add(compact(f, message))
		}
	}
	f.Fuzz(func(t *testing.T, message string) {
		agrees(t, message)
		sameDecode(t, message)
	})
}
