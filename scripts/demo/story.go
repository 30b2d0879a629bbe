package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
)

const clients = 30

// story is the seed's story: a KMS host below and above its threshold,
// renewal after 7 days, a small MAK running out, and a proxy activation.
func (d *demo) story() error {
	auth := filepath.Join(d.work, "authority")
	hostDir := filepath.Join(d.work, "kms-host")
	cat := filepath.Join(auth, "catalog.json")
	none := []string{}

	fmt.Println("== authority and activation service")
	if r := d.expect("mak init: root key and signed catalog", 0, none, "mak", "init", "--dir", auth, "--allow-overrides", "clock,machine-id"); r.code != 0 {
		return fmt.Errorf("mak init failed")
	}
	service, err := d.start("mak-serve", none, "mak", "serve", "--dir", auth, "--listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println("   activation service at", service)

	fmt.Println("== KMS host for the suite group (threshold 5)")
	hostKey := strings.TrimSpace(d.expect("mint a KMS host key", 0, none, "mak", "mint", "--dir", auth, "--type", "kms-host", "--sku", "suite-pro").stdout)
	d.expect("kms install-key", 0, none, "kms", "install-key", hostKey, "--data", hostDir, "--catalog", cat)
	d.expect("kms activate against the service", 0, none, "kms", "activate", "--data", hostDir, "--service", service)
	kmsURL, err := d.start("kms-serve", none, "kms", "serve", "--data", hostDir, "--listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hostPort := strings.TrimPrefix(kmsURL, "http://")
	fmt.Println("   KMS host at", hostPort)

	clientKey := strings.TrimSpace(d.expect("published KMS client key", 0, none, "mak", "mint", "--dir", auth, "--type", "kms-client", "--sku", "suite-pro").stdout)
	ms := make([]machine, clients)
	for i := range ms {
		ms[i] = d.machine(fmt.Sprintf("client-%02d", i+1))
		for _, args := range [][]string{{"catalog", "install", cat, "-q"}, {"inpkey", clientKey, "-q"}, {"sethst", hostPort, "-q"}} {
			if r := d.run(ms[i].env, args...); r.code != 0 {
				return fmt.Errorf("%s: volact %s: exit %d: %s", ms[i].name, args[0], r.code, r.stderr)
			}
		}
	}
	fmt.Printf("   %d client machines with the KMS client key, pointed at the host\n", clients)

	fmt.Println("== below the threshold: clients 1-4 stay in grace")
	for i := 0; i < 4; i++ {
		d.expect(fmt.Sprintf("%s act: count %d of 5 (0xC004F038)", ms[i].name, i+1), 5, ms[i].env, "act", "-q")
	}
	fmt.Println("== the 5th client crosses the threshold")
	d.expect("client-05 act: activated", 0, ms[4].env, "act", "-q")
	fmt.Println("== the first four activate on their next retry (2 hours later)")
	for i := 0; i < 4; i++ {
		d.expect(ms[i].name+" act --if-due after 2h: activated", 0, append(ms[i].env, "VOLACT_CLOCK_OFFSET=2h1m"), "act", "--if-due", "-q")
	}
	for i := 5; i < 25; i++ {
		if r := d.run(ms[i].env, "act", "-q"); r.code != 0 {
			d.check(ms[i].name+" act", "exit 0", fmt.Sprintf("exit %d", r.code))
		}
	}
	d.check("clients 1-25 licensed", "25", fmt.Sprint(d.countLicensed(ms[:25], "")))
	d.check("kms status: suite count, capped at 2 x threshold", "10", d.kmsCount(hostDir, "suite"))

	fmt.Println("== 7 days later: renewal (host restarted with the moved clock)")
	d.stopAll()
	week := "VOLACT_CLOCK_OFFSET=168h5m"
	if _, err := d.startKMSAgain(hostDir, week, &hostPort); err != nil {
		return err
	}
	d.expect("client-01 act --if-due after 7 days: renewed", 0, append(ms[0].env, week), "act", "--if-due", "-q")
	d.check("count kept across the restart", "10", d.kmsCount(hostDir, "suite"))

	fmt.Println("== a MAK with 3 activations runs out")
	service, err = d.start("mak-serve-2", none, "mak", "serve", "--dir", auth, "--listen", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mak := strings.TrimSpace(d.expect("mint a 3-activation MAK for server-std", 0, none, "mak", "mint", "--dir", auth, "--type", "mak", "--sku", "server-std", "--activations", "3").stdout)
	for i := 25; i < 29; i++ {
		env := append(ms[i].env, "VOLACT_SERVICE="+service)
		d.run(env, "inpkey", mak, "-q")
		want, what := 0, "activated"
		if i == 28 {
			want, what = 5, "refused: no activations left (0xC004C020)"
		}
		d.expect(fmt.Sprintf("%s MAK act: %s", ms[i].name, what), want, env, "act", "--sku", "server-std", "-q")
	}

	fmt.Println("== proxy activation for a machine without network")
	wmak := strings.TrimSpace(d.run(none, "mak", "mint", "--dir", auth, "--type", "mak", "--sku", "workstation-ent", "--activations", "5").stdout)
	off := ms[29]
	d.run(off.env, "inpkey", wmak, "-q")
	req := strings.TrimSpace(d.expect("client-30 dinstid: installation request", 0, off.env, "dinstid", "--sku", "workstation-ent").stdout)
	conf := strings.TrimSpace(d.expect("mak proxy on a connected machine", 0, none, "mak", "proxy", "--service", service, req).stdout)
	d.expect("client-30 actcid: confirmation applied", 0, off.env, "actcid", conf)
	d.check("client-30 workstation-ent licensed", "1", fmt.Sprint(d.countLicensed(ms[29:], "workstation-ent")))
	return d.sharedStory(auth, service) // shared.go
}

// startKMSAgain restarts the KMS host on the same data dir with env.
func (d *demo) startKMSAgain(hostDir, env string, hostPort *string) (string, error) {
	u, err := d.start("kms-serve-again", []string{env}, "kms", "serve", "--data", hostDir, "--listen", *hostPort)
	return u, err
}

// countLicensed counts machines whose product (or any, for "") is licensed.
func (d *demo) countLicensed(ms []machine, sku string) int {
	n := 0
	for _, m := range ms {
		var r struct {
			Products []struct{ SKU, Status string } `json:"products"`
		}
		if json.Unmarshal([]byte(d.run(m.env, "dstatus", "--json").stdout), &r) != nil {
			continue
		}
		for _, p := range r.Products {
			if (sku == "" || p.SKU == sku) && p.Status == "licensed" {
				n++
				break
			}
		}
	}
	return n
}

// kmsCount reads a group's current count from kms status --json.
func (d *demo) kmsCount(hostDir, group string) string {
	var s struct {
		Groups []struct {
			Group        string `json:"group"`
			CurrentCount int    `json:"current_count"`
		} `json:"groups"`
	}
	r := d.run(nil, "kms", "status", "--data", hostDir, "--json")
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		return "unreadable: " + r.stderr
	}
	for _, g := range s.Groups {
		if g.Group == group {
			return fmt.Sprint(g.CurrentCount)
		}
	}
	return "missing"
}
