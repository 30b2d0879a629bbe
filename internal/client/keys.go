package client

import (
	"strings"
	"time"

	"github.com/volact/volact/internal/catalog"
	"github.com/volact/volact/internal/hresult"
	"github.com/volact/volact/internal/license"
	"github.com/volact/volact/internal/productkey"
)

// Installation describes a key that InstallKey installed.
type Installation struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Channel    string `json:"channel"`
	PartialKey string `json:"partial_key"`
}

// channelOf maps a key type to its licensing channel.
func channelOf(t productkey.Type) (license.Channel, bool) {
	switch t {
	case productkey.Retail:
		return license.Retail, true
	case productkey.MAK:
		return license.MAK, true
	case productkey.KMSClient:
		return license.KMSClient, true
	}
	return "", false
}

// ParseClientKey validates text as a key that a client may install and
// returns it with its catalog product.
func ParseClientKey(text string, cat *catalog.Catalog) (productkey.Key, catalog.Product, error) {
	k, err := productkey.Parse(text)
	if err != nil {
		return k, catalog.Product{}, err
	}
	if k.Type == productkey.KMSHost {
		return k, catalog.Product{}, hresult.Newf(hresult.KMSHostKeyRefused,
			"key %s is a KMS host key: it activates a KMS host, not a client", k.Redacted()).
			WithHint("install it on the KMS host: volactd kms install-key KEY --data DIR; clients use the KMS client key (volactd mak mint --type kms-client) or a MAK")
	}
	p, ok := cat.ProductByID(k.Product)
	if !ok {
		return k, catalog.Product{}, hresult.Newf(hresult.SKUNotFound,
			"key %s is for product id %d, which the installed catalog does not have", k.Redacted(), k.Product).
			WithHint("install the catalog that goes with this key (volact catalog install FILE), or check the key")
	}
	return k, p, nil
}

// InstallKey validates and installs a product key, replacing the product's
// previous key.
func (c *Client) InstallKey(text string) (Installation, error) {
	var out Installation
	cat, err := c.Catalog()
	if err != nil {
		return out, err
	}
	k, prod, err := ParseClientKey(text, cat)
	if err != nil {
		return out, err
	}
	ch, _ := channelOf(k.Type)
	err = c.update(func(st *State, _ *catalog.Catalog, now time.Time) error {
		cur := st.Products[prod.SKU]
		if cur == nil {
			cur = &Installed{CurrentCount: -1}
		}
		next := *cur
		next.Product = license.InstallKey(cur.Product, prod.SKU, prod.Name, ch, k.Last5(), now, c.opts.HardwareID, c.opts.NewID())
		if next.Product.Grant == nil {
			next.Envelope, next.Hardware = nil, nil
			next.CurrentCount = -1
		}
		next.Key = k.String()
		st.Products[prod.SKU] = &next
		st.record(now, prod.SKU, "inpkey", hresult.OK, "installed product key "+k.Redacted(), "")
		return nil
	})
	if err != nil {
		return out, err
	}
	return Installation{SKU: prod.SKU, Name: prod.Name, Channel: string(ch), PartialKey: k.Last5()}, nil
}

// UninstallKey removes the key whose last 5 characters are last5. With an
// empty last5 it removes the only installed key.
func (c *Client) UninstallKey(last5 string) (Installation, error) {
	var out Installation
	last5 = strings.ToUpper(strings.TrimSpace(last5))
	err := c.update(func(st *State, _ *catalog.Catalog, now time.Time) error {
		var hit []*Installed
		for _, p := range st.Products {
			if p.PartialKey != "" && (last5 == "" || p.PartialKey == last5) {
				hit = append(hit, p)
			}
		}
		switch {
		case len(hit) == 0 && last5 == "":
			return hresult.New(hresult.KeyNotInstalled, "no product key is installed")
		case len(hit) == 0:
			return hresult.Newf(hresult.KeyNotInstalled, "no installed product key ends in %s", last5).
				WithHint("volact dstatus lists the last 5 characters of each installed key")
		case len(hit) > 1:
			return invalidArg("several product keys are installed; name one by its last 5 characters")
		}
		p := hit[0]
		out = Installation{SKU: p.SKU, Name: p.Name, Channel: string(p.Channel), PartialKey: p.PartialKey}
		p.Product = license.UninstallKey(p.Product)
		p.Key, p.Envelope, p.Hardware, p.CurrentCount = "", nil, nil, -1
		st.record(now, p.SKU, "unpkey", hresult.OK, "uninstalled product key ending in "+out.PartialKey, "")
		return nil
	})
	return out, err
}

func invalidArg(msg string) *hresult.Error {
	return hresult.New(hresult.InvalidArg, msg).WithExit(hresult.ExitInvalid)
}
