package jsonmp

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"
)

// mp builds expected msgpack with msgp's own writers.
func mp(parts ...func([]byte) []byte) []byte {
	var b []byte
	for _, p := range parts {
		b = p(b)
	}
	return b
}

func str(s string) func([]byte) []byte {
	return func(b []byte) []byte { return msgp.AppendString(b, s) }
}
func i64(v int64) func([]byte) []byte { return func(b []byte) []byte { return msgp.AppendInt64(b, v) } }
func u64(v uint64) func([]byte) []byte {
	return func(b []byte) []byte { return msgp.AppendUint64(b, v) }
}
func f64(v float64) func([]byte) []byte {
	return func(b []byte) []byte { return msgp.AppendFloat64(b, v) }
}
func mapN(n uint32) func([]byte) []byte {
	return func(b []byte) []byte { return msgp.AppendMapHeader(b, n) }
}
func arrN(n uint32) func([]byte) []byte {
	return func(b []byte) []byte { return msgp.AppendArrayHeader(b, n) }
}
func raw(r ...byte) func([]byte) []byte { return func(b []byte) []byte { return append(b, r...) } }

func TestAppendMsgpack(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name, in string
		want     []byte
		rest     string
	}{
		{"null", "null", mp(raw(0xc0)), ""},
		{"bools", "[true,false]", mp(arrN(2), raw(0xc3, 0xc2)), ""},
		{"small int", "42", mp(i64(42)), ""},
		{"negative", "-7", mp(i64(-7)), ""},
		{"minus zero int", "-0", mp(i64(0)), ""},
		{"int64 max", "9223372036854775807", mp(i64(math.MaxInt64)), ""},
		{"int64 min", "-9223372036854775808", mp(i64(math.MinInt64)), ""},
		{"uint64 above int64", "9223372036854775808", mp(u64(1 << 63)), ""},
		{"uint64 max", "18446744073709551615", mp(u64(math.MaxUint64)), ""},
		{"beyond uint64 is float", "18446744073709551616", mp(f64(18446744073709551616)), ""},
		{"below int64 min is float", "-9223372036854775809", mp(f64(-9223372036854775809)), ""},
		{"dd span id kept exact", "13006875827893840236", mp(u64(13006875827893840236)), ""},
		{"fraction", "1.5", mp(f64(1.5)), ""},
		{"exponent", "1e2", mp(f64(100)), ""},
		{"negative exponent", "-2.5E-3", mp(f64(-0.0025)), ""},
		{"plain string", `"abc"`, mp(str("abc")), ""},
		{"escapes", `"a\"b\\c\/d\b\f\n\r\t"`, mp(str("a\"b\\c/d\b\f\n\r\t")), ""},
		{"unicode escape", `"\u00e9\u4e2d"`, mp(str("é中")), ""},
		{"surrogate pair", `"\ud83d\ude00"`, mp(str("😀")), ""},
		{"lone high surrogate", `"\ud83dA"`, mp(str("\ufffdA")), ""},
		{"high surrogate then escape", `"\ud83d\u0041"`, mp(str("\ufffdA")), ""},
		{"lone low surrogate", `"\ude00"`, mp(str("\ufffd")), ""},
		{"invalid utf8 replaced", "\"a\xffb\"", mp(str("a\ufffdb")), ""},
		{"long string header", `"` + long + `"`, mp(str(long)), ""},
		{"long escaped string header", `"\n` + long + `"`, mp(str("\n" + long)), ""},
		{"object order kept", `{"b":1,"a":[1,"x"],"c":{}}`,
			mp(mapN(3), str("b"), i64(1), str("a"), arrN(2), i64(1), str("x"), str("c"), mapN(0)), ""},
		{"whitespace", " \t\r\n{ \"k\" : [ ] } \n", mp(mapN(1), str("k"), arrN(0)), ""},
		{"rest after value", `{"a":1} {"b":2}`, mp(mapN(1), str("a"), i64(1)), `{"b":2}`},
		{"rest after number", `12,3`, mp(i64(12)), `,3`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte{0xee}
			out, rest, err := AppendMsgpack(prefix, []byte(tc.in))
			if err != nil {
				t.Fatalf("AppendMsgpack(%q): %v", tc.in, err)
			}
			if !bytes.Equal(out[1:], tc.want) || out[0] != 0xee {
				t.Errorf("AppendMsgpack(%q) = % x, want % x", tc.in, out[1:], tc.want)
			}
			if string(rest) != tc.rest {
				t.Errorf("rest = %q, want %q", rest, tc.rest)
			}
		})
	}
}

func TestAppendMsgpackLargeContainers(t *testing.T) {
	// 70000 members need a 32-bit map header; 40 need a 16-bit array header.
	var sb strings.Builder
	sb.WriteString("{")
	for i := 0; i < 70000; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	sb.WriteString("}")
	out, _, err := AppendMsgpack(nil, []byte(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	n, o, err := msgp.ReadMapHeaderBytes(out)
	if err != nil || n != 70000 || out[0] != 0xdf {
		t.Fatalf("map header = %d (%#x), %v", n, out[0], err)
	}
	k, o, _ := msgp.ReadStringBytes(o)
	v, _, _ := msgp.ReadInt64Bytes(o)
	if k != "k0" || v != 0 {
		t.Errorf("first member = %q:%d", k, v)
	}
	arr := "[" + strings.TrimSuffix(strings.Repeat("1,", 40), ",") + "]"
	out, _, err = AppendMsgpack(nil, []byte(arr))
	if err != nil || out[0] != 0xdc || len(out) != 3+40 {
		t.Fatalf("array: % x, %v", out[:3], err)
	}
}

func TestAppendMsgpackErrors(t *testing.T) {
	tests := []struct {
		in      string
		syntax  bool
		isError error
	}{
		{"", true, nil},
		{"   ", true, nil},
		{"{", true, nil},
		{`{"a"}`, true, nil},
		{`{"a":}`, true, nil},
		{`{"a":1,}`, true, nil},
		{`{a:1}`, true, nil},
		{`[1,]`, true, nil},
		{`[1 2]`, true, nil},
		{`"abc`, true, nil},
		{`"a\x"`, true, nil},
		{`"\u12"`, true, nil},
		{"\"a\tb\"", true, nil},
		{`tru`, true, nil},
		{`nul`, true, nil},
		{`01`, false, nil}, // valid "0" followed by rest "1": checked below
		{`-`, true, nil},
		{`1.`, true, nil},
		{`1e`, true, nil},
		{`.5`, true, nil},
		{`+1`, true, nil},
		{`1e400`, false, ErrNumberRange},
		{`-1e400`, false, ErrNumberRange},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), false, ErrDepth},
	}
	for _, tc := range tests {
		name := tc.in
		if len(name) > 20 {
			name = name[:20]
		}
		t.Run(name, func(t *testing.T) {
			dst := []byte("keep")
			out, rest, err := AppendMsgpack(dst, []byte(tc.in))
			if tc.in == "01" {
				if err != nil || string(rest) != "1" {
					t.Fatalf("01: rest %q err %v, want rest \"1\"", rest, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("AppendMsgpack(%q) succeeded, want error", tc.in)
			}
			if string(out) != "keep" || rest != nil {
				t.Errorf("on error out = %q rest = %q, want dst unchanged and nil rest", out, rest)
			}
			var se *SyntaxError
			if tc.syntax != errors.As(err, &se) {
				t.Errorf("error %v: SyntaxError = %v, want %v", err, !tc.syntax, tc.syntax)
			}
			if tc.isError != nil && !errors.Is(err, tc.isError) {
				t.Errorf("error %v is not %v", err, tc.isError)
			}
		})
	}
}

func TestAppendJSON(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"nil", mp(raw(0xc0)), "null"},
		{"bools", mp(arrN(2), raw(0xc3, 0xc2)), "[true,false]"},
		{"fixint", mp(raw(0x05)), "5"},
		{"negative fixint", mp(raw(0xff)), "-1"},
		{"int8", mp(raw(0xd0, 0x80)), "-128"},
		{"int64 min", mp(i64(math.MinInt64)), "-9223372036854775808"},
		{"uint8", mp(raw(0xcc, 0xff)), "255"},
		{"uint64 max", mp(u64(math.MaxUint64)), "18446744073709551615"},
		{"float integral keeps .0", mp(f64(3)), "3.0"},
		{"float negative zero", mp(f64(math.Copysign(0, -1))), "-0.0"},
		{"float fraction", mp(f64(0.1)), "0.1"},
		{"float large", mp(f64(1e21)), "1e+21"},
		{"float tiny", mp(f64(1e-7)), "1e-7"},
		{"float below 1e21", mp(f64(1e20)), "100000000000000000000.0"},
		{"float32", mp(func(b []byte) []byte { return msgp.AppendFloat32(b, 0.1) }), "0.1"},
		{"NaN", mp(f64(math.NaN())), "null"},
		{"Inf", mp(f64(math.Inf(1))), "null"},
		{"string escapes", mp(str("a\"b\\c\n\r\t\b\f\x01\x1f<&>\u2028\u2029é")),
			`"a\"b\\c\n\r\t\b\f\u0001\u001f<&>\u2028\u2029é"`},
		{"invalid utf8", mp(str("a\xff\xfeb\xe2\x82")), `"a\ufffd\ufffdb\ufffd\ufffd"`},
		{"bin", mp(func(b []byte) []byte { return msgp.AppendBytes(b, []byte{0, 1, 2, 0xff}) }), `"AAEC/w=="`},
		{"map order kept", mp(mapN(3), str("z"), i64(1), str("a"), mapN(1), str("k"), str("v"), str("m"), arrN(0)),
			`{"z":1,"a":{"k":"v"},"m":[]}`},
		{"non-string keys", mp(mapN(3), i64(1), str("one"), raw(0xc0), i64(2), arrN(1), str("x"), raw(0xc3)),
			`{"1":"one","null":2,"[\"x\"]":true}`},
		{"fixext", mp(raw(0xd4, 0x05, 0xab)), `{"$ext":5,"data":"qw=="}`},
		{"ext8 timestamp", mp(raw(0xc7, 0x02, 0xff, 0x01, 0x02)), `{"$ext":-1,"data":"AQI="}`},
		{"fixext8 event time", mp(raw(0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 2)), `{"$ext":0,"data":"AAAAAQAAAAI="}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append(append([]byte(nil), tc.in...), 0xc0) // one more value: the rest
			out, rest, err := AppendJSON([]byte("> "), in)
			if err != nil {
				t.Fatalf("AppendJSON: %v", err)
			}
			if string(out) != "> "+tc.want {
				t.Errorf("AppendJSON = %s, want %s", out[2:], tc.want)
			}
			if !bytes.Equal(rest, []byte{0xc0}) {
				t.Errorf("rest = % x, want c0", rest)
			}
		})
	}
}

func TestAppendJSONMatchesEncodingJSONStrings(t *testing.T) {
	for _, s := range []string{"plain", "a\x00b", "\x7f", "\xed\xa0\x80", "ok\u2028", "tab\there", "日本語", "\xf0\x9f\x98"} {
		out, _, err := AppendJSON(nil, msgp.AppendString(nil, s))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSuffix(buf.String(), "\n"); string(out) != want {
			t.Errorf("AppendJSON(%q) = %s, encoding/json = %s", s, out, want)
		}
	}
}

func TestAppendJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"reserved byte", []byte{0xc1}},
		{"short string", []byte{0xa5, 'a'}},
		{"short map", mp(mapN(2), str("a"), i64(1))},
		{"short array", mp(arrN(3), i64(1))},
		{"short float", []byte{0xcb, 0, 0}},
		{"short ext", []byte{0xd8, 1, 2}},
		{"short ext32", []byte{0xc9, 0, 0}},
		{"huge map header", []byte{0xdf, 0xff, 0xff, 0xff, 0xff}},
		{"too deep", bytes.Repeat([]byte{0x91}, MaxDepth+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, rest, err := AppendJSON([]byte("keep"), tc.in)
			if err == nil {
				t.Fatalf("AppendJSON(% x) = %s, want error", tc.in, out)
			}
			if string(out) != "keep" || rest != nil {
				t.Errorf("on error out = %q, rest = % x", out, rest)
			}
		})
	}
}

// equalJSON compares two values decoded with UseNumber: numbers that are both integer
// literals compare exactly, other numbers by their float64 value.
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		bx, okx := new(big.Int).SetString(string(x), 10)
		by, oky := new(big.Int).SetString(string(y), 10)
		if okx && oky {
			return bx.Cmp(by) == 0
		}
		fx, errx := strconv.ParseFloat(string(x), 64)
		fy, erry := strconv.ParseFloat(string(y), 64)
		return errx == nil && erry == nil && fx == fy
	default:
		return reflect.DeepEqual(a, b)
	}
}

func decodeNumber(t testing.TB, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %q: %v", data, err)
	}
	return v
}

// checkRoundTrip asserts the package's contract on one input and is shared by the tests
// and the fuzz targets.
func checkRoundTrip(t testing.TB, in []byte) {
	mp1, rest, err := AppendMsgpack(nil, in)
	valid := json.Valid(in)
	if err != nil {
		if valid && !errors.Is(err, ErrNumberRange) && !errors.Is(err, ErrDepth) {
			t.Fatalf("valid JSON %q rejected: %v", in, err)
		}
		return
	}
	if len(rest) != 0 {
		if valid {
			t.Fatalf("valid JSON %q left rest %q", in, rest)
		}
		return
	}
	if !valid {
		t.Fatalf("invalid JSON %q accepted as % x", in, mp1)
	}
	js1, rest2, err := AppendJSON(nil, mp1)
	if err != nil || len(rest2) != 0 {
		t.Fatalf("AppendJSON(% x) from %q: %v, rest % x", mp1, in, err, rest2)
	}
	if !json.Valid(js1) {
		t.Fatalf("AppendJSON wrote invalid JSON %q from %q", js1, in)
	}
	mp2, _, err := AppendMsgpack(nil, js1)
	if err != nil {
		t.Fatalf("re-reading %q: %v", js1, err)
	}
	if !bytes.Equal(mp1, mp2) {
		t.Fatalf("not stable: %q -> % x -> %q -> % x", in, mp1, js1, mp2)
	}
	if !equalJSON(decodeNumber(t, in), decodeNumber(t, js1)) {
		t.Fatalf("semantics changed: %q -> %q", in, js1)
	}
}

var roundTripSeeds = []string{
	`{"log":"2024-05-01 INFO [dd.trace_id=8545847825299552251 dd.span_id=3711755234730770098] hi","stream":"stdout"}`,
	`{"dd":{"trace_id":"2199711714951426111","span_id":2195427521297530161},"n":13006875827893840236}`,
	`[1, -1, 0, -0, 1.5, 1e2, 1E-9, 123456789012345678901234567890, -9223372036854775809, 9.999e20, 1e21]`,
	`{"s":"\u00e9\ud83d\ude00\ud800\n\t\"\\\/","e":"","u":"\u2028<>&"}`,
	`{"a":{"b":{"c":[null,true,false,{},[]]}}}`,
	`"just a string"`, `3.0`, `-0.0`, `0.1`, `5e-324`, `1.7976931348623157e308`,
	"\"bad \xff utf8\"",
	`{"k":1,"k":2}`,
}

func TestRoundTrip(t *testing.T) {
	for _, s := range roundTripSeeds {
		checkRoundTrip(t, []byte(s))
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range roundTripSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkRoundTrip(t, in)
	})
}

// FuzzAppendJSON feeds arbitrary bytes as msgpack: no panic, and whatever it renders is
// valid JSON that reads back.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range roundTripSeeds {
		if b, _, err := AppendMsgpack(nil, []byte(s)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{0xc7, 0x02, 0xff, 0x01, 0x02})
	f.Add([]byte{0x82, 0x01, 0xc0, 0x91, 0xc3, 0xca, 0x3f, 0x80, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		out, rest, err := AppendJSON(nil, in)
		if err != nil {
			return
		}
		if len(rest) > len(in) {
			t.Fatalf("rest longer than input")
		}
		if !json.Valid(out) {
			t.Fatalf("AppendJSON(% x) wrote invalid JSON %q", in, out)
		}
		if _, _, err := AppendMsgpack(nil, out); err != nil {
			t.Fatalf("AppendMsgpack cannot read back %q: %v", out, err)
		}
	})
}

func TestAppendUnescaped(t *testing.T) {
	for _, c := range []struct {
		body, want string
		ok         bool
	}{
		{`plain`, "plain", true},
		{`a\"b\\c\/d\n\t`, "a\"b\\c/d\n\t", true},
		{`\u00e9\ud83d\ude00`, "é😀", true},
		{`\ud83d`, "\ufffd", true},
		{`trace\u005fid`, "trace_id", true},
		{`bad\x`, "", false},
		{`end\`, "", false},
		{`\u12`, "", false},
	} {
		got, err := AppendUnescaped(nil, []byte(c.body))
		if (err == nil) != c.ok || c.ok && string(got) != c.want {
			t.Errorf("AppendUnescaped(%q) = %q, %v; want %q ok=%v", c.body, got, err, c.want, c.ok)
		}
	}
}
