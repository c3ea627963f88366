package gcpproject

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// metadataServer serves project/project-id with the given status and body, and only to
// requests that carry the Metadata-Flavor: Google header.
func metadataServer(t *testing.T, status int, body string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Metadata-Flavor") != "Google" {
			http.Error(w, "missing Metadata-Flavor", http.StatusForbidden)
			return
		}
		if r.URL.Path != "/computeMetadata/v1/project/project-id" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Metadata-Flavor", "Google")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	t.Setenv("GCE_METADATA_HOST", strings.TrimPrefix(srv.URL, "http://"))
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    string
		wantErr string
	}{
		{"project", http.StatusOK, "my-project\n", "my-project", ""},
		{"empty", http.StatusOK, "  ", "", "empty project id"},
		{"not defined", http.StatusNotFound, "", "", "not defined"},
		{"forbidden", http.StatusForbidden, "no", "", "reading project id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			metadataServer(t, tc.status, tc.body)
			got, err := Lookup(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Lookup = %q, %v; want error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Lookup = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestLookupCancelled(t *testing.T) {
	metadataServer(t, http.StatusOK, "my-project")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := Lookup(ctx); err == nil {
		t.Fatalf("Lookup with a cancelled context = %q, want an error", got)
	}
}
