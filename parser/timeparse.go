package parser

// daysFromCivil returns days since 1970-01-01 for a proleptic Gregorian date.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	if y >= 0 && m >= 1 && m <= 12 && d >= 0 {
		// The same in unsigned arithmetic (cheaper divisions), for every year a log can carry.
		uy, um, ud := uint64(y), uint64(m), uint64(d)
		era := uy / 400
		yoe := uy - era*400
		mp := um - 3
		if um <= 2 {
			mp = um + 9
		}
		doy := (153*mp+2)/5 + ud - 1
		doe := yoe*365 + yoe/4 - yoe/100 + doy
		return int64(era*146097+doe) - 719468
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func digits(s []byte, n int) (int64, bool) {
	if len(s) < n {
		return 0, false
	}
	var v int64
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// twoDigits reads two ASCII decimal digits.
func twoDigits(a, b byte) (int64, bool) {
	a, b = a-'0', b-'0'
	return int64(a)*10 + int64(b), a <= 9 && b <= 9
}

var daysIn = [13]int64{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// parseZonedTime reads "YYYY-MM-DD[T ]hh:mm:ss[.,fraction](Z|±hh:mm|±hhmm)" at the start of s.
// A time without a zone is ambiguous and is refused. It returns the bytes consumed.
func parseZonedTime(s []byte) (EventTime, int, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':' {
		return EventTime{}, 0, false
	}
	// Find the zone first: an unzoned time is refused before any arithmetic.
	i := 19
	var frac []byte // the fraction's digits
	if s[19] == '.' || s[19] == ',' {
		i = 20
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 20 {
			return EventTime{}, 0, false
		}
		frac = s[20:i]
	}
	if i < len(s) && s[i] == ' ' && i+1 < len(s) && (s[i+1] == '+' || s[i+1] == '-' || s[i+1] == 'Z') {
		i++
	}
	if i >= len(s) || (s[i] != 'Z' && s[i] != 'z' && s[i] != '+' && s[i] != '-') {
		return EventTime{}, 0, false
	}
	yh, ok1 := twoDigits(s[0], s[1])
	yl, ok2 := twoDigits(s[2], s[3])
	mo, ok3 := twoDigits(s[5], s[6])
	d, ok4 := twoDigits(s[8], s[9])
	h, ok5 := twoDigits(s[11], s[12])
	mi, ok6 := twoDigits(s[14], s[15])
	sec, ok7 := twoDigits(s[17], s[18])
	y := yh*100 + yl
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > daysIn[mo] || h > 23 || mi > 59 || sec > 60 {
		return EventTime{}, 0, false
	}
	if mo == 2 && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		return EventTime{}, 0, false
	}
	var nsec int64
	scale := int64(100000000)
	for _, c := range frac {
		nsec += int64(c-'0') * scale // digits past the ninth add 0
		scale /= 10
	}
	var offset int64
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		sign := int64(1)
		if s[i] == '-' {
			sign = -1
		}
		oh, ok := digits(s[i+1:], 2)
		if !ok {
			return EventTime{}, 0, false
		}
		j := i + 3
		var om int64
		if j < len(s) && s[j] == ':' {
			j++
		}
		if v, ok := digits(s[j:], 2); ok {
			om = v
			j += 2
		} else if s[j-1] == ':' {
			return EventTime{}, 0, false
		}
		if oh > 23 || om > 59 {
			return EventTime{}, 0, false
		}
		offset = sign * (oh*3600 + om*60)
		i = j
	default:
		return EventTime{}, 0, false
	}
	if i < len(s) && (s[i] >= '0' && s[i] <= '9') {
		return EventTime{}, 0, false
	}
	if sec == 60 {
		sec = 59
	}
	unix := daysFromCivil(y, mo, d)*86400 + h*3600 + mi*60 + sec - offset
	return EventTime{Sec: unix, Nsec: nsec}, i, true
}

// Plausible epoch ranges: 2001-09-09 .. 2286-11-20 in each unit.
const (
	minEpochSec = 1_000_000_000
	maxEpochSec = 9_999_999_999
)

// epochTime reads a number of seconds, milliseconds, microseconds or nanoseconds since the
// epoch, telling the unit from the magnitude. Values outside every plausible range are refused.
func epochTime(intPart uint64, frac float64) (EventTime, bool) {
	switch {
	case intPart >= minEpochSec && intPart <= maxEpochSec:
		return EventTime{Sec: int64(intPart), Nsec: int64(frac * 1e9)}, true
	case intPart >= minEpochSec*1e3 && intPart <= maxEpochSec*1e3:
		return EventTime{Sec: int64(intPart / 1e3), Nsec: int64(intPart%1e3)*1e6 + int64(frac*1e6)}, true
	case intPart >= minEpochSec*1e6 && intPart <= maxEpochSec*1e6:
		return EventTime{Sec: int64(intPart / 1e6), Nsec: int64(intPart%1e6) * 1e3}, true
	case intPart >= minEpochSec*1e9 && intPart <= maxEpochSec*1e9:
		return EventTime{Sec: int64(intPart / 1e9), Nsec: int64(intPart % 1e9)}, true
	}
	return EventTime{}, false
}

// timeOf reads an event time from a value of any type.
func timeOf(v value) (EventTime, bool) {
	switch v.kind {
	case vkString:
		t, n, ok := parseZonedTime(skipWS(v.s))
		if ok && n == len(skipWS(v.s)) {
			return t, true
		}
	case vkUint:
		return epochTime(v.u, 0)
	case vkFloat:
		if v.float() > 0 && v.float() < 1e19 {
			ip := uint64(v.float())
			return epochTime(ip, v.float()-float64(ip))
		}
	case vkNumber:
		s := v.s
		dot := -1
		for i, c := range s {
			if c == '.' {
				dot = i
			} else if c < '0' || c > '9' {
				return EventTime{}, false
			}
		}
		if dot < 0 {
			if u, ok := parseDec64(s); ok {
				return epochTime(u, 0)
			}
			return EventTime{}, false
		}
		ip, ok := parseDec64(s[:dot])
		if !ok {
			return EventTime{}, false
		}
		var frac float64
		scale := 0.1
		for _, c := range s[dot+1:] {
			frac += float64(c-'0') * scale
			scale /= 10
		}
		return epochTime(ip, frac)
	}
	return EventTime{}, false
}
