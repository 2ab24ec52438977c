package settings

import (
	"fmt"
	"regexp"
	"strings"
)

// ownerName is the shape of an owner an operator names: a folder name
// under uploads/.
var ownerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// SessionOwnerPrefix starts the owner of every anonymous browser session,
// so no owner an operator names may start with it.
const SessionOwnerPrefix = "s-"

// CheckOwnerName says why name cannot be an owner that an operator names
// (an API key's, an invite's), or nil. Owners are folder names under
// uploads/, so they are kept to a-z 0-9 _ -; names starting with "s-" are
// the anonymous browser sessions' own.
func CheckOwnerName(name string) error {
	switch {
	case !ownerName.MatchString(name):
		return fmt.Errorf("%q is not an owner name: use 1-63 of a-z 0-9 _ -, starting with a letter or digit", name)
	case strings.HasPrefix(name, SessionOwnerPrefix):
		return fmt.Errorf("owner %q starts with s-, which anonymous browser sessions use", name)
	}
	return nil
}

// APIKeyProblem names the rule of API_KEYS that a pair breaks.
type APIKeyProblem int

// The rules of API_KEYS, in the order a pair is checked against them.
const (
	// NotAPair is a pair without the colon between owner and key.
	NotAPair APIKeyProblem = iota + 1
	// MalformedOwner is an owner that is not 1-63 of a-z 0-9 _ -, starting
	// with a letter or digit.
	MalformedOwner
	// SessionOwner is an owner starting with s-, which browser sessions use.
	SessionOwner
	// ShortKey is a key shorter than MinAPIKeyLength.
	ShortKey
	// SameOwner is an owner an earlier pair has.
	SameOwner
	// SameKey is a key an earlier pair has.
	SameKey
	// OperatorKey is a key equal to API_TOKEN, the operator's token.
	OperatorKey
)

// APIKeyError says which pair of API_KEYS breaks which rule. Its message
// names the pair by position only, never by its key: a misplaced key may
// sit where the owner should be.
type APIKeyError struct {
	// Pair is the pair's position, from 1, among the pairs that are not
	// blank.
	Pair int
	// Earlier is the position of the pair this one repeats (SameOwner,
	// SameKey).
	Earlier int
	// Problem is the rule the pair breaks.
	Problem APIKeyProblem
	// Owner is the pair's owner; empty for NotAPair, whose text may be all
	// key.
	Owner string
	// Shown is as much of a NotAPair pair as a message may show: its first
	// four characters.
	Shown string
	// KeyLength is the length of a ShortKey's key.
	KeyLength int
}

func (e *APIKeyError) Error() string {
	switch e.Problem {
	case NotAPair:
		return fmt.Sprintf("pair %d is not owner:key", e.Pair)
	case MalformedOwner:
		return fmt.Sprintf("pair %d has a malformed owner", e.Pair)
	case SessionOwner:
		return fmt.Sprintf("pair %d has an owner starting with s-, which browser sessions use", e.Pair)
	case ShortKey:
		return fmt.Sprintf("pair %d has a key shorter than %d characters", e.Pair, MinAPIKeyLength)
	case SameOwner:
		return fmt.Sprintf("pairs %d and %d have the same owner", e.Earlier, e.Pair)
	case SameKey:
		return fmt.Sprintf("pairs %d and %d have the same key", e.Earlier, e.Pair)
	case OperatorKey:
		return fmt.Sprintf("pair %d reuses API_TOKEN, the operator's token, as its key", e.Pair)
	}
	return fmt.Sprintf("pair %d breaks an unknown rule", e.Pair)
}

// ParseAPIKeys reads API_KEYS: comma-separated owner:key pairs, blanks
// ignored, a key holding anything after the first colon. It returns each
// acceptable key's owner, keyed by key, and an error for every pair it
// refuses; operatorToken, API_TOKEN, may be no pair's key.
func ParseAPIKeys(v, operatorToken string) (map[string]string, []*APIKeyError) {
	keys := map[string]string{}
	owners, seen := map[string]int{}, map[string]int{}
	var errs []*APIKeyError
	n := 0
	for _, pair := range strings.Split(v, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		n++
		owner, key, _ := strings.Cut(pair, ":")
		e := checkAPIKey(pair, owner, key)
		if e == nil {
			if e = clash(owner, key, operatorToken, owners, seen); e == nil {
				keys[key], owners[owner], seen[key] = owner, n, n
				continue
			}
		}
		e.Pair = n
		errs = append(errs, e)
	}
	return keys, errs
}

// checkAPIKey returns the rule of its own that one pair breaks, or nil.
func checkAPIKey(pair, owner, key string) *APIKeyError {
	switch {
	case !strings.Contains(pair, ":"):
		return &APIKeyError{Problem: NotAPair, Shown: shown(pair)}
	case !ownerName.MatchString(owner):
		return &APIKeyError{Problem: MalformedOwner, Owner: owner}
	case strings.HasPrefix(owner, SessionOwnerPrefix):
		return &APIKeyError{Problem: SessionOwner, Owner: owner}
	case len(key) < MinAPIKeyLength:
		return &APIKeyError{Problem: ShortKey, Owner: owner, KeyLength: len(key)}
	}
	return nil
}

// clash returns the error of a pair whose owner or key an earlier pair
// has, or whose key is the operator's token, or nil.
func clash(owner, key, operatorToken string, owners, seen map[string]int) *APIKeyError {
	switch {
	case owners[owner] != 0:
		return &APIKeyError{Problem: SameOwner, Owner: owner, Earlier: owners[owner]}
	case seen[key] != 0:
		return &APIKeyError{Problem: SameKey, Owner: owner, Earlier: seen[key]}
	case key == operatorToken:
		return &APIKeyError{Problem: OperatorKey, Owner: owner}
	}
	return nil
}

// shown returns the start of a secret-bearing value that a message may
// show.
func shown(s string) string {
	if len(s) > 4 {
		return s[:4] + "…"
	}
	return s
}
