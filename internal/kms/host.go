package kms

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/httpserve"
	"github.com/volact/volact/internal/protocol"
	"github.com/volact/volact/internal/translog"
)

// Options configure a serving Host.
type Options struct {
	Dir    string           // data directory
	Now    func() time.Time // the clock; nil = time.Now
	Name   string           // host name put in grants (Issuer); "" = os.Hostname
	Logger *slog.Logger     // nil = discard
	// HostID is this machine's hardware id (machineid.ID), which kms
	// activate sent and the service put in the host certificate (its
	// subject). When set, certificates issued for another machine are not
	// served: a copied data directory is not a second host. "" skips the
	// check (tests, benchmarks).
	HostID string
	// DB is the PostgreSQL database (postgres://...) the site's hosts
	// share their count, history and settings in (shared.go); "" = this
	// host counts alone in kms.db.
	DB string
}

// Host is a running KMS host on one data directory, which it holds locked.
type Host struct {
	name      string
	hostID    string
	now       func() time.Time
	log       *slog.Logger
	lock      *dirLock
	db        *sql.DB
	cat       *catalog.Catalog
	settings  Settings
	signer    ed25519.PrivateKey
	certs     map[string]string                // group -> host certificate serving it
	parsed    map[string]*protocol.Certificate // group -> the verified content of certs[group]
	journal   *journal
	applier   *applier
	shared    *shared       // the site's shared database; nil = counting alone
	loss      JournalLoss   // what damaged journal segments cost, to date
	onRefused onRefusedHook // metrics; set by Handler
	states    *stateSeen    // client state per machine (stateseen.go)
	limits    *netLimiter   // new CMIDs per network and hour (countlimit.go)
	tlog      *translog.Log // every answered request is a leaf (tlog.go)
	page      pageReader    // the status page's read connection (statuspage.go)

	mu       sync.Mutex
	counters map[string]*counter // by group name
}

// Open locks the data directory and loads the host. It refuses a host that
// has no activated host key: such a host could not sign a single grant.
func Open(o Options) (h *Host, err error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Name == "" {
		o.Name, _ = os.Hostname()
	}
	lock, err := lockDir(o.Dir, false)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.unlock()
		}
	}()
	cat, err := readCatalog(o.Dir)
	if err != nil {
		return nil, err
	}
	db, err := openDB(dbPath(o.Dir), dbCheck)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	h = &Host{name: o.Name, hostID: o.HostID, now: o.Now, log: o.Logger, lock: lock, db: db, cat: cat,
		certs: map[string]string{}, parsed: map[string]*protocol.Certificate{}, counters: map[string]*counter{}}
	ctx := context.Background()
	if err := moveHostKeys(ctx, db, o.Dir); err != nil {
		return nil, err
	}
	if h.settings, err = loadSettings(ctx, db); err != nil {
		return nil, err
	}
	if err := h.openShared(ctx, o.DB); err != nil {
		return nil, err
	}
	if s := h.shared; s != nil {
		defer func() {
			if err != nil {
				s.pool.Close()
			}
		}()
	}
	if err := h.loadIdentity(ctx); err != nil {
		return nil, err
	}
	for _, g := range cat.Groups {
		h.counters[g.Name] = newCounter(g.Threshold)
	}
	h.limits = newNetLimiter(h.settings.NewCMIDLimit)
	next, loss, err := replay(db, o.Dir, h.log, o.Now())
	if err != nil {
		return nil, err
	}
	next = h.nextSegment(next)
	rows, err := loadClients(ctx, db, o.Now())
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if c := h.counters[r.group]; c != nil {
			c.Restore(r.cmid, r.seen)
		}
	}
	h.loss = loss
	if h.tlog, err = OpenLog(o.Dir, h.signer); err != nil {
		return nil, err
	}
	reportRecovery(h.log, h.tlog)
	if h.states, err = openStateSeen(db, h.shared != nil); err != nil {
		h.tlog.Close()
		return nil, err
	}
	if h.journal, err = openJournal(o.Dir, next, applyKick); err != nil {
		h.states.close()
		h.tlog.Close()
		return nil, err
	}
	h.applier = newApplier(db, h.journal, o.Now, func() time.Duration { return h.settings.HistoryRetention }, h.log)
	h.applier.start()
	h.sharedReady()
	return h, nil
}

// loadIdentity loads the signing key and the certificates of the activated
// host keys, and checks that they belong together.
func (h *Host) loadIdentity(ctx context.Context) error {
	keys, err := loadHostKeys(ctx, h.db)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return hresult.New(hresult.KeyNotInstalled, "no KMS host key is installed on this host").
			WithHint("install one and activate it: volactd kms install-key KEY --data DIR, then volactd kms activate --data DIR --service URL")
	}
	if !slices.ContainsFunc(keys, func(k HostKey) bool { return k.Activated }) {
		return notActivated()
	}
	signer, err := readSigner(filepath.Join(h.lock.dir, KeyFile))
	if err != nil {
		return err
	}
	h.signer = signer
	now := h.now()
	elsewhere := "" // the machine another certificate was issued for
	for _, k := range keys {
		if !k.Activated {
			h.log.Warn("host key not activated; its group is not served", "group", k.Group, "key", "XXXXX-XXXXX-XXXXX-XXXXX-"+k.Last5)
			continue
		}
		cert, err := protocol.VerifyCertificate(k.certificate, h.cat.Root(), now)
		if err != nil {
			h.log.Warn("host certificate does not verify; its group is not served", "group", k.Group, "err", err)
			continue
		}
		if !ed25519.PublicKey(cert.PublicKey).Equal(signer.Public()) {
			h.log.Warn("host certificate is for another host key; reactivate", "group", k.Group)
			continue
		}
		if h.hostID != "" && cert.Subject != h.hostID {
			h.log.Warn("host certificate was issued for another machine; its group is not served", "group", k.Group, "issued_for", cert.Subject)
			elsewhere = cert.Subject
			continue
		}
		for _, g := range cert.Groups {
			h.certs[g], h.parsed[g] = k.certificate, cert
		}
	}
	if len(h.certs) == 0 && elsewhere != "" {
		return hresult.Newf(hresult.WrongMachine, "this KMS host data directory was activated on another machine (hardware id %s), not on this one (%s)",
			clipID(elsewhere), clipID(h.hostID)).WithExit(hresult.ExitStore).
			WithHint("a copied data directory is not a second host: activate it here with volactd kms activate --data DIR --service URL (it counts against the host key's limit of 6 hosts)")
	}
	if len(h.certs) == 0 {
		return notActivated()
	}
	return nil
}

// clipID shortens a hardware id for a message.
func clipID(id string) string {
	if len(id) > 12 {
		return id[:12] + "..."
	}
	return id
}

func notActivated() error {
	return hresult.New(hresult.KeyNotInstalled, "this KMS host is not activated: no host key has a valid certificate").
		WithHint("activate it against the activation service: volactd kms activate --data DIR --service URL")
}

// Close applies what the journal holds to the database, closes it and the
// transparency log, and releases the data directory.
func (h *Host) Close() error {
	h.applier.close()
	h.closeShared()
	h.states.close()
	h.page.close()
	_, _ = h.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	err := h.db.Close()
	if lerr := h.tlog.Close(); err == nil {
		err = lerr
	}
	h.lock.unlock()
	return err
}

// Settings returns the host's settings.
func (h *Host) Settings() Settings { return h.settings }

// Groups returns the groups this host serves.
func (h *Host) Groups() []string {
	out := make([]string, 0, len(h.certs))
	for _, g := range h.cat.Groups {
		if _, ok := h.certs[g.Name]; ok {
			out = append(out, g.Name)
		}
	}
	return out
}

// Counts returns the current count of each group this host serves.
func (h *Host) Counts() map[string]int {
	now := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for _, g := range h.Groups() {
		out[g] = h.counters[g].Count(now)
	}
	return out
}

// Activate answers one activation request from the client at addr: it
// counts the client, records the request in the journal (so a crash of
// the host cannot lose it), appends the answer to the transparency log and
// returns the grant with its receipt once the log's batch is on stable
// storage, or an *hresult.Error such as CountTooLow (with the count, also
// logged) or ClockSkew (not counted, not logged).
func (h *Host) Activate(ctx context.Context, req protocol.ActivationRequest, addr string) (*protocol.Envelope, error) {
	now := h.now().UTC()
	row := HistoryRow{Time: now, CMID: clip(req.CMID), SKU: clip(req.SKU), Group: clip(req.Group), Addr: clip(addr), Count: -1}
	prod, group, cert, err := h.check(req, now)
	if prod.SKU != "" {
		row.Group = group.Name
	}
	if err != nil {
		return nil, h.refuse(refusalReason(err), err)
	}
	h.recordStateReset(req, group.Name, row.Addr, now)
	h.mu.Lock()
	c := h.counters[group.Name]
	counted, unlimit := h.limitNew(c, row, now) // countlimit.go
	count, seen := c.Count(now), Observation[string]{}
	if counted {
		count, seen = c.Observe(req.CMID, now)
	}
	row.Count = count
	var answer error
	if !c.Activates(count) {
		answer = countTooLow(count, group, h.settings.ActivationInterval)
	}
	row.Result = hresult.OK.String()
	if answer != nil {
		row.Result = hresult.CodeOf(answer).String()
	}
	if err = h.journal.append(write{hist: row, counted: counted, evicted: seen.Evicted}); err != nil && counted {
		c.Undo(seen) // not recorded: the client is not counted, and asks again
		unlimit()
	}
	h.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if answer != nil {
		if err := h.logRefusal(ctx, req, group.Name, now, answer, count); err != nil {
			return nil, err
		}
		return nil, answer
	}
	req.SKU = prod.SKU
	g := GrantFor(req, now, prod.KMSValidity(), h.settings, count, h.name)
	g.Group = group.Name
	// Never sign what clients refuse: a grant past this host's certificate.
	if err := protocol.CheckGrant(g, h.parsed[group.Name], &protocol.GrantRules{Group: group.Name, KMSValidity: prod.KMSValidity()}); err != nil {
		return nil, hresult.Wrap(hresult.ServiceFailure, err, "this KMS host cannot sign a grant its clients accept").
			WithHint("reactivate the host against the activation service: volactd kms activate --data DIR --service URL")
	}
	payload, err := protocol.EncodePayload(g)
	if err != nil {
		return nil, hresult.Wrap(hresult.Internal, err, "cannot encode the grant")
	}
	return h.logAnswer(ctx, payload, req, cert)
}

// check validates a request before it is counted.
func (h *Host) check(req protocol.ActivationRequest, now time.Time) (catalog.Product, catalog.Group, string, error) {
	var none catalog.Product
	if err := req.Validate(); err != nil {
		return none, catalog.Group{}, "", err
	}
	if req.Kind != protocol.KindKMS {
		return none, catalog.Group{}, "", hresult.Newf(hresult.BadRequest, "a KMS host activates only kms requests, not %q", clip(req.Kind))
	}
	if len(req.CMID) > maxField || len(req.SKU) > maxField || len(req.HardwareID) > maxField || len(req.Nonce) > maxField {
		return none, catalog.Group{}, "", hresult.New(hresult.BadRequest, "a field of the activation request is too long")
	}
	prod, ok := h.cat.Product(req.SKU)
	if !ok {
		return none, catalog.Group{}, "", hresult.Newf(hresult.SKUNotFound, "product SKU %q is not in this KMS host's catalog", clip(req.SKU))
	}
	group, _ := h.cat.Group(prod.Group)
	if req.Group != "" && !strings.EqualFold(req.Group, group.Name) {
		return prod, group, "", hresult.Newf(hresult.BadRequest, "product %s is in group %s, not %q", prod.SKU, group.Name, clip(req.Group))
	}
	cert, ok := h.certs[group.Name]
	if !ok {
		return prod, group, "", httpserve.WithStatus(http.StatusNotFound, hresult.Newf(hresult.ServiceFailure, "this KMS host does not serve group %s", group.Name).
			WithHint("install and activate a KMS host key for that group on the host, or use another host"))
	}
	if d := now.Sub(req.ClientTime); d > MaxClockSkew || d < -MaxClockSkew {
		return prod, group, "", hresult.Newf(hresult.ClockSkew, "client clock %s and KMS host clock %s differ by %s (more than 4h)",
			req.ClientTime.UTC().Format(time.RFC3339), now.Format(time.RFC3339), d.Abs().Round(time.Minute)).
			WithHint("set the client's (or the host's) clock right, for example with NTP, and retry")
	}
	return prod, group, cert, nil
}

// GrantFor is the grant answering req at now: valid for validity, with the
// intervals of s, the client count count, and issuer as the issuing host.
// The host signs it in Activate; the benchmark floors (package kmsbench)
// answer the same grant.
func GrantFor(req protocol.ActivationRequest, now time.Time, validity time.Duration, s Settings, count int, issuer string) protocol.Grant {
	return protocol.Grant{
		Kind: protocol.KindKMS, SKU: req.SKU, HardwareID: req.HardwareID, CMID: req.CMID,
		IssuedAt: now, ExpiresAt: now.Add(validity),
		ActivationInterval: s.ActivationInterval, RenewalInterval: s.RenewalInterval,
		CurrentCount: count, Issuer: issuer, Nonce: req.Nonce,
	}
}

func countTooLow(count int, g catalog.Group, interval int) *hresult.Error {
	e := hresult.Newf(hresult.CountTooLow, "count %d of %d needed: the KMS host has counted %d client(s) of group %s and activates from %d",
		count, g.Threshold, count, g.Name, g.Threshold).
		WithHint(fmt.Sprintf("the client stays in grace and retries every %d minutes", interval))
	e.CurrentCount = count
	return e
}

// maxField caps the length of a request field.
const maxField = 128

func clip(s string) string {
	if len(s) > maxField {
		return s[:maxField]
	}
	return s
}
