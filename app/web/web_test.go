package web_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"transcoder/app/web"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(web.Assets(), name)
	if err != nil {
		t.Fatalf("the page has no %s: %v", name, err)
	}
	return string(b)
}

func TestThePageIsIndexHTMLWithItsScriptAndStyleBesideIt(t *testing.T) {
	index := read(t, "index.html")
	for _, tt := range []struct{ file, ref string }{
		{"app.js", `<script src="app.js" defer></script>`},
		{"app.css", `<link rel="stylesheet" href="app.css">`},
	} {
		if !strings.Contains(index, tt.ref) {
			t.Errorf("index.html does not load %s with %s", tt.file, tt.ref)
		}
		read(t, tt.file)
	}
}

// The page must work offline and under the server's Content-Security-Policy
// (default-src 'self'): nothing from another host, no inline script or style.
func TestThePageLoadsNothingFromElsewhereAndNothingInline(t *testing.T) {
	remote := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//`)
	inline := regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]|<style|\sstyle\s*=|\son[a-z]+\s*=`)
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		text := read(t, name)
		if m := remote.FindString(text); m != "" {
			t.Errorf("%s loads from another host: %q", name, m)
		}
		if name == "index.html" {
			if m := inline.FindString(text); m != "" {
				t.Errorf("index.html has inline script or style, which the policy blocks: %q", m)
			}
		}
	}
}

// Every element the script looks up by id is in the page: a renamed id
// would otherwise break the page only when a person reaches that part.
func TestEveryIDTheScriptUsesIsInThePage(t *testing.T) {
	index, script := read(t, "index.html"), read(t, "app.js")
	uses := regexp.MustCompile(`\$\('([a-z-]+)'\)`).FindAllStringSubmatch(script, -1)
	if len(uses) < 20 {
		t.Fatalf("found %d id look-ups in app.js: the pattern no longer matches how the script finds elements", len(uses))
	}
	for _, u := range uses {
		if !strings.Contains(index, `id="`+u[1]+`"`) {
			t.Errorf("app.js looks up #%s, which index.html does not have", u[1])
		}
	}
	// Views are found by name: $('view-' + v) and $(view + '-title').
	for _, view := range []string{"home", "job", "inbox"} {
		for _, id := range []string{"view-" + view, view + "-title"} {
			if !strings.Contains(index, `id="`+id+`"`) {
				t.Errorf("index.html has no #%s for the %s view", id, view)
			}
		}
	}
}
