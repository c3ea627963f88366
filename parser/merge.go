package parser

import (
	"bytes"
	"fmt"

	"github.com/tinylib/msgp/msgp"

	"github.com/tracelink/tracelink/internal/jsonmp"
)

// Merge_Log lifts the members of the app's JSON line into the record. Record keys and the
// keys the rewrite writes win over members of the same name. This path is taken only when
// the property asks for it, and allocates only for escaped member names.

// forEachMember calls fn with each member's unescaped key and raw value text.
func (sc *scan) forEachMember(obj []byte, fn func(key, val []byte) error) error {
	s := skipWS(obj)
	if len(s) == 0 || s[0] != '{' {
		return fmt.Errorf("merge log: not a JSON object")
	}
	s = skipWS(s[1:])
	if len(s) > 0 && s[0] == '}' {
		return nil
	}
	for {
		if len(s) == 0 || s[0] != '"' {
			return fmt.Errorf("merge log: malformed object")
		}
		key, rest, esc, ok := jsonString(s)
		if !ok {
			return fmt.Errorf("merge log: malformed key")
		}
		if esc {
			var u []byte
			if u, ok = unescapeJSON(nil, key); !ok {
				return fmt.Errorf("merge log: bad escape in key")
			}
			key = u
		}
		s = skipWS(rest)
		if len(s) == 0 || s[0] != ':' {
			return fmt.Errorf("merge log: missing ':'")
		}
		s = skipWS(s[1:])
		after, ok := skipJSONValue(s)
		if !ok {
			return fmt.Errorf("merge log: malformed value")
		}
		if err := fn(key, s[:len(s)-len(after)]); err != nil {
			return err
		}
		s = skipWS(after)
		if len(s) > 0 && s[0] == '}' {
			return nil
		}
		if len(s) == 0 || s[0] != ',' {
			return fmt.Errorf("merge log: malformed object")
		}
		s = skipWS(s[1:])
	}
}

// recordHasKey reports whether the record map has a top-level key.
func recordHasKey(record, key []byte) bool {
	n, b, err := msgp.ReadMapHeaderBytes(record)
	if err != nil {
		return false
	}
	for i := uint32(0); i < n; i++ {
		var k []byte
		if msgp.NextType(b) == msgp.StrType {
			if k, b, err = msgp.ReadStringZC(b); err != nil {
				return false
			}
		} else if b, err = msgp.Skip(b); err != nil {
			return false
		}
		if k != nil && bytes.Equal(k, key) {
			return true
		}
		if b, err = msgp.Skip(b); err != nil {
			return false
		}
	}
	return false
}

// mergeable reports whether a member of the app's JSON is lifted into the record.
func (p *Processor) mergeable(record, key []byte, pl *plan, sc *scan) bool {
	if bytes.Equal(key, sc.msgKey) {
		return true // replaces the message field, which goes
	}
	if recordHasKey(record, key) {
		return false
	}
	for i := 0; i < numOut; i++ {
		if pl.want[i] && string(key) == p.cfg.keys[i] {
			return false
		}
	}
	return true
}

func (p *Processor) countMerge(record []byte, pl *plan, sc *scan) (uint32, error) {
	var n uint32
	err := sc.forEachMember(sc.msg.s, func(key, val []byte) error {
		if _, rest, err := jsonmp.AppendMsgpack(nil, val); err != nil || len(skipWS(rest)) != 0 {
			return fmt.Errorf("merge log: member %q is not valid JSON: %v", key, err)
		}
		for i := outTrace; i <= outSourceLoc; i++ {
			if !pl.want[i] && p.cfg.keys[i] != "" && string(key) == p.cfg.keys[i] {
				// The member would land on a key tracelink owns but is not writing: lifting it
				// would make it look like tracelink's own output. Keep the line unmerged.
				return fmt.Errorf("merge log: member %q collides with an output key", key)
			}
		}
		if p.mergeable(record, key, pl, sc) {
			n++
		}
		return nil
	})
	return n, err
}

func (p *Processor) appendMerge(dst, record []byte, pl *plan, sc *scan) ([]byte, error) {
	err := sc.forEachMember(sc.msg.s, func(key, val []byte) error {
		if !p.mergeable(record, key, pl, sc) {
			return nil
		}
		dst = msgp.AppendStringFromBytes(dst, key)
		var err error
		dst, _, err = jsonmp.AppendMsgpack(dst, val)
		return err
	})
	return dst, err
}
