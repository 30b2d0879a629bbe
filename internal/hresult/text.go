package hresult

import "fmt"

// MarshalText writes c as String does (0xC004F050), so a Code field is
// the same string in JSON as the code printed in text.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a code written as [Parse] accepts it.
func (c *Code) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Optional is a code that may be absent, such as the reason of a status:
// the zero value is no code and is written as "" where a [Code] would
// write 0x00000000.
type Optional Code

// Code returns o as a Code (OK when absent).
func (o Optional) Code() Code { return Code(o) }

// Set reports whether o holds a code.
func (o Optional) Set() bool { return o != 0 }

// String is "" when o is absent, else the code as 0xC004F009.
func (o Optional) String() string {
	if !o.Set() {
		return ""
	}
	return Code(o).String()
}

// MarshalText writes o as String does.
func (o Optional) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads "" as absent, else a code as [Parse] accepts it.
func (o *Optional) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*o = 0
		return nil
	}
	var c Code
	if err := c.UnmarshalText(b); err != nil {
		return fmt.Errorf("reason: %w", err)
	}
	*o = Optional(c)
	return nil
}
