package dynamodb

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestFreshDueRemembersRecentWritesForAWhile(t *testing.T) {
	t0 := time.Date(2025, time.March, 14, 15, 9, 26, 0, time.UTC)
	listed := func(f *freshDue, now time.Time) []string {
		var ids []string
		for id := range f.list(now) {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids
	}
	t.Run("a write is listed within the window and forgotten after it", func(t *testing.T) {
		var f freshDue
		f.add("a", t0)
		f.add("b", t0.Add(time.Second))
		if got := listed(&f, t0.Add(freshWindow)); !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("at the end of a's window: %v, want [a b]", got)
		}
		if got := listed(&f, t0.Add(freshWindow+time.Nanosecond)); !slices.Equal(got, []string{"b"}) {
			t.Errorf("past a's window: %v, want [b]", got)
		}
		if got := listed(&f, t0); !slices.Equal(got, []string{"b"}) {
			t.Errorf("a, once past its window, is listed again: %v", got)
		}
	})
	t.Run("forgetting a write keeps a later write of the same job", func(t *testing.T) {
		var f freshDue
		f.add("a", t0)
		w := f.list(t0)["a"]
		f.add("a", t0.Add(time.Millisecond))
		f.forget("a", w)
		if got := listed(&f, t0); !slices.Equal(got, []string{"a"}) {
			t.Errorf("after forgetting the first write: %v, want the second one kept", got)
		}
		f.forget("a", f.list(t0)["a"])
		if got := listed(&f, t0); len(got) != 0 {
			t.Errorf("after forgetting the last write: %v, want none", got)
		}
	})
	t.Run("past the limit, new jobs are left to the index, known ones refreshed", func(t *testing.T) {
		var f freshDue
		for i := range freshLimit {
			f.add(fmt.Sprint(i), t0)
		}
		f.add("one too many", t0)
		f.add("0", t0.Add(freshWindow))
		got := f.list(t0.Add(freshWindow + time.Nanosecond))
		if _, ok := got["one too many"]; ok || len(got) != 1 {
			t.Errorf("listed %d jobs past the first window, want the refreshed one alone", len(got))
		}
	})
}
