package stacktest

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"gopkg.in/yaml.v3"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Options describe the stack a program runs as.
type Options struct {
	// Project and Stack name the run ("transcoder", "dev").
	Project, Stack string
	// Config holds fully qualified keys ("transcoder:engine") and their raw
	// values, as `pulumi config` passes them (lists as JSON text).
	Config map[string]string
	// Secrets lists the Config keys stored encrypted.
	Secrets []string
	// Update runs as `pulumi up`; by default the run is a preview, where
	// an output the mocks do not provide stays unknown.
	Update bool
}

// Run runs program as Pulumi would, with the mocks as engine and provider,
// and returns every resource it declared. The configuration goes in through
// the run's own RunInfo rather than the process environment, so runs are
// independent of each other and may go in parallel.
func Run(program pulumi.RunFunc, opts Options) (*Result, error) {
	mocks := &Mocks{Region: opts.Config["aws:region"]}
	if mocks.Region == "" {
		mocks.Region = "us-east-1"
	}
	withConfig := func(info *pulumi.RunInfo) {
		info.Config = opts.Config
		info.ConfigSecretKeys = opts.Secrets
		info.DryRun = !opts.Update
	}
	err := pulumi.RunErr(program, pulumi.WithMocks(opts.Project, opts.Stack, mocks), withConfig)

	mocks.mu.Lock()
	defer mocks.mu.Unlock()
	res := &Result{Resources: append([]Resource(nil), mocks.resources...)}
	sortResources(res.Resources)
	return res, err
}

// Exports wraps a program that returns its stack outputs so that Run can be
// given it; the resolved outputs land in *into once Run returns.
func Exports(build func(*pulumi.Context) (pulumi.Map, error), into *map[string]any) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		outputs, err := build(ctx)
		if err != nil {
			return err
		}
		outputs.ToMapOutput().ApplyT(func(m map[string]any) map[string]any {
			*into = m
			return m
		})
		return nil
	}
}

// ReadStackConfig reads the config of a stack file (Pulumi.dev.yaml) as Run
// takes it. Secure values cannot be decrypted here: their keys are returned
// in secure, for the caller to supply test values.
func ReadStackConfig(path string) (config map[string]string, secure []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	config = map[string]string{}
	for key, v := range file.Config {
		switch x := v.(type) {
		case string:
			config[key] = x
		case map[string]any:
			if _, ok := x["secure"]; ok {
				secure = append(secure, key)
				continue
			}
			j, err := json.Marshal(x)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %w", path, key, err)
			}
			config[key] = string(j)
		case []any:
			j, err := json.Marshal(x)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %s: %w", path, key, err)
			}
			config[key] = string(j)
		default:
			config[key] = fmt.Sprint(x)
		}
	}
	sort.Strings(secure)
	return config, secure, nil
}
