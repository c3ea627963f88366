package parser

// keyFilter is a cheap pre-check in front of the key maps: most record keys (kubernetes
// labels, app fields) are not ours, and rejecting them by (length, first byte, last byte)
// avoids lowercasing and hashing them.
type keyFilter [64 * 32 * 32 / 64]uint64

func filterSlot(n int, first, last byte) (int, uint64) {
	idx := (n&63)<<10 | int(lowerASCII(first)&31)<<5 | int(lowerASCII(last)&31)
	return idx >> 6, 1 << (idx & 63)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func (f *keyFilter) add(k string) {
	i, bit := filterSlot(len(k), k[0], k[len(k)-1])
	f[i] |= bit
}

// mayMatch reports whether a key of this shape could be in the tables.
func (f *keyFilter) mayMatch(n int, first, last byte) bool {
	i, bit := filterSlot(n, first, last)
	return f[i]&bit != 0
}

// tableFilter covers every key of keyFields, metaFields and textOnlyFields, and also the
// last dotted segment of each, which a nested map presents on its own ("dd" -> "trace_id").
var tableFilter = func() *keyFilter {
	f := new(keyFilter)
	for _, m := range []map[string]field{keyFields, metaFields, textOnlyFields} {
		for k := range m {
			f.add(k)
			for i := len(k) - 1; i > 0; i-- {
				if k[i] == '.' {
					f.add(k[i+1:])
				}
			}
		}
	}
	return f
}()

// mightBeOurs is the fast path test for a key inside a map named parent.
func mightBeOurs(parent, key []byte) bool {
	if len(key) == 0 {
		return false
	}
	if tableFilter.mayMatch(len(key), key[0], key[len(key)-1]) {
		return true
	}
	return len(parent) > 0 && tableFilter.mayMatch(len(parent)+1+len(key), parent[0], key[len(key)-1])
}
