package jobdoc_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"transcoder/app/jobs"
	"transcoder/app/jobs/jobdoc"
	"transcoder/app/jobs/jobdoc/jobdoctest"
)

// update rewrites the golden documents from what Encode writes now: run
// `go test ./jobs/jobdoc -update` after a deliberate change to the format,
// and review the diff. The documents written before (testdata/before-*) are
// never rewritten.
var update = flag.Bool("update", false, "rewrite testdata/golden-*.json from Encode")

// cases are the jobs whose documents are kept in testdata.
var cases = []struct {
	name string
	job  func() *jobs.Job
}{
	{"every-field", jobdoctest.EveryField},
	{"from-events", jobdoctest.FromEvents},
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEncodeWritesTheGoldenDocumentByteForByte(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jobdoc.Encode(tc.job())
			if err != nil {
				t.Fatal(err)
			}
			// The file holds exactly what a store writes: no final newline.
			golden := "golden-" + tc.name + ".json"
			if *update {
				if err := os.WriteFile(filepath.Join("testdata", golden), got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := read(t, golden); !bytes.Equal(got, want) {
				t.Errorf("Encode wrote\n%s\nwant testdata/%s\n%s", got, golden, want)
			}
		})
	}
}

func TestTheGoldenDocumentReadsBackToTheSameJob(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jobdoc.Decode(read(t, "golden-"+tc.name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.job(); !reflect.DeepEqual(got, want) {
				t.Errorf("Decode read\n%#v\nwant\n%#v", got, want)
			}
		})
	}
}

// The documents testdata/before-*.json were written by json.Marshal of a
// *jobs.Job, which is what both stores wrote before this package: every job
// stored until then is in that form.
func TestADocumentWrittenBeforeThisPackageReadsBackWhole(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := read(t, "before-"+tc.name+".json")
			got, err := jobdoc.Decode(before)
			if err != nil {
				t.Fatal(err)
			}
			if want := tc.job(); !reflect.DeepEqual(got, want) {
				t.Errorf("Decode read\n%#v\nwant\n%#v", got, want)
			}
			// Written again, it keeps every field under the name it had.
			again, err := jobdoc.Encode(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, before) {
				t.Errorf("the job read from an old document is written back as\n%s\nwant\n%s", again, before)
			}
		})
	}
}

// jobdoctest.EveryField is what makes the round trips above cover the whole job: a
// field added to jobs.Job (or to a type it holds) and not set there fails
// this test, and once set, fails the round trips until the document keeps it.
func TestTheFixtureSetsEveryFieldOfAJob(t *testing.T) {
	set := map[string]bool{}
	setFields("Job", reflect.ValueOf(jobdoctest.EveryField()), set)
	for _, path := range fields("Job", reflect.TypeFor[jobs.Job]()) {
		if !set[path] {
			t.Errorf("jobdoctest.EveryField leaves %s zero: set it, so that the round trips check that it is stored", path)
		}
	}
}

// fields lists the paths of the fields of a value of type typ, down to
// those that hold no struct of the job's (a time is one value).
func fields(path string, typ reflect.Type) []string {
	switch typ.Kind() {
	case reflect.Pointer, reflect.Slice:
		return fields(path, typ.Elem())
	case reflect.Struct:
		if typ.PkgPath() != "time" {
			var out []string
			for i := range typ.NumField() {
				out = append(out, fields(path+"."+typ.Field(i).Name, typ.Field(i).Type)...)
			}
			return out
		}
	}
	return []string{path}
}

// setFields marks in set the paths of v's fields that hold something: in
// a slice, a field counts as set when any element sets it.
func setFields(path string, v reflect.Value, set map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			setFields(path, v.Elem(), set)
		}
		return
	case reflect.Slice:
		for i := range v.Len() {
			setFields(path, v.Index(i), set)
		}
		return
	case reflect.Struct:
		if v.Type().PkgPath() != "time" {
			for i := range v.NumField() {
				setFields(path+"."+v.Type().Field(i).Name, v.Field(i), set)
			}
			return
		}
	}
	if !v.IsZero() {
		set[path] = true
	}
}

func TestACorruptDocumentIsAnError(t *testing.T) {
	if _, err := jobdoc.Decode([]byte(`{not json`)); err == nil {
		t.Error("Decode of a document that is not JSON returned no error")
	}
}
