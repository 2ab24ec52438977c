package settings

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds of the service's whole-number variables.
const (
	// MaxQuota is the largest per-owner job quota (JOBS_PER_DAY,
	// JOBS_RUNNING, JOBS_PER_UPLOAD); 0 turns a quota off.
	MaxQuota = 1_000_000
	// MaxJobRetentionDays bounds JOB_RETENTION_DAYS at about a hundred
	// years, far beyond any sensible value, so that an expiry stays a
	// valid time.
	MaxJobRetentionDays = 36500
)

// sizeUnits are the units ParseSize accepts, upper-cased, in bytes.
var sizeUnits = map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
	"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}

// ParseSize reads a size in bytes, as MAX_UPLOAD_SIZE holds it: a whole
// number, optionally followed by B, KB, MB, GB, TB (powers of 1000) or KiB,
// MiB, GiB, TiB (powers of 1024), in any case. Sizes past 2^62 bytes are
// refused, so that any size fits an int64 with room to add to it.
func ParseSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size: use bytes or a number with a unit (500MB, 2GiB; 0 for no limit)", v)
	}
	mult := sizeUnits[strings.ToUpper(strings.TrimSpace(s[i:]))]
	if mult == 0 {
		return 0, fmt.Errorf("%q has an unknown unit %q: use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB", v, s[i:])
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", v)
	}
	return n * mult, nil
}

// ParseDuration reads a Go duration (30m, 1h30m) from least to most, both
// included, as the service's duration variables hold them.
func ParseDuration(v string, least, most time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a Go duration (for example 30m or 1h30m)", v)
	}
	if d < least || d > most {
		return 0, fmt.Errorf("%q is not a duration from %v to %v", v, least, most)
	}
	return d, nil
}

// ParseWholeNumber reads a whole number from least to most, both included,
// as the service's count variables hold them (JOBS_PER_DAY,
// JOB_RETENTION_DAYS).
func ParseWholeNumber(v string, least, most int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < least || n > most {
		return 0, fmt.Errorf("%q is not a whole number from %d to %d", v, least, most)
	}
	return n, nil
}

// MaxDuration is the longest duration there is, for ParseDuration's most
// when a duration has no upper bound.
const MaxDuration time.Duration = 1<<63 - 1
