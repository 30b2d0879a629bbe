package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/volact/volact/internal/authority"
	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/client"
	"github.com/volact/volact/internal/productkey"
	"github.com/volact/volact/internal/store"
)

// TestConcurrentProcesses starts 50 real volact processes at once on one
// store (login script + VPN hook, times 25): 30 inpkey for the 3 SKUs and
// 20 settings changes. No update may be lost: every inpkey is in the
// history, every setting that only one process set is there, and the key
// installed for each SKU is the one the last inpkey for it recorded.
func TestConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	// testscript.Main (TestMain) put a copy of this test binary named
	// volact on PATH; running it runs cli.Main.
	bin, err := exec.LookPath("volact")
	if err != nil {
		t.Fatalf("volact is not on PATH (TestMain sets it up): %v", err)
	}
	dir := t.TempDir()
	a, err := authority.Init(filepath.Join(dir, "auth"), time.Now(), authority.AllowOverrides(catalog.OverrideClock, catalog.OverrideMachineID))
	if err != nil {
		t.Fatal(err)
	}
	storeDir := filepath.Join(dir, "store")
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(storeDir, client.CatalogFile), a.CatalogBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	envMap := map[string]string{"VOLACT_STORE": storeDir, "VOLACT_MACHINE_ID": "test-machine-1", "VOLACT_CONFIG": filepath.Join(dir, "none.yaml"), "NO_COLOR": "1"}
	if err := os.WriteFile(envMap["VOLACT_CONFIG"], nil, 0o644); err != nil {
		t.Fatal(err)
	}
	skus := []string{"suite-pro", "workstation-ent", "server-std"}
	var cmds [][]string
	keys := map[string]string{} // last 5 -> sku
	for i := range 30 {
		sku := skus[i%3]
		k, err := a.Mint(productkey.MAK, sku, 5, uint32(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := keys[k.Last5()]; dup {
			t.Fatalf("two test keys end in %s", k.Last5())
		}
		keys[k.Last5()] = sku
		cmds = append(cmds, []string{"inpkey", k.String()})
	}
	var hosts []string
	for i := range 17 {
		h := fmt.Sprintf("kms%02d.example.com", i)
		hosts = append(hosts, h)
		cmds = append(cmds, []string{"sethst", h})
	}
	cmds = append(cmds, []string{"setprt", "1700"}, []string{"setdomain", "corp.example.com"}, []string{"cachst", "false"})

	env := append(os.Environ(), "NO_COLOR=1")
	for k, v := range envMap {
		env = append(env, k+"="+v)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(cmds))
	outs := make([][]byte, len(cmds))
	for i, args := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, args...)
			cmd.Env = env
			<-start
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("volact %s: %v\n%s", cmds[i][0], err, outs[i])
		}
	}

	var st client.State
	if ok, err := store.New(storeDir).View(&st); err != nil || !ok {
		t.Fatalf("read store: exists=%v err=%v", ok, err)
	}
	var installs []client.HistoryEntry
	for _, h := range st.History {
		if h.Action == "inpkey" {
			installs = append(installs, h)
		}
	}
	if len(installs) != 30 {
		t.Errorf("history holds %d of the 30 key installs: updates were lost", len(installs))
	}
	seen := map[string]bool{}
	last := map[string]string{} // sku -> last 5 of the last recorded install
	for _, h := range installs {
		l5 := h.Message[len(h.Message)-5:]
		if keys[l5] != h.SKU {
			t.Errorf("history entry %q does not match a key of %s", h.Message, h.SKU)
		}
		if seen[l5] {
			t.Errorf("install of %s recorded twice", l5)
		}
		seen[l5] = true
		last[h.SKU] = l5
	}
	for _, sku := range skus {
		p := st.Products[sku]
		if p == nil || p.PartialKey != last[sku] {
			t.Errorf("%s: installed key is not the one the last inpkey recorded (%s)", sku, last[sku])
		}
	}
	s := st.Settings
	if s.KMSPort != 1700 || s.Domain != "corp.example.com" || !s.HostCachingDisabled || !slices.Contains(hosts, s.KMSHost) {
		t.Errorf("settings lost an update: %+v", s)
	}
	if code, out, errOut := volactRun(t, env, "dstatus", "--check"); code != 6 {
		t.Errorf("store unreadable after the run: exit %d\n%s%s", code, out, errOut)
	}
}
