package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/cmdutil"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
)

// fixedNow is the clock of every in-process golden test.
var fixedNow = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// goldenDir holds the expected legacy text, byte for byte.
var goldenDir = filepath.Join("..", "..", "testdata", "golden")

// checkGolden compares got with testdata/golden/NAME.golden. With
// UPDATE_GOLDEN=1 it writes the file instead. Nothing is normalised.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name+".golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (UPDATE_GOLDEN=1 rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

// utcLocal makes the slmgr times (printed in local time) independent of
// the machine's time zone for the duration of the test.
func utcLocal(t *testing.T) {
	old := time.Local
	time.Local = time.UTC
	t.Cleanup(func() { time.Local = old })
}

// statusCase is one product state the legacy views must render.
type statusCase struct {
	name string
	p    client.ProductStatus
}

func at(d time.Duration) *time.Time { t := fixedNow.Add(d); return &t }

// product fills the fields every status shares from the licensing core's
// own texts, so that the goldens follow the core's spellings.
func product(sku, name string, ch license.Channel, st license.Status, last5 string) client.ProductStatus {
	p := client.ProductStatus{
		SKU: sku, Name: name, Channel: string(ch), Status: st, StatusCode: int(st),
		PartialKey: last5, StatusToken: st.OsppToken(), StatusText: st.SlmgrText(), RearmRemaining: 5,
	}
	if ch != "" {
		p.ChannelDescription = ch.Description()
	}
	return p
}

func withReason(p client.ProductStatus, c hresult.Code) client.ProductStatus {
	p.Reason, p.ReasonText = hresult.Optional(c), c.Text()
	return p
}

func withGrace(p client.ProductStatus, d time.Duration) client.ProductStatus {
	p.GraceRemaining, p.GraceRemainingMinutes, p.GraceExpiresAt = d, license.Minutes(d), at(d)
	return p
}

func withKMS(p client.ProductStatus, host, source string) client.ProductStatus {
	k := &client.KMSStatus{
		Host: host, Port: 1688, Source: source, ActivationIntervalMinutes: 120, RenewalIntervalMinutes: 10080,
		HostCaching: true, CMID: "6f1c2a8e-3b7d-4e59-9a0c-2d4f8b1e7c35", CurrentCount: 25,
	}
	if host == "" {
		k.Port, k.CurrentCount = 0, -1
	}
	p.KMS = k
	return p
}

// statusCases are the states of design §2 as dstatus, dli, dlv and xpr
// show them.
func statusCases() []statusCase {
	const suite, ws, srv = "volact Suite Pro", "volact Workstation Enterprise", "volact Server Standard"
	kmsLicensed := func(host, source string) client.ProductStatus {
		p := withKMS(product("workstation-ent", ws, license.KMSClient, license.Licensed, "T83GX"), host, source)
		valid := 179*day + 23*time.Hour + 59*time.Minute
		p.ActivationRemaining, p.ActivationExpiresAt = valid, at(valid)
		return p
	}
	mak := product("suite-pro", suite, license.MAK, license.Licensed, "VVTHF")
	mak.Permanent = true
	ootKMS := withGrace(withKMS(product("workstation-ent", ws, license.KMSClient, license.OOTGrace, "T83GX"), "kms1.corp.example", "srv"), 20*day+3*time.Hour+7*time.Minute)
	notif := withReason(product("server-std", srv, license.MAK, license.Notification, "HJ4QR"), hresult.GraceExpired)
	notif.GraceExpiresAt = at(-2 * day)
	retail := withReason(product("workstation-ent", ws, license.Retail, license.Notification, "QWR6W"), hresult.GraceExpired)
	retail.ReducedFunctionality, retail.GraceExpiresAt = true, at(-1*day)
	oobKMS := withReason(withGrace(withKMS(product("workstation-ent", ws, license.KMSClient, license.OOBGrace, "T83GX"), "", ""), 12*day+30*time.Minute), hresult.NoHost)
	oobKMS.RearmRemaining = 4
	return []statusCase{
		{"oob_grace", withGrace(product("suite-pro", suite, license.MAK, license.OOBGrace, "VVTHF"), 29*day+23*time.Hour+59*time.Minute)},
		{"oob_grace_kms_failed", oobKMS},
		{"licensed_kms_pinned", kmsLicensed("kms.example.com", "pinned")},
		{"licensed_kms_dns", kmsLicensed("kms1.corp.example", "srv")},
		{"licensed_kms_ipv6", kmsLicensed("fd00::5", "pinned")},
		{"licensed_mak", mak},
		{"oot_grace", ootKMS},
		{"notification", notif},
		{"retail_reduced", retail},
		{"unlicensed_no_key", product("server-std", srv, "", license.Unlicensed, "")},
	}
}

// testFactory returns a Factory on buffers with the fixed clock and the
// given environment (nothing from the real one).
func testFactory(env map[string]string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, out, errOut := cmdutil.TestStreams()
	f := &cmdutil.Factory{IO: ios, Getenv: func(k string) string { return env[k] }, SysNow: func() time.Time { return fixedNow }, Opts: &cmdutil.GlobalOptions{}}
	return f, out, errOut
}
