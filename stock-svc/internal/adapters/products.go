// Package adapters keeps the stock in the Dapr state store, publishes its
// events and counts it in Prometheus.
package adapters

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	"github.com/example/order-saga/platform/statestore"
	"github.com/example/order-saga/stock-svc/internal/domain/inventory"
)

// ProductRepository keeps each product under its own key, so that a
// reservation touches only the products of its order, and an index of the
// product ids for listing, which nothing on the way of an order reads.
//
// The index is split in indexShards keys by a hash of the id, each a
// sorted list: adding a product rewrites one small key, whatever the size
// of the catalog. Listing goes shard by shard, each in id order, which is
// a stable order for paging.
type ProductRepository struct {
	products *statestore.Store[productRecord]
	index    *statestore.Store[indexShard]
	marks    *statestore.Store[seedMark]
}

// productRecord is a product as stored under product-<id>, with its holds
// and its tombstone. Its JSON names are those of every product stored so
// far: a renamed one would no longer read them.
type productRecord struct {
	ID         string                `json:"id"`
	Name       string                `json:"name"`
	PriceCents int64                 `json:"priceCents"`
	Available  int                   `json:"available"`
	Reserved   int                   `json:"reserved"`
	Sold       int                   `json:"sold"`
	Holds      map[string]holdRecord `json:"holds,omitempty"`
	Returned   map[string]int        `json:"returned,omitempty"`
	Deleted    bool                  `json:"deleted,omitempty"`
	Revision   int64                 `json:"revision"`
}

type holdRecord struct {
	Ref        string `json:"ref"`
	Quantity   int    `json:"quantity"`
	PriceCents int64  `json:"priceCents"`
}

func recordOf(p inventory.Product) productRecord {
	r := productRecord{
		ID: p.ID, Name: p.Name, PriceCents: p.PriceCents, Available: p.Available,
		Reserved: p.Reserved, Sold: p.Sold, Deleted: p.Deleted, Revision: p.Revision, Returned: maps.Clone(p.Returned),
	}
	if len(p.Holds) > 0 {
		r.Holds = make(map[string]holdRecord, len(p.Holds))
		for orderID, h := range p.Holds {
			r.Holds[orderID] = holdRecord{Ref: h.Ref, Quantity: h.Quantity, PriceCents: h.PriceCents}
		}
	}
	return r
}

// product is the record as a product of its own: no map is shared with the
// record.
func (r productRecord) product() inventory.Product {
	p := inventory.Product{
		ID: r.ID, Name: r.Name, PriceCents: r.PriceCents, Available: r.Available,
		Reserved: r.Reserved, Sold: r.Sold, Deleted: r.Deleted, Revision: r.Revision, Returned: maps.Clone(r.Returned),
	}
	if len(r.Holds) > 0 {
		p.Holds = make(map[string]inventory.Hold, len(r.Holds))
		for orderID, h := range r.Holds {
			p.Holds[orderID] = inventory.Hold{Ref: h.Ref, Quantity: h.Quantity, PriceCents: h.PriceCents}
		}
	}
	return p
}

// indexShards is how many keys the index is split in: at 100,000 products
// each holds about 400 ids (10 KB).
const indexShards = 256

type indexShard struct {
	IDs []string `json:"ids"`
}

type seedMark struct {
	Seeded bool `json:"seeded"`
}

// NewProductRepository returns the products of the state store storeName.
func NewProductRepository(backend statestore.Backend, storeName string) *ProductRepository {
	return &ProductRepository{
		products: statestore.New[productRecord](backend, storeName),
		index:    statestore.New[indexShard](backend, storeName),
		marks:    statestore.New[seedMark](backend, storeName),
	}
}

func productKey(id string) string { return "product-" + id }

func shardOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % indexShards)
}

func shardKey(n int) string { return fmt.Sprintf("products-index-%02x", n) }

// Get returns the product id; a deleted product is not found.
func (r *ProductRepository) Get(ctx context.Context, id string) (inventory.Product, bool, error) {
	rec, found, err := r.products.Get(ctx, productKey(id))
	p := rec.product()
	if err != nil || !p.Exists(found) {
		return inventory.Product{}, false, err
	}
	return p, true, nil
}

// Update applies fn to the stored product id, retrying on conflicting
// writes, and writes it when fn reports a change. fn is given the product
// with its ID alone and found false when none is stored, each run on a
// fresh copy of the record. It returns the product as fn left it on its
// last run.
func (r *ProductRepository) Update(ctx context.Context, id string, fn func(p *inventory.Product, found bool) (bool, error)) (inventory.Product, error) {
	var last inventory.Product
	err := r.products.Update(ctx, productKey(id), func(rec *productRecord, found bool) error {
		last = inventory.Product{ID: id}
		if found {
			last = rec.product()
		}
		changed, err := fn(&last, found)
		switch {
		case err != nil:
			return err
		case !changed:
			return statestore.ErrUnchanged
		}
		*rec = recordOf(last)
		return nil
	})
	return last, err
}

// Put is Update for a change that may create the product or bring it back:
// the product is then added to the index. It is added on every put, so a
// crash between the two writes is mended by putting the product again.
//
// A new product is written with one first-write and no read: fn is run as
// for a product never stored, and the insert is refused if one is.
func (r *ProductRepository) Put(ctx context.Context, id string, fn func(p *inventory.Product, found bool) (bool, error)) (inventory.Product, error) {
	p, created, err := r.create(ctx, id, fn)
	if err == nil && !created {
		p, err = r.Update(ctx, id, fn)
	}
	if err != nil {
		return p, err
	}
	return p, r.indexed(ctx, id, !p.Deleted)
}

// create stores what fn makes of a product never stored, unless one is
// stored already, and tells whether it did.
func (r *ProductRepository) create(ctx context.Context, id string, fn func(p *inventory.Product, found bool) (bool, error)) (inventory.Product, bool, error) {
	p := inventory.Product{ID: id}
	if changed, err := fn(&p, false); err != nil || !changed {
		return p, false, nil // decided again on the stored product, if any
	}
	_, created, err := r.products.Create(ctx, productKey(id), recordOf(p))
	return p, created, err
}

// indexed adds id to the index, or removes it.
func (r *ProductRepository) indexed(ctx context.Context, id string, in bool) error {
	return r.index.Update(ctx, shardKey(shardOf(id)), func(s *indexShard, _ bool) error {
		i, listed := slices.BinarySearch(s.IDs, id)
		switch {
		case in && !listed:
			s.IDs = slices.Insert(s.IDs, i, id)
		case !in && listed:
			s.IDs = slices.Delete(s.IDs, i, i+1)
		default:
			return statestore.ErrUnchanged
		}
		return nil
	})
}

// List returns up to limit products that come after the product after in
// the index ("" for the first page), and the id to ask the next page
// after, "" when there is none.
func (r *ProductRepository) List(ctx context.Context, after string, limit int) ([]inventory.Product, string, error) {
	ids, more, err := r.listIDs(ctx, after, limit)
	if err != nil {
		return nil, "", err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = productKey(id)
	}
	found, err := r.products.GetMany(ctx, keys)
	if err != nil {
		return nil, "", err
	}
	page := make([]inventory.Product, 0, len(ids))
	for _, key := range keys {
		// A product deleted, whose id the index still had when read.
		rec, ok := found[key]
		if p := rec.product(); p.Exists(ok) {
			page = append(page, p)
		}
	}
	next := ""
	if more && len(ids) > 0 {
		next = ids[len(ids)-1]
	}
	return page, next, nil
}

// shardsPerRead is how many index shards one listing read fetches.
const shardsPerRead = 32

// listIDs walks the index from the shard of after, and tells whether more
// ids follow the limit it returns.
func (r *ProductRepository) listIDs(ctx context.Context, after string, limit int) ([]string, bool, error) {
	first := 0
	if after != "" {
		first = shardOf(after)
	}
	ids := make([]string, 0, limit+1)
	for from := first; from < indexShards && len(ids) <= limit; from += shardsPerRead {
		keys := make([]string, 0, shardsPerRead)
		for n := from; n < min(from+shardsPerRead, indexShards); n++ {
			keys = append(keys, shardKey(n))
		}
		shards, err := r.index.GetMany(ctx, keys)
		if err != nil {
			return nil, false, err
		}
		for _, key := range keys {
			s := shards[key].IDs
			if key == shardKey(first) && after != "" {
				i, listed := slices.BinarySearch(s, after)
				if listed {
					i++
				}
				s = s[i:]
			}
			ids = append(ids, s...)
			if len(ids) > limit {
				return ids[:limit], true, nil
			}
		}
	}
	return ids, false, nil
}

const seedKey = "catalog-seeded"

// Seeded tells whether the first catalog was stored.
func (r *ProductRepository) Seeded(ctx context.Context) (bool, error) {
	m, _, err := r.marks.Get(ctx, seedKey)
	return m.Seeded, err
}

// MarkSeeded records that the first catalog was stored.
func (r *ProductRepository) MarkSeeded(ctx context.Context) error {
	_, _, err := r.marks.Create(ctx, seedKey, seedMark{Seeded: true})
	return err
}
