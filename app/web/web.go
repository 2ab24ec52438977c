// Package web is the user's page: one HTML page, its script and its style,
// embedded in the binary so that the service serves them with no build step
// and no network beyond itself. The page uploads a file straight to storage,
// starts a job, follows it to its downloads and keeps the owner's inbox; it
// speaks only the service's JSON API and moves between views by the URL's
// fragment (#/, #/jobs/<id>, #/inbox), so the server serves one page.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// Assets returns the page's files, rooted so that the page is "index.html"
// beside "app.js" and "app.css"; the server mounts them as they are (for
// example with http.FileServerFS) at the path the page is served from.
func Assets() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is a valid path, embedded above: it cannot fail
	}
	return sub
}
