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

// hasTopKey reports whether the record has a top-level key, from the entries the walk located.
func (sc *scan) hasTopKey(key []byte) bool {
	for _, e := range sc.entries {
		if e.key >= 0 && bytes.Equal(sc.rec[e.key:e.val], key) {
			return true
		}
	}
	return false
}

// mergeable reports whether a member of the app's JSON is lifted into the record.
func (p *Processor) mergeable(key []byte, pl *plan, sc *scan) bool {
	if bytes.Equal(key, sc.msgKey) {
		return true // replaces the message field, which goes
	}
	if sc.hasTopKey(key) {
		return false
	}
	for i := 0; i < numOut; i++ {
		if pl.wants(i) && string(key) == p.cfg.keys[i] {
			return false
		}
	}
	return true
}

// buildMerge transcodes the members to lift, as msgpack key/value pairs, into sc.merge and
// returns their number. Any member that is not valid JSON, or that would land on an output
// key tracelink owns but is not writing (it would look like tracelink's own output), makes
// the whole line stay unmerged.
func (p *Processor) buildMerge(pl *plan, sc *scan) (uint32, error) {
	var n uint32
	sc.merge = sc.merge[:0]
	err := sc.forEachMember(sc.msg.s, func(key, val []byte) error {
		for i := outTrace; i <= outSourceLoc; i++ {
			if !pl.wants(i) && p.cfg.keys[i] != "" && string(key) == p.cfg.keys[i] {
				return fmt.Errorf("merge log: member %q collides with an output key", key)
			}
		}
		mark := len(sc.merge)
		sc.merge = msgp.AppendStringFromBytes(sc.merge, key)
		var rest []byte
		var err error
		if sc.merge, rest, err = jsonmp.AppendMsgpack(sc.merge, val); err != nil || len(skipWS(rest)) != 0 {
			return fmt.Errorf("merge log: member %q is not valid JSON: %v", key, err)
		}
		if !p.mergeable(key, pl, sc) {
			sc.merge = sc.merge[:mark] // validated, but the record's own key wins
			return nil
		}
		n++
		return nil
	})
	return n, err
}
