package abitest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The plugin's c-shared object is kept between test runs, named by a hash of everything it
// is built from: a -buildmode=c-shared build reruns cgo on every cgo package and relinks a
// 20 MB object each time, whatever Go's build cache holds (5 to 15 s on 2 shared cores),
// while the hash takes a `go list` (0.2 s). The hash covers the build flags, the toolchain
// and C compiler (their versions, GOROOT, GOFLAGS, CC, CGO_* flags, GOOS/GOARCH/GOAMD64/
// GOEXPERIMENT), go.mod and go.sum, and for every package the plugin imports outside the
// standard library either its module version (a module cache entry never changes) or the
// content of each file the go command builds it from (Go, cgo, C, headers, assembly, syso,
// embedded files, and the main package's default.pgo). TRACELINK_ABITEST_NOCACHE=1 builds
// anyway.

// soCacheMaxAge is how long an unused cached object is kept.
const soCacheMaxAge = 6 * time.Hour

// cachedBuild returns the path of the object built from pkg with goArgs, building it with
// build(path) when the cache has none. It falls back to building into fallbackDir when the
// inputs cannot be hashed (a package that does not load: the build then reports why).
func cachedBuild(ctx context.Context, goBin, cc, pkg string, goArgs []string, fallbackDir string, build func(so string) error) (string, error) {
	key, err := pluginKey(ctx, goBin, cc, pkg, goArgs)
	base, cerr := os.UserCacheDir()
	if err != nil || cerr != nil || os.Getenv("TRACELINK_ABITEST_NOCACHE") == "1" {
		so := filepath.Join(fallbackDir, "out_tracelink.so")
		return so, build(so)
	}
	dir := filepath.Join(base, "tracelink-abitest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	so := filepath.Join(dir, key+".so")
	now := time.Now()
	if err := os.Chtimes(so, now, now); err == nil {
		return so, nil
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, "out_tracelink.so")
	if err := build(built); err != nil {
		return "", err
	}
	if err := os.Rename(built, so); err != nil { // atomic: a concurrent run sees all of it or nothing
		return "", err
	}
	pruneSOCache(dir, so)
	return so, nil
}

// pruneSOCache removes the objects (and abandoned build directories) not used for
// soCacheMaxAge, keeping keep.
func pruneSOCache(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil || p == keep || time.Since(info.ModTime()) < soCacheMaxAge {
			continue
		}
		_ = os.RemoveAll(p)
	}
}

// pluginKey hashes everything the object built from pkg depends on (see above).
func pluginKey(ctx context.Context, goBin, cc, pkg string, goArgs []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "abitest c-shared v1\n%q\n", goArgs)
	run := func(name string, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return out, nil
	}
	env, err := run(goBin, "env", "GOVERSION", "GOROOT", "GOOS", "GOARCH", "GOAMD64", "GOEXPERIMENT",
		"GOFLAGS", "CC", "CXX", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_LDFLAGS", "GOMOD")
	if err != nil {
		return "", err
	}
	h.Write(env)
	ccVersion, err := run(cc, "--version")
	if err != nil {
		return "", err
	}
	h.Write(ccVersion)
	gomod := strings.TrimSpace(string(env[bytes.LastIndexByte(bytes.TrimSpace(env), '\n')+1:]))
	for _, f := range []string{gomod, strings.TrimSuffix(gomod, ".mod") + ".sum"} {
		if err := hashFile(h, f); err != nil {
			return "", err
		}
	}

	out, err := run(goBin, "list", "-deps",
		"-json=ImportPath,Name,Dir,Standard,Module,GoFiles,CgoFiles,CFiles,CXXFiles,HFiles,SFiles,SysoFiles,EmbedFiles,Error,DepsErrors", pkg)
	if err != nil {
		return "", err
	}
	type module struct {
		Path, Version string
		Main          bool
		Replace       *module
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Name, Dir                                          string
			Standard                                                       bool
			Module                                                         *module
			GoFiles, CgoFiles, CFiles, CXXFiles, HFiles, SFiles, SysoFiles []string
			EmbedFiles                                                     []string
			Error                                                          *struct{ Err string }
			DepsErrors                                                     []struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", err
		}
		if p.Error != nil || len(p.DepsErrors) > 0 {
			return "", fmt.Errorf("package %s does not load", p.ImportPath)
		}
		if p.Standard {
			continue // GOROOT and GOVERSION
		}
		fmt.Fprintf(h, "package %s\n", p.ImportPath)
		if m := p.Module; m != nil && !m.Main && m.Replace == nil && m.Version != "" {
			fmt.Fprintf(h, "module %s@%s\n", m.Path, m.Version)
			continue
		}
		var files []string
		for _, l := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.HFiles, p.SFiles, p.SysoFiles, p.EmbedFiles} {
			files = append(files, l...)
		}
		if p.ImportPath == pkg || p.Name == "main" {
			if _, err := os.Stat(filepath.Join(p.Dir, "default.pgo")); err == nil {
				files = append(files, "default.pgo")
			}
		}
		for _, f := range files {
			fmt.Fprintf(h, "file %s\n", f)
			if err := hashFile(h, filepath.Join(p.Dir, f)); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(h, "absent %s\n", path)
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	fmt.Fprintf(h, "\n%d bytes\n", n)
	return err
}
