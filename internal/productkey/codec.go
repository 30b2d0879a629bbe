package productkey

import "math/bits"

// Layout of a key (design §3): 23 payload symbols, then two check symbols.
const (
	numSymbols  = 25
	numPayload  = 23
	base        = 24  // len(Alphabet)
	checkModule = 571 // prime; see checkSum
)

// Bit widths of the 105-bit payload, most significant field first.
const (
	versionBits     = 3
	typeBits        = 2
	productBits     = 10
	activationsBits = 20
	serialBits      = 28
	macBits         = 42
	headerBits      = versionBits + typeBits + productBits + activationsBits + serialBits // 63
)

// Largest values of the fields.
const (
	MaxProduct     = 1<<productBits - 1     // 1023
	MaxActivations = 1<<activationsBits - 1 // 1,048,575
	MaxSerial      = 1<<serialBits - 1      // 268,435,455
	macMask        = 1<<macBits - 1
)

// symbolValue maps an upper-case ASCII byte to its value in Alphabet, or -1.
var symbolValue = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(Alphabet); i++ {
		t[Alphabet[i]] = int8(i)
	}
	return t
}()

// symbols is a key as symbol values 0..23, in reading order.
type symbols [numSymbols]byte

// weight is the check weight of position i: 1..23 for the payload, then 24
// and 1 for the check symbols c1 and c2, so that 24*c1 + c2 adds T.
func weight(i int) int {
	switch i {
	case numPayload:
		return base
	case numPayload + 1:
		return 1
	}
	return i + 1
}

// checkSum is sum(weight(i) * v_i) mod 571. It is 0 for a valid key.
//
// Every single-symbol substitution changes the sum by w*d with 1 <= w <= 24
// and 0 < |d| <= 23, never a multiple of the prime 571. Swapping positions
// i and i+1 changes it by (w_i - w_{i+1}) * (v_{i+1} - v_i), and adjacent
// weights differ by 1 or 23, so that is never a multiple of 571 either.
func checkSum(s *symbols) int {
	sum := 0
	for i, v := range s {
		sum += weight(i) * int(v)
	}
	return sum % checkModule
}

// header packs every field except the MAC into 63 bits, version first.
func header(f Fields) uint64 {
	h := uint64(f.Version)
	h = h<<typeBits | uint64(f.Type)
	h = h<<productBits | uint64(f.Product)
	h = h<<activationsBits | uint64(f.Activations)
	h = h<<serialBits | uint64(f.Serial)
	return h
}

// splitHeader is the inverse of header.
func splitHeader(h uint64) Fields {
	var f Fields
	f.Serial = uint32(h & MaxSerial)
	h >>= serialBits
	f.Activations = uint32(h & MaxActivations)
	h >>= activationsBits
	f.Product = uint16(h & MaxProduct)
	h >>= productBits
	f.Type = Type(h & (1<<typeBits - 1))
	h >>= typeBits
	f.Version = uint8(h)
	return f
}

// encode writes fields and mac as 23 base-24 digits and adds the check
// symbols. f must already be within range.
func encode(f Fields, mac uint64) symbols {
	// The payload is header<<42 | mac, 105 bits, held as hi:lo.
	h := header(f)
	hi := h >> (64 - macBits)
	lo := h<<macBits | mac&macMask

	var s symbols
	for i := numPayload - 1; i >= 0; i-- {
		var r uint64
		hi, r = hi/base, hi%base
		lo, r = bits.Div64(r, lo, base)
		s[i] = byte(r)
	}
	t := (checkModule - checkSum(&s)) % checkModule
	s[numPayload] = byte(t / base)
	s[numPayload+1] = byte(t % base)
	return s
}

// decode reads the payload of s. ok is false when the 23 digits hold a
// number of 2^105 or more, which no key encodes.
func decode(s *symbols) (f Fields, mac uint64, ok bool) {
	var hi, lo uint64
	for _, v := range s[:numPayload] {
		carry, l := bits.Mul64(lo, base)
		l, c := bits.Add64(l, uint64(v), 0)
		hi = hi*base + carry + c
		lo = l
	}
	if hi>>(headerBits-(64-macBits)) != 0 {
		return Fields{}, 0, false
	}
	h := hi<<(64-macBits) | lo>>macBits
	return splitHeader(h), lo & macMask, true
}
