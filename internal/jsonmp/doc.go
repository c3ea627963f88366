// Package jsonmp transcodes between JSON and msgpack exactly: integers keep every digit,
// strings are unescaped and re-escaped the way encoding/json does it, and maps keep their
// key order. It works on byte slices with tinylib/msgp primitives and builds no interface{}
// values, so converting a record does not allocate beyond the output buffer's growth.
package jsonmp

import (
	"errors"
	"strconv"
)

// MaxDepth is how deeply arrays and maps may nest, in either direction (encoding/json's limit).
const MaxDepth = 10000

// ErrNumberRange is returned (wrapped) when a JSON number is too large for a float64.
var ErrNumberRange = errors.New("number out of float64 range")

// ErrDepth is returned (wrapped) when a value nests deeper than MaxDepth.
var ErrDepth = errors.New("value nests too deeply")

// SyntaxError is a malformed JSON input; Offset is the byte offset where it was noticed.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return "jsonmp: invalid JSON at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}
