package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// decodeStrict reads one JSON object into v, which must be a pointer to a
// struct, refusing what the endpoint does not take: a field it has no
// such name for (a typo would otherwise be silently ignored, and a webhook
// never come), a value of the wrong type, or anything after the object.
// The error names the field and, for an unknown one, the field it most
// likely meant.
func decodeStrict(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig interface{ Error() string }
	switch {
	case err == nil:
		if dec.More() {
			return errors.New("the body holds more than one JSON object: send one")
		}
		return nil
	case errors.Is(err, io.EOF):
		return errors.New("the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the body is not valid JSON: it ends in the middle of a value")
	case errors.As(err, &syntax):
		return fmt.Errorf("the body is not valid JSON (at byte %d): %v", syntax.Offset, err)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Errorf("%s: a JSON %s is not a %s", typ.Field, typ.Value, kind(typ.Type))
		}
		return fmt.Errorf("the body is a JSON %s: send a JSON object", typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if near := nearest(name, fieldNames(v)); near != "" {
			return fmt.Errorf("unknown field %s: did you mean %s?", name, near)
		}
		return fmt.Errorf("unknown field %s: this endpoint takes %s", name, strings.Join(fieldNames(v), ", "))
	case errors.As(err, &tooBig) && strings.Contains(err.Error(), "request body too large"):
		return errors.New("the body is larger than 64 KiB")
	}
	return fmt.Errorf("the body is not the JSON this endpoint takes: %v", err)
}

// kind says a Go type the way a JSON sender thinks of it.
func kind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole number"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "list of " + kind(t.Elem()) + "s"
	}
	return "JSON object"
}

// fieldNames lists the JSON names of the fields of the struct v points to.
func fieldNames(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// nearest returns the name among known that name most likely meant: the
// same letters in another case or with _ or - between words, or within two
// edits; "" when none is that close.
func nearest(name string, known []string) string {
	fold := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	best, bestDist := "", 3
	for _, k := range known {
		if fold(k) == fold(name) {
			return k
		}
		if d := distance(fold(k), fold(name)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
