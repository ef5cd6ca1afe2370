package aiwfrt

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// number is a JSON number as the aiwf validator sees it: a number written without a
// fraction or an exponent is an exact integer, any other is the nearest double (so
// comparisons are exact, as between Python's int and float).
type number struct {
	integer *big.Int // non-nil for integer text
	float   float64  // the double (for integers: the nearest one)
}

func numberOf(n json.Number) number {
	text := string(n)
	if i, ok := smallInteger(text); ok {
		return number{integer: big.NewInt(i), float: float64(i)}
	}
	if !strings.ContainsAny(text, ".eE") {
		if i, ok := new(big.Int).SetString(text, 10); ok {
			f, _ := new(big.Float).SetInt(i).Float64()
			return number{integer: i, float: f}
		}
	}
	f, _ := strconv.ParseFloat(text, 64) // out of range: ±Inf, as Python's float()
	return number{float: f}
}

// isIntegral reports whether the number is an integer in JSON Schema's sense (1.0 is).
func (n number) isIntegral() bool {
	if n.integer != nil {
		return true
	}
	return !math.IsInf(n.float, 0) && n.float == math.Trunc(n.float)
}

func (n number) rat() *big.Rat {
	if n.integer != nil {
		return new(big.Rat).SetInt(n.integer)
	}
	return new(big.Rat).SetFloat64(n.float)
}

// cmp compares exactly: -1, 0 or 1.
func (n number) cmp(m number) int {
	if math.IsInf(n.float, 0) || math.IsInf(m.float, 0) {
		switch {
		case n.float < m.float:
			return -1
		case n.float > m.float:
			return 1
		}
		return 0
	}
	return n.rat().Cmp(m.rat())
}

// sameAs is JSON equality: both compared as doubles, -0.0 apart from 0 as Python's
// json.dumps tells them apart.
func (n number) sameAs(m number) bool {
	return n.float == m.float && math.Signbit(n.float) == math.Signbit(m.float)
}

// multipleOf is the aiwf validator's test: exact for two integers, else the quotient of
// the doubles within 1e-9 of a whole number.
func (n number) multipleOf(d number) bool {
	if n.integer != nil && d.integer != nil {
		if d.integer.Sign() == 0 {
			return false
		}
		return new(big.Int).Rem(n.integer, d.integer).Sign() == 0
	}
	q := n.float / d.float
	if math.IsInf(q, 0) || math.IsNaN(q) {
		return false
	}
	return math.Abs(q-math.RoundToEven(q)) < 1e-9
}

// errNotFinite is the error for NaN and the infinities, which JSON cannot write.
var errNotFinite = errors.New("NaN and infinities are not JSON numbers")

// formatNumber writes a double as ECMAScript's Number::toString does (docs/wire.md §1).
func formatNumber(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", errNotFinite
	}
	if f == 0 {
		return "0", nil
	}
	if f < 0 {
		s, err := formatNumber(-f)
		return "-" + s, err
	}
	// The shortest digits that round-trip: f = 0.DIGITS × 10^n.
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	mantissa, exponent, _ := strings.Cut(sci, "e")
	digits := strings.Replace(mantissa, ".", "", 1)
	e, _ := strconv.Atoi(exponent)
	n, k := e+1, len(digits)
	switch {
	case k <= n && n <= 21:
		return digits + strings.Repeat("0", n-k), nil
	case 0 < n && n <= 21:
		return digits[:n] + "." + digits[n:], nil
	case -6 < n && n <= 0:
		return "0." + strings.Repeat("0", -n) + digits, nil
	}
	head := digits[:1]
	if k > 1 {
		head += "." + digits[1:]
	}
	sign := "+"
	if n-1 < 0 {
		sign = "-"
	}
	return head + "e" + sign + strconv.Itoa(abs(n-1)), nil
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// canonicalNumber is the canonical text of a JSON number (its nearest double).
func canonicalNumber(n json.Number) (string, error) {
	if i, ok := smallInteger(string(n)); ok {
		return formatNumber(float64(i))
	}
	return formatNumber(numberOf(n).float)
}

// smallInteger reads the text of an integer of at most 15 digits (so that its float64 is
// exact, as the big.Int path would give it); ok is false for any other text.
func smallInteger(text string) (int64, bool) {
	digits := text
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	i, err := strconv.ParseInt(text, 10, 64)
	return i, err == nil
}
