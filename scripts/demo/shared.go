package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/volact/volact/internal/pgtest"
)

// sharedStory shows three KMS hosts sharing one count on one PostgreSQL
// database (a throwaway server started for the demo, from the local
// PostgreSQL installation): clients spread over the hosts, and the
// threshold reached through all of them together. Without PostgreSQL it
// says so and skips this part.
func (d *demo) sharedStory(auth, service string) error {
	fmt.Println("== three KMS hosts sharing one count on one PostgreSQL database")
	if !pgtest.Installed() {
		fmt.Println("   skipped: PostgreSQL is not installed (initdb and pg_ctl, e.g. apt install postgresql)")
		return nil
	}
	pg, err := pgtest.Launch()
	if err != nil {
		fmt.Println("   skipped: cannot start a throwaway PostgreSQL server:", strings.SplitN(err.Error(), "\n", 2)[0])
		return nil
	}
	defer pg.Close()
	defer d.stopAll() // the hosts stop before their database
	dsn, err := pg.NewDatabase()
	if err != nil {
		return err
	}
	fmt.Println("   started a throwaway PostgreSQL server for the demo:", strings.SplitN(strings.TrimPrefix(dsn, "postgres://"), "?", 2)[0])
	none := []string{}
	cat := filepath.Join(auth, "catalog.json")
	hostKey := strings.TrimSpace(d.run(none, "mak", "mint", "--dir", auth, "--type", "kms-host", "--sku", "suite-pro").stdout)
	var hosts []string
	var dirs []string
	for i := 1; i <= 3; i++ {
		dir := filepath.Join(d.work, fmt.Sprintf("site-kms-%d", i))
		dirs = append(dirs, dir)
		d.run(none, "kms", "install-key", hostKey, "--data", dir, "--catalog", cat, "-q")
		d.expect(fmt.Sprintf("kms-%d: install-key and activate", i), 0, none, "kms", "activate", "--data", dir, "--service", service, "-q")
		if i == 1 {
			d.expect("kms init-db: the site's shared database", 0, none, "kms", "init-db", "--data", dir, "--db", dsn, "--site", "demo")
		}
		url, err := d.start(fmt.Sprintf("site-kms-%d", i), none, "kms", "serve", "--data", dir, "--listen", "127.0.0.1:0", "--db", dsn, "--name", fmt.Sprintf("kms-%d", i))
		if err != nil {
			return err
		}
		hosts = append(hosts, strings.TrimPrefix(url, "http://"))
	}
	fmt.Println("   hosts at", strings.Join(hosts, ", "), "all on --db", "postgres://.../"+filepath.Base(strings.SplitN(dsn, "?", 2)[0]))
	clientKey := strings.TrimSpace(d.run(none, "mak", "mint", "--dir", auth, "--type", "kms-client", "--sku", "suite-pro").stdout)
	ms := make([]machine, 5)
	for i := range ms {
		ms[i] = d.machine(fmt.Sprintf("site-client-%d", i+1))
		for _, args := range [][]string{{"catalog", "install", cat, "-q"}, {"inpkey", clientKey, "-q"}, {"sethst", hosts[i%3], "-q"}} {
			if r := d.run(ms[i].env, args...); r.code != 0 {
				return fmt.Errorf("%s: volact %s: exit %d: %s", ms[i].name, args[0], r.code, r.stderr)
			}
		}
	}
	for i := 0; i < 4; i++ {
		d.expect(fmt.Sprintf("%s on kms-%d: count %d of 5 (0xC004F038)", ms[i].name, i%3+1, i+1), 5, ms[i].env, "act", "-q")
		time.Sleep(time.Second) // each host refreshes the shared count within 1 s
	}
	d.expect("site-client-5 on kms-2: activated, the site counts 5", 0, ms[4].env, "act", "-q")
	time.Sleep(time.Second)
	for i := 0; i < 4; i++ {
		d.expect(fmt.Sprintf("%s on kms-%d after 2h: activated", ms[i].name, i%3+1), 0, append(ms[i].env, "VOLACT_CLOCK_OFFSET=2h1m"), "act", "--if-due", "-q")
	}
	var st struct {
		Groups []struct {
			Group        string `json:"group"`
			CurrentCount int    `json:"current_count"`
		} `json:"groups"`
		Shared struct {
			Hosts []struct {
				Name string `json:"name"`
			} `json:"hosts"`
		} `json:"shared"`
	}
	_ = json.Unmarshal([]byte(d.run(none, "kms", "status", "--data", dirs[2], "--db", dsn, "--json").stdout), &st)
	count := "?"
	for _, g := range st.Groups {
		if g.Group == "suite" {
			count = fmt.Sprint(g.CurrentCount)
		}
	}
	d.check("kms status --db on kms-3: the site's suite count", "5", count)
	d.check("kms status --db: hosts of the site", "3", fmt.Sprint(len(st.Shared.Hosts)))
	return nil
}
