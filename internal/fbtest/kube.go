package fbtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// NewKubeAPI stands in for the Kubernetes API server as Fluent Bit's kubernetes filter
// asks it for a pod: GET /api/v1/namespaces/NS/pods/POD answers a pod with an app label,
// whatever its name. t.Cleanup stops it.
func NewKubeAPI(tb testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		// api v1 namespaces NS pods POD
		if len(parts) != 6 || parts[0] != "api" || parts[2] != "namespaces" || parts[4] != "pods" {
			http.NotFound(w, r)
			return
		}
		ns, pod := parts[3], parts[5]
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":%q,"namespace":%q,"uid":"0b5e6f1c-1111-2222-3333-444455556666","labels":{"app":"orders"}},"spec":{"nodeName":"gke-node-1","containers":[{"name":"orders","image":"orders:1"}]},"status":{"hostIP":"10.0.0.1","podIP":"10.4.0.7","containerStatuses":[{"name":"orders","image":"orders:1","imageID":"sha256:abc","containerID":"containerd://0123"}]}}`, pod, ns)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// ContainerLog is the name of a container log file as the kubelet writes it under
// /var/log/containers: POD_NAMESPACE_CONTAINER-ID.log.
func ContainerLog(pod, namespace, container string) string {
	return fmt.Sprintf("%s_%s_%s-%s.log", pod, namespace, container, strings.Repeat("0123456789abcdef", 4))
}
