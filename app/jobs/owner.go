package jobs

import (
	"fmt"
	"regexp"
	"strings"
)

var ownerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// CheckOwnerName says why name cannot be an owner that an operator names
// (an API key's, an invite's), or nil. Owners are folder names under
// uploads/, so they are kept to a-z 0-9 _ -; names starting with "s-" are
// the anonymous browser sessions' own.
func CheckOwnerName(name string) error {
	switch {
	case !ownerName.MatchString(name):
		return fmt.Errorf("%q is not an owner name: use 1-63 of a-z 0-9 _ -, starting with a letter or digit", name)
	case strings.HasPrefix(name, "s-"):
		return fmt.Errorf("owner %q starts with s-, which anonymous browser sessions use", name)
	}
	return nil
}
