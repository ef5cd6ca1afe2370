package aiwfrt

import (
	"net/netip"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The format checks of the aiwf validator (aiwf/_ir/formats.py): the same rules, so every
// runner accepts and refuses the same strings. A pattern ending in `\n?$` mirrors Python's
// `$`, which also matches before a final newline.
// space is what Python's \s matches in a str (Unicode white space), as a class body.
const space = `\t\n\v\f\r \x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`

var (
	dateRE     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}\n?$`)
	timeRE     = regexp.MustCompile(`^\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})\n?$`)
	emailRE    = regexp.MustCompile(`^[^@` + space + `]+@[^@` + space + `]+\.[^@` + space + `]+\n?$`)
	hostRE     = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\n?$`)
	uriRE      = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:[^` + space + `]*\n?$`)
	uriRefRE   = regexp.MustCompile(`^[^` + space + `]*\n?$`)
	durationRE = regexp.MustCompile(`^P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?\n?$`)
)

// CheckFormat reports whether s is a valid value of format; unknown formats pass (they are
// annotations).
func CheckFormat(format, s string) bool {
	switch format {
	case "date":
		return validDate(s)
	case "time":
		return validTime(s)
	case "date-time":
		return validDateTime(s)
	case "duration":
		return validDuration(s)
	case "email":
		return emailRE.MatchString(s)
	case "hostname":
		// (?=.{1,253}$): 1 to 253 characters, no newline among them.
		body := strings.TrimSuffix(s, "\n")
		n := utf8.RuneCountInString(body)
		return n >= 1 && n <= 253 && !strings.Contains(body, "\n") && hostRE.MatchString(s)
	case "ipv4", "ipv6":
		addr, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		if format == "ipv4" {
			return addr.Is4()
		}
		return addr.Is6()
	case "uri":
		return uriRE.MatchString(s)
	case "uri-reference":
		return uriRefRE.MatchString(s)
	case "uuid":
		return validUUID(s)
	case "regex":
		_, err := regexp.Compile(s)
		return err == nil
	}
	return true
}

func validDate(s string) bool {
	if !dateRE.MatchString(s) {
		return false
	}
	_, err := time.Parse("2006-01-02", s) // a final newline fails here, as in Python
	return err == nil
}

func validTime(s string) bool {
	if !timeRE.MatchString(s) {
		return false
	}
	return validClock(s[:8])
}

// validClock is Python's time.fromisoformat on "HH:MM:SS".
func validClock(s string) bool {
	if len(s) != 8 || s[2] != ':' || s[5] != ':' {
		return false
	}
	h, m, sec := twoDigits(s[0:2]), twoDigits(s[3:5]), twoDigits(s[6:8])
	return h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60
}

func twoDigits(s string) int {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return -1
	}
	return int(s[0]-'0')*10 + int(s[1]-'0')
}

func validDateTime(s string) bool {
	if len(s) < 11 || !strings.ContainsRune("Tt ", rune(s[10])) {
		return false
	}
	return validDate(s[:10]) && validTime(s[11:])
}

func validDuration(s string) bool {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	rest := strings.TrimSuffix(s[1:], "\n")
	if rest == "" { // (?!$): something after the P
		return false
	}
	if m[5] != "" { // (?=\d): a digit after the T
		t := strings.Index(s, "T")
		if t+1 >= len(s) || s[t+1] < '0' || s[t+1] > '9' {
			return false
		}
	}
	return true
}

// validUUID is Python's uuid.UUID on a 36-character string: braces at the ends and
// hyphens anywhere are dropped, and 32 hex digits must remain.
func validUUID(s string) bool {
	if utf8.RuneCountInString(s) != 36 {
		return false
	}
	hex := strings.ReplaceAll(strings.ReplaceAll(s, "urn:", ""), "uuid:", "")
	hex = strings.ReplaceAll(strings.Trim(hex, "{}"), "-", "")
	if len(hex) != 32 {
		return false
	}
	for _, c := range hex {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}
