package stacktest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Markers stand in for values a test cannot or must not see.
const (
	Secret  = "[secret]"
	Unknown = "[unknown]"
)

// Resource is one resource the program declared, as the engine received it.
type Resource struct {
	// Type is the type token ("aws:sns/topic:Topic").
	Type string
	// Name is the logical name; Parent is the parent's ("" for the stack).
	Name, Parent string
	// Custom is false for component resources.
	Custom bool
	// Protect and DeleteBeforeReplace are the resource options.
	Protect, DeleteBeforeReplace bool
	// DependsOn names every resource this one waits for, explicitly or
	// through its inputs.
	DependsOn []string
	// Inputs are the resource's inputs, secrets still marked.
	Inputs resource.PropertyMap
	// ID is the mock's ID for it.
	ID string
	// State is what the mock answered: the inputs and the outputs AWS
	// would compute (arn, functionUrl, ...).
	State resource.PropertyMap
}

// Get returns the input at a dotted path ("environment.variables.STORE",
// "rules.0.id") as a plain Go value, secrets revealed, or nil; "" is all
// the inputs.
func (r Resource) Get(path string) any { return lookup(r.Inputs, path) }

// Output returns the state value at a dotted path as a string: what the
// mock computed for it, such as "arn" or "functionUrl".
func (r Resource) Output(path string) string {
	s, _ := lookup(r.State, path).(string)
	return s
}

func lookup(m resource.PropertyMap, path string) any {
	var v any = Plain(resource.NewProperty(m), true)
	if path == "" {
		return v
	}
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// String returns the string input at path, or "".
func (r Resource) String(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// JSON decodes the JSON text input at path (a policy, an event pattern) into
// out.
func (r Resource) JSON(path string, out any) error {
	s := r.String(path)
	if s == "" {
		return fmt.Errorf("%s %s: no JSON at %s", r.Type, r.Name, path)
	}
	return json.Unmarshal([]byte(s), out)
}

// IsSecret reports whether the input at a dotted path is a secret, or lies
// within one.
func (r Resource) IsSecret(path string) bool {
	parts := strings.Split(path, ".")
	v, ok := r.Inputs[resource.PropertyKey(parts[0])]
	for _, part := range parts[1:] {
		if !ok {
			return false
		}
		var secret bool
		if v, secret = unwrap(v); secret {
			return true
		}
		if !v.IsObject() {
			return false
		}
		v, ok = v.ObjectValue()[resource.PropertyKey(part)]
	}
	return ok && v.ContainsSecrets()
}

// unwrap removes secret and known-output wrappers, and says whether one
// of them was secret.
func unwrap(v resource.PropertyValue) (resource.PropertyValue, bool) {
	secret := false
	for {
		switch {
		case v.IsSecret():
			secret = true
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			secret = secret || v.OutputValue().Secret
			v = v.OutputValue().Element
		default:
			return v, secret
		}
	}
}

// Plain converts a property value to plain Go values (nil, bool, float64,
// string, []any, map[string]any). Secrets are revealed or replaced by
// Secret; unknowns become Unknown; archives and assets become
// {"archive": path} and {"asset": path}.
func Plain(v resource.PropertyValue, reveal bool) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray(), v.IsObject():
		return plainContainer(v, reveal)
	case v.IsSecret(), v.IsComputed(), v.IsOutput():
		return plainWrapped(v, reveal)
	case v.IsArchive(), v.IsAsset():
		return plainFile(v)
	case v.IsResourceReference():
		return map[string]any{"resource": string(v.ResourceReferenceValue().URN)}
	}
	return fmt.Sprintf("%v", v.V)
}

// plainContainer converts an array or an object, element by element.
func plainContainer(v resource.PropertyValue, reveal bool) any {
	if v.IsArray() {
		arr := v.ArrayValue()
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = Plain(e, reveal)
		}
		return out
	}
	obj := v.ObjectValue()
	out := make(map[string]any, len(obj))
	for k, e := range obj {
		out[string(k)] = Plain(e, reveal)
	}
	return out
}

// plainWrapped converts a secret, a computed value or an output: what it
// wraps when it is known and may be revealed, a marker otherwise.
func plainWrapped(v resource.PropertyValue, reveal bool) any {
	switch {
	case v.IsSecret():
		if !reveal {
			return Secret
		}
		return Plain(v.SecretValue().Element, reveal)
	case v.IsComputed():
		return Unknown
	}
	o := v.OutputValue()
	if !o.Known {
		return Unknown
	}
	if o.Secret && !reveal {
		return Secret
	}
	return Plain(o.Element, reveal)
}

// plainFile names the file, address or text an archive or asset holds.
func plainFile(v resource.PropertyValue) any {
	if v.IsAsset() {
		if a := v.AssetValue(); a.Path != "" {
			return map[string]any{"asset": a.Path}
		}
		return map[string]any{"asset": "(text)"}
	}
	switch a := v.ArchiveValue(); {
	case a.Path != "":
		return map[string]any{"archive": a.Path}
	case a.URI != "":
		return map[string]any{"archive": a.URI}
	default:
		return map[string]any{"archive": "(assets)"}
	}
}

// Result is everything a run declared.
type Result struct {
	// Resources are sorted by parent, type and name.
	Resources []Resource
}

// Of returns the resources of one type token.
func (r *Result) Of(typ string) []Resource {
	var out []Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Named returns the resource with a logical name, and whether there is one.
func (r *Result) Named(name string) (Resource, bool) {
	for _, res := range r.Resources {
		if res.Name == name {
			return res, true
		}
	}
	return Resource{}, false
}

// Where returns the resources of a type whose input at path equals value.
func (r *Result) Where(typ, path string, value any) []Resource {
	var out []Resource
	for _, res := range r.Of(typ) {
		if fmt.Sprint(res.Get(path)) == fmt.Sprint(value) {
			out = append(out, res)
		}
	}
	return out
}

func sortResources(rs []Resource) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Parent != b.Parent {
			return a.Parent < b.Parent
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
}
