package jobs

import "transcoder/app/settings"

// CheckOwnerName says why name cannot be an owner that an operator names
// (an API key's, an invite's), or nil. The rule is the settings package's,
// which API_KEYS is checked against too: owners are folder names under
// uploads/, so they are kept to a-z 0-9 _ -, and names starting with "s-"
// are the anonymous browser sessions' own.
func CheckOwnerName(name string) error { return settings.CheckOwnerName(name) }
