// Command stackconfig brings a stack's committed settings into the stack's own
// config file, so that Pulumi never writes into a tracked file.
//
// The committed Pulumi.<stack>.yaml at the repository root holds a stack's
// settings that are safe to share (region, engine, origins) and nothing else.
// Pulumi reads and writes the stack's own file under stackConfigDir
// (Pulumi.yaml points it at infra/.pulumi-state/config, which git ignores):
// that one also holds the encryption salt and the secrets, which differ per
// person and per backend. `make stack` runs this command after selecting the
// stack, so the committed settings win over stale local ones while the salt,
// the secrets and any extra local keys stay.
//
// Usage: stackconfig -template Pulumi.dev.yaml -config infra/.pulumi-state/config/Pulumi.dev.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "stackconfig:", err)
		os.Exit(1)
	}
}

// run parses the flags, merges and reports every change on stdout.
func run(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("stackconfig", flag.ContinueOnError)
	fs.SetOutput(stderr)
	template := fs.String("template", "", "the committed `Pulumi.<stack>.yaml`, which holds no secrets")
	config := fs.String("config", "", "the stack's own `file`, where Pulumi's stackConfigDir points")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *template == "" || *config == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("want -template and -config, and no other arguments")
	}
	notes, err := Merge(*template, *config)
	for _, n := range notes {
		fmt.Fprintln(stdout, n)
	}
	return err
}
