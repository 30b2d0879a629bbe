package productkey

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/volact/volact/internal/hresult"
)

func TestGoldenKey(t *testing.T) {
	k := mustMint(t, goldenFields)
	if got := k.String(); got != goldenKey {
		t.Fatalf("Mint(%+v) = %s, want %s (the key format changed)", goldenFields, got, goldenKey)
	}
	if ref := refKey(goldenFields, k.MAC); ref != goldenKey {
		t.Fatalf("reference encoder gives %s, want %s", ref, goldenKey)
	}
}

func TestParseAndNormalize(t *testing.T) {
	lower := strings.ToLower(goldenKey)
	bare := strings.ReplaceAll(goldenKey, "-", "")
	dashed := func(sep string) string { return strings.ReplaceAll(goldenKey, "-", sep) }
	// A key that Normalize accepts but whose check symbols are wrong.
	badCheck := goldenKey[:28] + "C"
	// Two neighbouring symbols swapped.
	swapped := "D263F" + goldenKey[5:]
	// Valid check symbols around fields that Parse must refuse.
	version5 := refKey(Fields{Version: 5, Type: Retail, Product: 1}, 0)
	version0 := refKey(Fields{Version: 0, Type: Retail, Product: 1}, 0)
	makZero := refKey(Fields{Version: 1, Type: MAK, Product: 1}, 0)
	retailCount := refKey(Fields{Version: 1, Type: Retail, Product: 1, Activations: 3}, 0)
	overflow := refWithCheck([]int{23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23, 23})

	tests := []struct {
		name    string
		in      string
		norm    string // Normalize result; "" when Normalize fails
		wantErr string // substring of Parse's error; "" when Parse succeeds
	}{
		{"canonical", goldenKey, goldenKey, ""},
		{"lower case", lower, goldenKey, ""},
		{"mixed case", "d236F-64crw-4HdJq-RM2v3-vQqRb", goldenKey, ""},
		{"no separators", bare, goldenKey, ""},
		{"spaces", dashed(" "), goldenKey, ""},
		{"en dashes", dashed("\u2013"), goldenKey, ""},
		{"em dashes", dashed("\u2014"), goldenKey, ""},
		{"hyphen U+2010", dashed("\u2010"), goldenKey, ""},
		{"non-breaking hyphen", dashed("\u2011"), goldenKey, ""},
		{"minus sign", dashed("\u2212"), goldenKey, ""},
		{"surrounding white space", " \t" + goldenKey + "\r\n", goldenKey, ""},
		{"separators anywhere", "D2 36F6-4CRW4H DJQ--RM2V3\u2013VQ QRB", goldenKey, ""},
		{"empty", "", "", "product key is empty"},
		{"only separators", " - \u2013 ", "", "product key is empty"},
		{"24 symbols", goldenKey[:28], "", "product key has 24 symbols, want 25"},
		{"26 symbols", goldenKey + "B", "", "product key has 26 symbols, want 25"},
		{"one group", "D236F", "", "product key has 5 symbols, want 25"},
		{"letter O", "O" + goldenKey[1:], "", "product key contains 'O', which is not a key symbol (allowed: " + Alphabet + ")"},
		{"lower-case o", "o" + goldenKey[1:], "", "contains 'o', which is not a key symbol"},
		{"digit 0", goldenKey[:6] + "0" + goldenKey[7:], "", "contains '0'"},
		{"digit 1", goldenKey[:6] + "1" + goldenKey[7:], "", "contains '1'"},
		{"digit 5", goldenKey[:6] + "5" + goldenKey[7:], "", "contains '5'"},
		{"letter I", goldenKey[:12] + "I" + goldenKey[13:], "", "contains 'I'"},
		{"letter A", goldenKey[:12] + "A" + goldenKey[13:], "", "contains 'A'"},
		{"letter E", goldenKey[:12] + "E" + goldenKey[13:], "", "contains 'E'"},
		{"letter L", goldenKey[:12] + "L" + goldenKey[13:], "", "contains 'L'"},
		{"letter S", goldenKey[:12] + "S" + goldenKey[13:], "", "contains 'S'"},
		{"underscore separator", strings.ReplaceAll(goldenKey, "-", "_"), "", "contains '_'"},
		{"full-width letter", "\uFF24" + goldenKey[1:], "", `contains 'Ｄ'`},
		{"Cyrillic look-alike", "\u0412" + goldenKey[1:], "", "contains 'В'"},
		{"zero-width space", goldenKey[:5] + "\u200b" + goldenKey[5:], "", `contains '\u200b'`},
		{"byte order mark", "\uFEFF" + goldenKey, "", `contains '\ufeff'`},
		{"right-to-left override", "\u202E" + goldenKey, "", `contains '\u202e'`},
		{"emoji", goldenKey + " 🔑", "", "contains '🔑'"},
		{"NUL", goldenKey + "\x00", "", `contains '\x00'`},
		{"invalid UTF-8", goldenKey[:10] + "\xff" + goldenKey[10:], "", "contains a byte that is not UTF-8 text"},
		{"wrong check symbol", badCheck, badCheck, "product key check symbols do not match: probably a typo"},
		{"adjacent swap", swapped, swapped, "check symbols do not match"},
		{"version 5", version5, version5, "product key version 5 is not supported"},
		{"version 0", version0, version0, "product key version 0 is not supported"},
		{"MAK without limit", makZero, makZero, "MAK with an activation limit of 0"},
		{"retail with limit", retailCount, retailCount, "product key of type retail carries an activation limit"},
		{"payload too large", overflow, overflow, "payload is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			norm, err := Normalize(tt.in)
			if tt.norm == "" {
				if err == nil {
					t.Fatalf("Normalize = %q, want error", norm)
				}
				wantInvalidKey(t, tt.in, err)
			} else if err != nil || norm != tt.norm {
				t.Fatalf("Normalize = %q, %v; want %q", norm, err, tt.norm)
			}

			k, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Parse succeeded (%+v), want error %q", k.Fields, tt.wantErr)
				}
				he := wantInvalidKey(t, tt.in, err)
				if !strings.Contains(he.Msg, tt.wantErr) {
					t.Errorf("Parse error %q, want it to contain %q", he.Msg, tt.wantErr)
				}
				if k != (Key{}) {
					t.Errorf("Parse returned a non-zero key with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if k.String() != goldenKey || k.Fields != goldenFields || !k.VerifyMAC(testSecret) {
				t.Errorf("Parse = %s %+v, want %s %+v with a valid MAC", k.String(), k.Fields, goldenKey, goldenFields)
			}
		})
	}
}

func TestRoundTripAndMAC(t *testing.T) {
	fields := []Fields{
		{Type: Retail},
		{Type: Retail, Product: 1, Serial: 1},
		{Type: MAK, Product: 7, Activations: 1, Serial: 9},
		{Type: MAK, Product: MaxProduct, Activations: MaxActivations, Serial: MaxSerial},
		{Type: KMSClient, Product: 300},
		{Type: KMSHost, Product: MaxProduct, Serial: MaxSerial},
	}
	other := []byte("another-secret")
	for _, f := range fields {
		k := mustMint(t, f)
		want := f
		want.Version = CurrentVersion
		if k.Fields != want {
			t.Errorf("Mint(%+v).Fields = %+v, want Version filled in", f, k.Fields)
		}
		if k.MAC >= 1<<42 {
			t.Errorf("MAC %#x has more than 42 bits", k.MAC)
		}
		if ref := refKey(want, k.MAC); k.String() != ref {
			t.Errorf("Mint(%+v) = %s, reference encoder gives %s", f, k.String(), ref)
		}
		got, err := Parse(k.String())
		if err != nil {
			t.Fatalf("Parse(minted %+v): %v", f, err)
		}
		if got != k {
			t.Errorf("Parse(Mint(%+v)) = %+v MAC %#x, want %+v MAC %#x", f, got.Fields, got.MAC, k.Fields, k.MAC)
		}
		if !got.VerifyMAC(testSecret) {
			t.Errorf("VerifyMAC(right secret) = false for %+v", f)
		}
		if got.VerifyMAC(other) || got.VerifyMAC(nil) {
			t.Errorf("VerifyMAC(wrong or empty secret) = true for %+v", f)
		}
		forged, _ := Mint(f, other)
		if forged.VerifyMAC(testSecret) {
			t.Errorf("a key minted with another secret verifies for %+v", f)
		}

		changes := map[string]func(*Key){
			"version":     func(k *Key) { k.Version++ },
			"type":        func(k *Key) { k.Type ^= 1 },
			"product":     func(k *Key) { k.Product ^= 1 },
			"activations": func(k *Key) { k.Activations ^= 1 },
			"serial":      func(k *Key) { k.Serial ^= 1 << 27 },
			"MAC":         func(k *Key) { k.MAC ^= 1 << 41 },
		}
		for name, change := range changes {
			changed := got
			change(&changed)
			if changed.VerifyMAC(testSecret) {
				t.Errorf("VerifyMAC = true after changing %s of %+v", name, f)
			}
		}
	}
	if (Key{}).VerifyMAC(testSecret) {
		t.Error("the zero Key verifies")
	}
}

func TestMintRejectsBadFields(t *testing.T) {
	tests := []struct {
		name   string
		f      Fields
		secret []byte
		want   string
	}{
		{"version 2", Fields{Version: 2, Type: Retail}, testSecret, "version 2 is not supported"},
		{"unknown type", Fields{Type: 4}, testSecret, "type 4 is unknown"},
		{"product too large", Fields{Type: Retail, Product: MaxProduct + 1}, testSecret, "product id 1024 is out of range"},
		{"serial too large", Fields{Type: Retail, Serial: MaxSerial + 1}, testSecret, "serial 268435456 is out of range"},
		{"MAK without limit", Fields{Type: MAK}, testSecret, "MAK activation limit 0 is out of range (1..1048575)"},
		{"MAK limit too large", Fields{Type: MAK, Activations: MaxActivations + 1}, testSecret, "MAK activation limit 1048576 is out of range"},
		{"KMS host with limit", Fields{Type: KMSHost, Activations: 5}, testSecret, "a kms-host key has no activation limit, got 5"},
		{"empty secret", Fields{Type: Retail}, nil, "non-empty secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Mint(tt.f, tt.secret)
			if err == nil {
				t.Fatalf("Mint = %s, want error", k.Redacted())
			}
			var he *hresult.Error
			if !errors.As(err, &he) || he.Code != hresult.InvalidArg {
				t.Fatalf("error %v is not InvalidArg", err)
			}
			if !strings.Contains(he.Msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", he.Msg, tt.want)
			}
		})
	}
}

func TestType(t *testing.T) {
	tests := []struct {
		in   string
		want Type
		ok   bool
	}{
		{"retail", Retail, true},
		{"MAK", MAK, true},
		{"kms-client", KMSClient, true},
		{"KMS_Client", KMSClient, true},
		{"kmsclient", KMSClient, true},
		{"kms-host", KMSHost, true},
		{"kms_host", KMSHost, true},
		{"KmsHost", KMSHost, true},
		{"kms", 0, false},
		{"", 0, false},
		{"re-tail", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseType(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("ParseType(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if !tt.ok && hresult.CodeOf(err) != hresult.InvalidArg {
			t.Errorf("ParseType(%q) error code %v, want InvalidArg", tt.in, hresult.CodeOf(err))
		}
	}
	for typ, name := range map[Type]string{Retail: "retail", MAK: "mak", KMSClient: "kms-client", KMSHost: "kms-host", 9: "type(9)"} {
		if typ.String() != name {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(typ), typ.String(), name)
		}
	}

	b, err := json.Marshal(Fields{Type: KMSHost, Version: 1})
	if err != nil || !strings.Contains(string(b), `"Type":"kms-host"`) {
		t.Fatalf("json.Marshal = %s, %v; want the type by name", b, err)
	}
	var f Fields
	if err := json.Unmarshal(b, &f); err != nil || f.Type != KMSHost {
		t.Errorf("json.Unmarshal(%s) = %+v, %v", b, f, err)
	}
	if _, err := json.Marshal(Fields{Type: 7}); err == nil {
		t.Error("json.Marshal of an unknown type succeeded")
	}
}

func TestID(t *testing.T) {
	a := mustMint(t, goldenFields)
	b, _ := Parse(strings.ToLower(goldenKey))
	c := mustMint(t, Fields{Type: MAK, Product: 7, Activations: 500, Serial: 43})
	if len(a.ID()) != 32 || strings.Trim(a.ID(), "0123456789abcdef") != "" {
		t.Errorf("ID() = %q, want 32 lower-case hex digits", a.ID())
	}
	if a.ID() != b.ID() {
		t.Error("the same key typed differently has two IDs")
	}
	if a.ID() == c.ID() {
		t.Error("two keys share an ID")
	}
	if (Key{}).ID() != "" {
		t.Error("the zero Key has an ID")
	}
}
