// Package deploy holds the Kubernetes manifests, the kustomize overlays and the Helm values
// of tracelink, and their offline test: the overlays are built with kustomize's own library
// (krusty) and every object is decoded strictly (unknown fields are errors) into the
// Kubernetes API types; the Helm values are checked against the keys of the chart version
// they name, and their pod settings against the same types. It is its own Go module, so the
// Kubernetes libraries stay out of tracelink's.
package deploy

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// objects are one build's decoded objects, by kind.
type objects struct {
	daemonSets  []appsv1.DaemonSet
	configMaps  []corev1.ConfigMap
	accounts    []corev1.ServiceAccount
	namespaces  []corev1.Namespace
	pods        []corev1.Pod
	roles       []rbacv1.ClusterRole
	roleBinding []rbacv1.ClusterRoleBinding
}

// decode decodes one object strictly into its Kubernetes type.
func (o *objects) decode(doc []byte) error {
	var meta struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		return err
	}
	var err error
	switch meta.Kind {
	case "DaemonSet":
		var v appsv1.DaemonSet
		if err = yaml.UnmarshalStrict(doc, &v); err == nil {
			o.daemonSets = append(o.daemonSets, v)
		}
	case "ConfigMap":
		var v corev1.ConfigMap
		if err = yaml.UnmarshalStrict(doc, &v); err == nil {
			o.configMaps = append(o.configMaps, v)
		}
	case "ServiceAccount":
		var v corev1.ServiceAccount
		if err = yaml.UnmarshalStrict(doc, &v); err == nil {
			o.accounts = append(o.accounts, v)
		}
	case "Namespace":
		var v corev1.Namespace
		if err = yaml.UnmarshalStrict(doc, &v); err == nil {
			o.namespaces = append(o.namespaces, v)
		}
	case "Pod":
		var v corev1.Pod
		if err = yaml.UnmarshalStrict(doc, &v); err == nil {
			o.pods = append(o.pods, v)
		}
	case "ClusterRole":
		var v rbacv1.ClusterRole
		if err = yaml.UnmarshalStrict(doc, &v); err == nil {
			o.roles = append(o.roles, v)
		}
	case "ClusterRoleBinding":
		var v rbacv1.ClusterRoleBinding
		if err = yaml.UnmarshalStrict(doc, &v); err == nil {
			o.roleBinding = append(o.roleBinding, v)
		}
	default:
		return fmt.Errorf("kind %q: no type to check it against (add it to objects.decode)", meta.Kind)
	}
	return err
}

func (o *objects) configMap(name string) (corev1.ConfigMap, bool) {
	for _, c := range o.configMaps {
		if c.Name == name {
			return c, true
		}
	}
	return corev1.ConfigMap{}, false
}

// build runs kustomize on dir (relative to deploy/) and decodes every object it yields.
func build(t *testing.T, dir string) *objects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	o := &objects{}
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %s: %v", dir, r.CurId(), err)
		}
		if err := o.decode(y); err != nil {
			t.Errorf("%s: %s: %v", dir, r.CurId(), err)
		}
	}
	return o
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestManifestsDecodeStrictly decodes every Kubernetes manifest under kubernetes/ (not the
// kustomizations) into its API type, unknown fields failing.
func TestManifestsDecodeStrictly(t *testing.T) {
	n := 0
	err := filepath.WalkDir("kubernetes", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") || filepath.Base(path) == "kustomization.yaml" {
			return err
		}
		o := &objects{}
		for i, doc := range bytes.Split([]byte(readFile(t, path)), []byte("\n---\n")) {
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			n++
			if err := o.decode(doc); err != nil {
				t.Errorf("%s: document %d: %v", path, i+1, err)
			}
		}
		return nil
	})
	if err != nil || n < 7 {
		t.Fatalf("walking kubernetes/: %v (%d documents)", err, n)
	}
}

// The GKE overlay: the settings the issue asks of a node agent, the image and the config
// set by kustomize, a config change rolling out (hashed ConfigMap names).
func TestOverlayGKE(t *testing.T) {
	o := build(t, "overlays/gke")
	ds := onlyDaemonSet(t, o)
	spec := ds.Spec.Template.Spec
	if spec.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q, want system-node-critical", spec.PriorityClassName)
	}
	if len(spec.Tolerations) != 1 || spec.Tolerations[0].Operator != corev1.TolerationOpExists {
		t.Errorf("tolerations %+v, want one operator Exists (every node's pods log)", spec.Tolerations)
	}
	checkPod(t, "overlays/gke", o, ds)
	if !hasHostPath(spec.Volumes, "/var/lib/tracelink") {
		t.Error("the state volume is not the node's /var/lib/tracelink (tail offsets and spool would not survive a new pod)")
	}
}

// The Autopilot overlay: the same, without a writable hostPath, system-node-critical or a
// blanket toleration.
func TestOverlayAutopilot(t *testing.T) {
	o := build(t, "overlays/autopilot")
	ds := onlyDaemonSet(t, o)
	spec := ds.Spec.Template.Spec
	if spec.PriorityClassName != "" || len(spec.Tolerations) != 0 {
		t.Errorf("priorityClassName %q, tolerations %+v: Autopilot refuses both", spec.PriorityClassName, spec.Tolerations)
	}
	checkPod(t, "overlays/autopilot", o, ds)
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range spec.Containers[0].VolumeMounts {
		mounts[m.Name] = m
	}
	for _, v := range spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		if v.HostPath.Path != "/var/log" || !mounts[v.Name].ReadOnly {
			t.Errorf("volume %s: hostPath %s (read-only %v): Autopilot allows only /var/log, read-only", v.Name, v.HostPath.Path, mounts[v.Name].ReadOnly)
		}
	}
}

func onlyDaemonSet(t *testing.T, o *objects) appsv1.DaemonSet {
	t.Helper()
	if len(o.daemonSets) != 1 {
		t.Fatalf("%d DaemonSets, want 1", len(o.daemonSets))
	}
	return o.daemonSets[0]
}

func hasHostPath(vols []corev1.Volume, path string) bool {
	return slices.ContainsFunc(vols, func(v corev1.Volume) bool { return v.HostPath != nil && v.HostPath.Path == path })
}

// checkPod checks what both overlays share.
func checkPod(t *testing.T, dir string, o *objects, ds appsv1.DaemonSet) {
	t.Helper()
	spec := ds.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", dir, len(spec.Containers))
	}
	c := spec.Containers[0]
	if !strings.HasSuffix(c.Image, "/tracelink-fluent-bit:0.1.0") {
		t.Errorf("%s: image %q: the overlay's images: entry did not apply", dir, c.Image)
	}
	checkSecurity(t, dir, spec.SecurityContext, c.SecurityContext)
	checkProbes(t, dir, c.LivenessProbe, c.ReadinessProbe, c.Ports)
	checkVolumes(t, dir, spec.Volumes, c.VolumeMounts)
	if spec.NodeSelector["kubernetes.io/os"] != "linux" {
		t.Errorf("%s: nodeSelector %v lacks kubernetes.io/os: linux", dir, spec.NodeSelector)
	}
	// The multi-arch image runs on amd64 and arm64 nodes; a selector may only narrow to those.
	if a, ok := spec.NodeSelector["kubernetes.io/arch"]; ok && a != "amd64" && a != "arm64" {
		t.Errorf("%s: nodeSelector kubernetes.io/arch %q: the image is built for amd64 and arm64", dir, a)
	}
	// The ConfigMaps: generated (hashed names, so a change rolls out), the config verbatim.
	var confName string
	for _, v := range spec.Volumes {
		if v.Name == "config" && v.ConfigMap != nil {
			confName = v.ConfigMap.Name
		}
	}
	if confName == "tracelink-fluent-bit" || !strings.HasPrefix(confName, "tracelink-fluent-bit-") {
		t.Errorf("%s: the config volume uses ConfigMap %q, not a generated (hashed) one: a config change would not roll out", dir, confName)
	}
	cm, ok := o.configMap(confName)
	if !ok {
		t.Fatalf("%s: no ConfigMap %q", dir, confName)
	}
	if cm.Data["fluent-bit.conf"] != readFile(t, "../fluent-bit.conf") {
		t.Errorf("%s: the generated ConfigMap's fluent-bit.conf differs from the repository's (copy fluent-bit.conf to overlays/gke/)", dir)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil {
		t.Fatalf("%s: envFrom %+v, want the tracelink-env ConfigMap", dir, c.EnvFrom)
	}
	env, ok := o.configMap(c.EnvFrom[0].ConfigMapRef.Name)
	if !ok || !strings.HasPrefix(env.Name, "tracelink-env-") {
		t.Fatalf("%s: envFrom names %q, not a generated ConfigMap", dir, c.EnvFrom[0].ConfigMapRef.Name)
	}
	for _, k := range []string{"CLUSTER_NAME", "CLUSTER_LOCATION", "GOOGLE_CLOUD_PROJECT"} {
		if _, ok := env.Data[k]; !ok {
			t.Errorf("%s: the environment lacks %s", dir, k)
		}
	}
	if len(o.accounts) != 1 || o.accounts[0].Annotations["iam.gke.io/gcp-service-account"] != env.Data["GCP_SERVICE_ACCOUNT"] || env.Data["GCP_SERVICE_ACCOUNT"] == "" {
		t.Errorf("%s: the service account's Workload Identity annotation is not cluster.env's GCP_SERVICE_ACCOUNT: %+v", dir, o.accounts)
	}
	if spec.ServiceAccountName != "tracelink" || len(o.roleBinding) != 1 || o.roleBinding[0].Subjects[0].Name != "tracelink" {
		t.Errorf("%s: service account and role binding do not match", dir)
	}
}

func checkSecurity(t *testing.T, where string, pod *corev1.PodSecurityContext, c *corev1.SecurityContext) {
	t.Helper()
	if pod == nil || pod.SeccompProfile == nil || pod.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod seccompProfile is not RuntimeDefault", where)
	}
	if c == nil || c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		t.Errorf("%s: the container's root filesystem is not read-only", where)
	}
	if c == nil || c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation || c.Capabilities == nil || !slices.Contains(c.Capabilities.Drop, "ALL") {
		t.Errorf("%s: the container may escalate privileges or keeps capabilities", where)
	}
	if c == nil || c.SeccompProfile == nil || c.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: container seccompProfile is not RuntimeDefault", where)
	}
}

func checkProbes(t *testing.T, where string, live, ready *corev1.Probe, ports []corev1.ContainerPort) {
	t.Helper()
	if live == nil || live.HTTPGet == nil || live.HTTPGet.Path != "/" {
		t.Errorf("%s: liveness probe %+v, want GET / (the health endpoint turns 500 on backend errors: a Cloud Logging outage would restart every pod)", where, live)
	}
	if ready == nil || ready.HTTPGet == nil || ready.HTTPGet.Path != "/api/v1/health" {
		t.Errorf("%s: readiness probe %+v, want GET /api/v1/health", where, ready)
	}
	for _, p := range []*corev1.Probe{live, ready} {
		if p == nil || p.HTTPGet == nil {
			continue
		}
		if name := p.HTTPGet.Port.String(); ports != nil && !slices.ContainsFunc(ports, func(cp corev1.ContainerPort) bool { return cp.Name == name }) {
			t.Errorf("%s: probe port %q is not a container port", where, name)
		}
	}
}

func checkVolumes(t *testing.T, where string, vols []corev1.Volume, mounts []corev1.VolumeMount) {
	t.Helper()
	names := map[string]bool{}
	for _, v := range vols {
		names[v.Name] = true
		if v.HostPath != nil && strings.HasPrefix(v.HostPath.Path, "/var/lib/docker") {
			t.Errorf("%s: volume %s mounts %s, which GKE's containerd nodes do not have", where, v.Name, v.HostPath.Path)
		}
	}
	paths := map[string]bool{}
	for _, m := range mounts {
		paths[m.MountPath] = true
		if !names[m.Name] && m.Name != "config" {
			t.Errorf("%s: mount %s names no volume", where, m.Name)
		}
		if m.MountPath == "/var/log" && !m.ReadOnly {
			t.Errorf("%s: /var/log is mounted writable", where)
		}
	}
	// What fluent-bit.conf writes to: tail's DB and the spool, the forward socket.
	for _, p := range []string{"/var/log", "/var/lib/tracelink", "/var/run/tracelink"} {
		if !paths[p] {
			t.Errorf("%s: nothing is mounted at %s (the root filesystem is read-only)", where, p)
		}
	}
}

// chartVersion is the fluent/fluent-bit chart the Helm values were checked against.
const chartVersion = "0.58.1"

// chartKeys are the keys of that chart's values.yaml: the top level and, for the maps the
// values set, their members. A key the chart does not know is silently ignored by Helm.
var chartKeys = map[string][]string{
	"": {"affinity", "annotations", "args", "autoscaling", "command", "config", "daemonSetVolumeMounts",
		"daemonSetVolumes", "dashboards", "dnsConfig", "dnsPolicy", "env", "envFrom", "envWithTpl",
		"existingConfigMap", "extraContainers", "extraPorts", "extraVolumeMounts", "extraVolumes", "flush",
		"fullnameOverride", "hostAliases", "hostNetwork", "hotReload", "image", "imagePullSecrets", "ingress",
		"initContainers", "kind", "labels", "lifecycle", "livenessProbe", "logLevel", "luaScripts", "metricsPort",
		"minReadySeconds", "nameOverride", "networkPolicy", "nodeSelector", "openShift", "podAnnotations",
		"podDisruptionBudget", "podLabels", "podSecurityContext", "podSecurityPolicy", "priorityClassName",
		"prometheusRule", "rbac", "readinessProbe", "replicaCount", "resources", "securityContext", "service",
		"serviceAccount", "serviceMonitor", "terminationGracePeriodSeconds", "testFramework", "tolerations",
		"updateStrategy", "volumeMounts"},
	"image":          {"digest", "pullPolicy", "repository", "tag"},
	"serviceAccount": {"annotations", "automountServiceAccountToken", "create", "deterministicUid", "name"},
	"rbac":           {"create", "eventsAccess", "nodeAccess"},
	"config":         {"customParsers", "extraFiles", "filters", "inputs", "outputs", "service", "upstream"},
	"testFramework":  {"enabled", "image", "namespace"},
	"hotReload":      {"enabled", "extraWatchVolumes", "image", "resources", "securityContext"},
}

// decodeStrict decodes v (a values subtree) strictly into dst through JSON.
func decodeStrict(v any, dst any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	return yaml.UnmarshalStrict(b, dst)
}

func TestHelmValues(t *testing.T) {
	text := readFile(t, "helm/values.yaml")
	if !strings.Contains(text, "chart version "+chartVersion) || !strings.Contains(text, "--version "+chartVersion) {
		t.Errorf("helm/values.yaml does not name chart version %s (in its header and its helm command)", chartVersion)
	}
	var values map[string]any
	if err := yaml.Unmarshal([]byte(text), &values); err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		if !slices.Contains(chartKeys[""], k) {
			t.Errorf("helm/values.yaml: %s is not a value of chart %s", k, chartVersion)
		}
		if sub, ok := chartKeys[k]; ok {
			for kk := range v.(map[string]any) {
				if !slices.Contains(sub, kk) {
					t.Errorf("helm/values.yaml: %s.%s is not a value of chart %s", k, kk, chartVersion)
				}
			}
		}
	}
	var (
		podSec      corev1.PodSecurityContext
		sec         corev1.SecurityContext
		live, ready corev1.Probe
		res         corev1.ResourceRequirements
		env         []corev1.EnvVar
		vols        []corev1.Volume
		mounts      []corev1.VolumeMount
		tols        []corev1.Toleration
		sel         map[string]string
	)
	for key, dst := range map[string]any{
		"podSecurityContext": &podSec, "securityContext": &sec, "livenessProbe": &live, "readinessProbe": &ready,
		"resources": &res, "env": &env, "daemonSetVolumes": &vols, "daemonSetVolumeMounts": &mounts,
		"tolerations": &tols, "nodeSelector": &sel,
	} {
		if err := decodeStrict(values[key], dst); err != nil {
			t.Errorf("helm/values.yaml: %s: %v", key, err)
		}
	}
	if values["priorityClassName"] != "system-node-critical" {
		t.Errorf("helm/values.yaml: priorityClassName %v", values["priorityClassName"])
	}
	checkSecurity(t, "helm/values.yaml", &podSec, &sec)
	checkProbes(t, "helm/values.yaml", &live, &ready, []corev1.ContainerPort{{Name: "http"}}) // the chart names its port http
	checkVolumes(t, "helm/values.yaml", vols, mounts)
	if sel["kubernetes.io/os"] != "linux" {
		t.Errorf("helm/values.yaml: nodeSelector %v", sel)
	}
	for _, want := range []string{"CLUSTER_NAME", "CLUSTER_LOCATION", "GOOGLE_CLOUD_PROJECT"} {
		if !slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name == want }) {
			t.Errorf("helm/values.yaml: env lacks %s", want)
		}
	}

	// The pipeline: loaded without -e (the chart's command drops it), Merge_Log Off in the
	// kubernetes filter, the repository's tracelink and stackdriver outputs.
	cfg, _ := values["config"].(map[string]any)
	str := func(k string) string { s, _ := cfg[k].(string); return s }
	service := str("service")
	if !strings.Contains(service, "Plugins_File  /fluent-bit/etc/conf/plugins.conf") {
		t.Error("helm/values.yaml: config.service does not load the plugin with Plugins_File /fluent-bit/etc/conf/plugins.conf (the chart mounts the ConfigMap at /fluent-bit/etc/conf)")
	}
	extra, _ := cfg["extraFiles"].(map[string]any)
	plugins, _ := extra["plugins.conf"].(string)
	const so = "/fluent-bit/plugins/out_tracelink.so"
	if !strings.Contains(plugins, "[PLUGINS]") || !strings.Contains(plugins, "Path  "+so) {
		t.Errorf("helm/values.yaml: config.extraFiles.plugins.conf %q does not name %s", plugins, so)
	}
	if !strings.Contains(readFile(t, "Dockerfile"), so) {
		t.Errorf("Dockerfile does not install the plugin at %s", so)
	}
	filters := sections(str("filters"))
	if len(filters) != 1 || filters[0]["name"] != "kubernetes" || filters[0]["merge_log"] != "Off" {
		t.Errorf("helm/values.yaml: config.filters %v: want the kubernetes filter with Merge_Log Off (tracelink reads the raw log)", filters)
	}
	root := sections(readFile(t, "../fluent-bit.conf"))
	helm := sections(str("service") + "\n" + str("inputs") + "\n" + str("filters") + "\n" + str("outputs"))
	for _, name := range []string{"tail", "forward", "kubernetes", "tracelink", "stackdriver"} {
		want, got := byName(root, name), byName(helm, name)
		if want == nil || got == nil {
			t.Errorf("section %s: in fluent-bit.conf %v, in the Helm values %v", name, want != nil, got != nil)
			continue
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("helm/values.yaml: section %s: %s = %q, fluent-bit.conf says %q", name, k, got[k], v)
			}
		}
	}
}

// sections reads a classic Fluent Bit config's sections as lowercase key -> value.
func sections(conf string) []map[string]string {
	var out []map[string]string
	for _, line := range strings.Split(conf, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#':
		case line[0] == '[':
			out = append(out, map[string]string{"[": strings.ToUpper(line)})
		case len(out) > 0:
			k, v, _ := strings.Cut(line, " ")
			out[len(out)-1][strings.ToLower(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func byName(secs []map[string]string, name string) map[string]string {
	for _, s := range secs {
		if strings.EqualFold(s["name"], name) {
			return s
		}
	}
	return nil
}

// TestOverlayConfigIsTheRepositorys: kustomize reads files only below the overlay, so the
// overlay carries a copy of fluent-bit.conf; it must not drift.
func TestOverlayConfigIsTheRepositorys(t *testing.T) {
	if readFile(t, "overlays/gke/fluent-bit.conf") != readFile(t, "../fluent-bit.conf") {
		t.Error("overlays/gke/fluent-bit.conf differs from the repository's fluent-bit.conf: cp fluent-bit.conf deploy/overlays/gke/")
	}
}

// TestSmokeTest: the smoke pod logs the trace the README's gcloud query looks for.
func TestSmokeTest(t *testing.T) {
	o := &objects{}
	for _, doc := range strings.Split(readFile(t, "kubernetes/smoke/smoke-test.yaml"), "\n---\n") {
		if err := o.decode([]byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	if len(o.pods) != 1 {
		t.Fatalf("%d pods", len(o.pods))
	}
	script := strings.Join(o.pods[0].Spec.Containers[0].Args, " ")
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	if strings.Count(script, trace) < 2 || !strings.Contains(readFile(t, "kubernetes/smoke/smoke-test.yaml"), `trace="projects/PROJECT_ID/traces/`+trace+`"`) {
		t.Error("the smoke pod and its gcloud logging read query do not agree on the trace")
	}
}
