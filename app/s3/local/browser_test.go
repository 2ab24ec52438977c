package local_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
)

// These tests open the local S3 server in a real headless Chromium, as a
// person's browser would meet it: on a hostile page, and at a download link.

// browserWait bounds every step that waits for the browser.
const browserWait = 30 * time.Second

// headless starts a fresh headless Chromium for the test, downloading into
// downloads, and returns its tab. Without Chromium the test is skipped,
// except in CI, where it fails.
func headless(t *testing.T, downloads string) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(`chromium not found: run "make ci-deps" (apt-get install chromium)`)
		}
		t.Skip(`chromium not found: this test runs wherever chromium is installed ("make ci-deps"), and always in CI`)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatalf("letting chromium download: %v", err)
	}
	return ctx
}

// within runs action with the browser bound on waiting.
func within[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserWait)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func pollTrue(t *testing.T, ctx context.Context, what, expression string) {
	t.Helper()
	within(t, ctx, what, chromedp.Poll[bool](expression,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(browserWait)))
}

// hostile is a page on another site (localhost, where the server is
// 127.0.0.1) that tries what a page can do to the server without a CORS
// preflight: form-encoded POSTs, from script and from a real form.
const hostile = `<!doctype html><title>hostile</title>
<form id="f" method="POST" enctype="multipart/form-data" action="%[1]s/%[2]s">
  <input type="hidden" name="key" value="%[3]s"><input type="file" name="file">
</form>
<script>
(async () => {
  const file = (name) => new File(["mallory's"], name, {type: "text/html"});
  const form = (key) => { const d = new FormData(); d.append("key", key); d.append("file", file("x.html")); return d; };
  for (const [url, body] of [
    ["%[1]s/%[2]s", form("%[4]s")],
    ["%[1]s/%[2]s/%[4]s", form("%[4]s")],
    ["%[1]s/%[2]s/%[3]s", new URLSearchParams({key: "%[3]s"})],
    ["%[1]s/%[2]s/%[3]s", "mallory's"],
  ]) {
    try { await fetch(url, {method: "POST", mode: "no-cors", body}); } catch (e) {}
  }
  const dt = new DataTransfer();
  dt.items.add(file("song.wav"));
  document.querySelector("input[type=file]").files = dt.files;
  window.__fetched = true;
})();
</script>`

func TestAPageOnAnotherSiteCannotCreateOrReplaceObjectsWithFormPosts(t *testing.T) {
	dir := t.TempDir()
	srv, c := start(t, dir)
	const victim, planted = "uploads/u1/up-1/song.wav", "uploads/u1/up-1/planted.html"
	put(t, c, inBucket, victim, "audio/wav", []byte("the owner's song"))

	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostile, srv.URL(), inBucket, victim, planted)
	}))
	defer page.Close()
	pageURL := strings.Replace(page.URL, "127.0.0.1", "localhost", 1)

	ctx := headless(t, t.TempDir())
	within(t, ctx, "opening the hostile page", chromedp.Navigate(pageURL))
	pollTrue(t, ctx, "waiting for the page's posts from script", `window.__fetched === true`)
	within(t, ctx, "submitting the form", chromedp.Evaluate[chromedp.Void](`document.getElementById("f").submit()`))
	// Once the tab shows the server's answer, the server is done with the post.
	var answer string
	for deadline := time.Now().Add(browserWait); ; time.Sleep(50 * time.Millisecond) {
		// Asked again and again, as the page goes away under the question.
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`location.href.startsWith("`+srv.URL()+`") && document.readyState === "complete" ? "answer: " + document.documentElement.textContent : ""`))
		if err == nil && text != "" {
			answer = text
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the form's answer never came: %v", err)
		}
	}

	if got := stored(t, c, inBucket, victim); string(got) != "the owner's song" {
		t.Fatalf("the owner's object is now %q", got)
	}
	if got := stored(t, c, inBucket, planted); got != nil {
		t.Fatalf("the page planted %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "buckets", inBucket, filepath.FromSlash(planted))); !os.IsNotExist(err) {
		t.Fatalf("the planted object's file: %v, want none", err)
	}
	if !strings.Contains(answer, "MethodNotAllowed") {
		t.Fatalf("the form's answer %q is not the server's refusal", answer)
	}
}

// probe is an HTML page whose script, if it runs, sets the cookie name and
// retitles the page.
const probe = `<!doctype html><title>probe</title><script>document.cookie = "%s=ran; path=/"; document.title = "ran";</script>`

func TestAPlantedPageOpenedAtADownloadLinkIsDownloadedAndRunsNothing(t *testing.T) {
	ctx0 := context.Background()
	_, c := start(t, "")
	const key = "uploads/u1/up-1/planted.html"
	put(t, c, outBucket, key, "text/html", []byte(fmt.Sprintf(probe, "planted")))
	presign := awss3.NewPresignClient(c)
	link := func(in *awss3.GetObjectInput) string {
		in.Bucket, in.Key = aws.String(outBucket), aws.String(key)
		p, err := presign.PresignGetObject(ctx0, in)
		if err != nil {
			t.Fatal(err)
		}
		return p.URL
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, probe, "control")
	}))
	defer plain.Close()

	tests := []struct {
		name   string
		url    string
		cookie string
		runs   bool // the page's script runs; else the page is downloaded
	}{
		{"the same page served plainly elsewhere runs its script, so the probe works",
			plain.URL, "control", true},
		{"the planted page at a presigned GET is downloaded and runs nothing",
			link(&awss3.GetObjectInput{}), "planted", false},
		{"the planted page at a presigned GET asking for it inline as HTML is downloaded and runs nothing",
			link(&awss3.GetObjectInput{ResponseContentDisposition: aws.String("inline"), ResponseContentType: aws.String("text/html")}), "planted", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			downloads := t.TempDir()
			ctx := headless(t, downloads)
			navErr := func() error {
				ctx, cancel := context.WithTimeout(ctx, browserWait)
				defer cancel()
				return chromedp.Do(ctx, chromedp.Navigate(tt.url))
			}()
			if tt.runs {
				if navErr != nil {
					t.Fatalf("opening %s: %v", tt.url, navErr)
				}
				pollTrue(t, ctx, "waiting for the script", `document.title === "ran"`)
			} else {
				// A download is no navigation: Chromium aborts it as one.
				var file string
				for deadline := time.Now().Add(browserWait); file == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
					if b, err := os.ReadFile(filepath.Join(downloads, "planted.html")); err == nil && strings.Contains(string(b), "</script>") {
						file = string(b)
					}
				}
				if file == "" {
					entries, _ := os.ReadDir(downloads)
					t.Fatalf("opening %s (%v) downloaded no planted.html: the folder holds %v", tt.url, navErr, entries)
				}
			}
			cookies, err := chromedp.Call(ctx, storage.GetCookies, storage.GetCookiesParams{})
			if err != nil {
				t.Fatal(err)
			}
			set := false
			for _, ck := range cookies.Cookies {
				set = set || ck.Name == tt.cookie
			}
			if set != tt.runs {
				t.Fatalf("the cookie %s is set: %v; want %v", tt.cookie, set, tt.runs)
			}
		})
	}
}
