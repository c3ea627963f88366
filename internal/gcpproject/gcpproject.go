// Package gcpproject finds the Google Cloud project id from the GCE metadata server (GKE,
// Compute Engine, Cloud Run), for when neither the Project_ID property nor
// GOOGLE_CLOUD_PROJECT names it. The metadata host can be overridden with the standard
// GCE_METADATA_HOST environment variable.
package gcpproject

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloud.google.com/go/compute/metadata"
)

// Timeout bounds one Lookup even when the caller's context allows longer, so a process
// that is not on Google Cloud (where the metadata address does not answer) fails fast.
const Timeout = 2 * time.Second

// Lookup asks the metadata server for the project id (project/project-id). It returns
// within Timeout, or earlier if ctx ends first.
func Lookup(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	// An isolated client: the package-level helpers cache the project id process-wide.
	client := metadata.NewWithOptions(&metadata.Options{})
	v, err := client.GetWithContext(ctx, "project/project-id")
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return "", fmt.Errorf("GCE metadata server did not answer within %v (not on Google Cloud? set GCE_METADATA_HOST to override): %w", Timeout, err)
		}
		return "", fmt.Errorf("GCE metadata server: reading project id: %w", err)
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("GCE metadata server returned an empty project id")
	}
	return v, nil
}
