package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"transcoder/app/atomicfile"
)

// ProviderKeys are the keys of a stack file that say how its secrets are
// encrypted (the passphrase's salt, or a KMS key's encrypted data key). They
// differ per person and per backend, so they never belong in a tracked file.
var ProviderKeys = []string{"encryptionsalt", "secretsprovider", "encryptedkey"}

// header opens every file Merge writes, for whoever opens it.
const header = "# This stack's own config: its encryption salt, its secrets and the settings\n" +
	"# of the committed Pulumi.<stack>.yaml, which `make stack` copies in. Not\n" +
	"# tracked by git; change shared settings in the committed file.\n"

// Merge copies the settings of the committed template into the stack's own
// config file, creating it if need be, and returns a note for every value it
// changed or moved.
//
// The template wins for every plain key it sets; everything else in the
// stack's file (its encryption settings, its secrets, keys the template does
// not set) stays. A template that holds encryption settings or secure values
// (as an older `make stack` wrote them) has them moved into the stack's file
// when they can be read there, that is when the file has no encryption
// settings yet or the same ones; otherwise Merge refuses rather than mix two
// salts.
func Merge(templatePath, configPath string) (notes []string, err error) {
	if same, err := samePath(templatePath, configPath); err != nil {
		return nil, err
	} else if same {
		return nil, fmt.Errorf("-config %s is the committed template itself: point it at the stack's own file under Pulumi.yaml's stackConfigDir", configPath)
	}
	tmpl, err := readStackFile(templatePath)
	if err != nil {
		return nil, err
	}
	local, err := readStackFile(configPath)
	if errors.Is(err, fs.ErrNotExist) {
		local, err = map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w (delete it and run `make stack` again: it restores the file from the stack's last deployment)", err)
	}
	tcfg, err := configOf(tmpl, templatePath)
	if err != nil {
		return nil, err
	}
	lcfg, err := configOf(local, configPath)
	if err != nil {
		return nil, err
	}

	if moved, err := adoptSecrets(tmpl, tcfg, local, lcfg, templatePath, configPath); err != nil {
		return nil, err
	} else if moved != "" {
		notes = append(notes, moved)
	}

	keys := make([]string, 0, len(tcfg))
	for k := range tcfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := tcfg[k]
		if isSecure(v) {
			continue
		}
		if old, ok := lcfg[k]; ok && !reflect.DeepEqual(old, v) {
			notes = append(notes, fmt.Sprintf("%s: %s sets %s, replacing %s here (change it in %s, not with `pulumi config set`)",
				k, filepath.Base(templatePath), show(v), show(old), filepath.Base(templatePath)))
		}
		lcfg[k] = v
	}
	local["config"] = lcfg
	return notes, writeStackFile(configPath, local)
}

// adoptSecrets moves the template's encryption settings and secure values
// into the stack's file, and says so; it returns "" when the template holds
// none.
func adoptSecrets(tmpl, tcfg, local, lcfg map[string]any, templatePath, configPath string) (string, error) {
	var found []string
	for _, k := range ProviderKeys {
		if _, ok := tmpl[k]; ok {
			found = append(found, k)
		}
	}
	var secure []string
	for k, v := range tcfg {
		if isSecure(v) {
			secure = append(secure, k)
		}
	}
	if len(found) == 0 && len(secure) == 0 {
		return "", nil
	}
	slices.Sort(secure)
	if hasProvider(local) && !reflect.DeepEqual(providerOf(tmpl), providerOf(local)) {
		return "", fmt.Errorf("%s is tracked but holds encryption settings (%s) and secrets (%s) that this stack's own file %s cannot read, as it has other encryption settings: "+
			"copy each value by hand (`pulumi config get KEY --config-file %s` with the old passphrase, then `pulumi config set --secret KEY`), "+
			"then restore the tracked file with `git checkout -- %s`",
			templatePath, list(found), list(secure), configPath, templatePath, templatePath)
	}
	for _, k := range found {
		local[k] = tmpl[k]
	}
	var moved []string
	for _, k := range secure {
		if _, ok := lcfg[k]; !ok {
			lcfg[k] = tcfg[k]
			moved = append(moved, k)
		}
	}
	return fmt.Sprintf("%s is tracked but holds this stack's encryption settings (%s) and secrets (%s), written there by an older `make stack`: "+
		"they are now in %s (moved: %s); restore the tracked file with `git checkout -- %s`",
		templatePath, list(found), list(secure), configPath, strings.Join(append(moved, found...), ", "), templatePath), nil
}

// providerOf returns the doc's encryption settings.
func providerOf(doc map[string]any) map[string]any {
	p := map[string]any{}
	for _, k := range ProviderKeys {
		if v, ok := doc[k]; ok {
			p[k] = v
		}
	}
	return p
}

// list names keys for a message.
func list(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

func hasProvider(doc map[string]any) bool { return len(providerOf(doc)) > 0 }

// isSecure reports whether a config value is an encrypted one, which Pulumi
// writes as a map with the single key "secure".
func isSecure(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	_, ok = m["secure"]
	return ok
}

// show renders a value for a note, never the ciphertext of a secret.
func show(v any) string {
	if isSecure(v) {
		return "a secret"
	}
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func readStackFile(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s is not a Pulumi stack file: %w", path, err)
	}
	if doc == nil {
		doc = map[string]any{}
	}
	return doc, nil
}

// configOf returns the doc's config map, an empty one when it has none.
func configOf(doc map[string]any, path string) (map[string]any, error) {
	switch c := doc["config"].(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return c, nil
	default:
		return nil, fmt.Errorf("%s: config is a %T, want a map of keys to values", path, c)
	}
}

// writeStackFile replaces path at once (a crash leaves the old file or the
// new one, never half of one, and the new one is on disk when it returns),
// readable by its owner only: it holds secrets.
func writeStackFile(path string, doc map[string]any) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2) // as Pulumi writes it
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, append([]byte(header), buf.Bytes()...), 0o600)
}

// samePath reports whether a and b name one file, even through links.
func samePath(a, b string) (bool, error) {
	aa, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	bb, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if aa == bb {
		return true, nil
	}
	ai, aerr := os.Stat(aa)
	bi, berr := os.Stat(bb)
	return aerr == nil && berr == nil && os.SameFile(ai, bi), nil
}
