package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include "abi.h"

static const char *tl_version_hook(void) {
	const char *(*f)(void) = (const char *(*)(void)) dlsym(RTLD_DEFAULT, TL_HOST_VERSION_SYMBOL);
	return f ? f() : NULL;
}
*/
import "C"

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/tracelink/tracelink/internal/host"
)

// hostCaps is what this process's Fluent Bit allows, decided once: the binary cannot change
// under a running process, and a hot reload registers the plugin again.
var hostCaps = sync.OnceValue(func() host.Caps {
	v, err := hostVersion()
	if err != nil {
		reg.logf("info", "cannot read the Fluent Bit version (%v)", err)
		return host.For(host.Version{}, false)
	}
	return host.For(v, true)
})

// hostVersion returns the version of the Fluent Bit this plugin runs in: the ABI harness
// names the layout it plays; a real Fluent Bit is asked, as a user would, with
// `fluent-bit --version` run on its own executable.
func hostVersion() (host.Version, error) {
	if s := C.tl_version_hook(); s != nil {
		return host.ParseVersion(C.GoString(s))
	}
	const exe = "/proc/self/exe"
	if err := isFluentBit(exe); err != nil {
		return host.Version{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "--version")
	cmd.Env = []string{} // nothing of the running pipeline's environment is needed
	out, err := cmd.Output()
	// A host that ignores SIGCHLD reaps the child itself: the output is still whole.
	if err != nil && len(out) == 0 {
		return host.Version{}, fmt.Errorf("running %s --version: %w", exe, err)
	}
	return host.ParseVersion(string(out))
}

// isFluentBit checks that path is Fluent Bit's own executable before it is run: it exports
// Fluent Bit's functions and holds the version banner of its main program (src/fluent-bit.c),
// so `--version` prints the version and exits. A program that embeds Fluent Bit as a library
// is not run.
func isFluentBit(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("reading the executable: %w", err)
	}
	defer f.Close()
	exported, err := definesDynamic(f, "flb_context_get")
	if err != nil {
		return fmt.Errorf("reading the executable's symbols: %w", err)
	}
	if !exported {
		return errors.New("the executable does not define flb_context_get: not Fluent Bit's own binary")
	}
	ro := f.Section(".rodata")
	if ro == nil {
		return errors.New("the executable has no .rodata section")
	}
	found, err := contains(ro.Open(), []byte("Fluent Bit v%s"))
	if err != nil {
		return fmt.Errorf("reading the executable: %w", err)
	}
	if !found {
		return errors.New("the executable has no Fluent Bit version banner: not Fluent Bit's own binary")
	}
	return nil
}

// definesDynamic reports whether the ELF file f defines the dynamic symbol name. On a
// 64-bit file it reads the raw symbol table (24-byte entries) and compares names in place:
// elf.File.DynamicSymbols builds every symbol with its name, thousands for Fluent Bit, and
// that took about 4 ms of the 40 that loading the plugin costs a Fluent Bit start.
func definesDynamic(f *elf.File, name string) (bool, error) {
	if f.Class != elf.ELFCLASS64 {
		syms, err := f.DynamicSymbols()
		if err != nil {
			return false, err
		}
		for _, s := range syms {
			if s.Name == name && s.Section != elf.SHN_UNDEF {
				return true, nil
			}
		}
		return false, nil
	}
	symtab := f.SectionByType(elf.SHT_DYNSYM)
	if symtab == nil || int(symtab.Link) >= len(f.Sections) {
		return false, errors.New("no dynamic symbol table")
	}
	syms, err := symtab.Data()
	if err != nil {
		return false, err
	}
	strs, err := f.Sections[symtab.Link].Data()
	if err != nil {
		return false, err
	}
	for off := 0; off+elf.Sym64Size <= len(syms); off += elf.Sym64Size {
		e := syms[off : off+elf.Sym64Size]
		nameOff := int(f.ByteOrder.Uint32(e[0:4]))
		shndx := elf.SectionIndex(f.ByteOrder.Uint16(e[6:8]))
		if shndx == elf.SHN_UNDEF || nameOff+len(name) >= len(strs) {
			continue
		}
		if string(strs[nameOff:nameOff+len(name)]) == name && strs[nameOff+len(name)] == 0 {
			return true, nil
		}
	}
	return false, nil
}

// contains reports whether r holds needle, reading it in blocks (the section is megabytes;
// none of it stays on the heap).
func contains(r io.Reader, needle []byte) (bool, error) {
	buf := make([]byte, 64<<10+len(needle))
	keep := 0
	for {
		n, err := io.ReadFull(r, buf[keep:])
		if bytes.Contains(buf[:keep+n], needle) {
			return true, nil
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		keep = copy(buf, buf[keep+n-len(needle)+1:keep+n])
	}
}

// hostPipeline is the configuration Fluent Bit was started with, read from its command line
// at each instance start (a hot reload re-reads the file), or nil with why not.
func hostPipeline() (*host.Pipeline, error) {
	raw, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		return nil, fmt.Errorf("reading Fluent Bit's command line: %w", err)
	}
	argv := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	return host.LoadPipeline(argv, os.Getenv)
}
