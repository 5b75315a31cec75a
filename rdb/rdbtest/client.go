package rdbtest

import (
	"context"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// FromServer reads every key of databases dbs back through ordinary
// commands (SCAN, TYPE, PEXPIRETIME, GET, LRANGE, SMEMBERS, HGETALL,
// ZRANGE WITHSCORES). Streams are recorded with their kind only.
func FromServer(ctx context.Context, addr string, dbs []int) (*Dataset, error) {
	d := NewDataset()
	for _, db := range dbs {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2})
		err := func() error {
			defer c.Close()
			var keys []string
			var cursor uint64
			for {
				ks, next, err := c.Scan(ctx, cursor, "*", 1000).Result()
				if err != nil {
					return err
				}
				keys = append(keys, ks...)
				if cursor = next; cursor == 0 {
					break
				}
			}
			for _, k := range keys {
				typ, err := c.Type(ctx, k).Result()
				if err != nil {
					return err
				}
				exp, err := c.Do(ctx, "PEXPIRETIME", k).Int64()
				if err != nil {
					return err
				}
				v := &Value{Kind: typ, ExpireMs: exp}
				switch typ {
				case "string":
					s, err := c.Get(ctx, k).Result()
					if err != nil {
						return err
					}
					v.Str = []byte(s)
				case "list":
					l, err := c.LRange(ctx, k, 0, -1).Result()
					if err != nil {
						return err
					}
					for _, e := range l {
						v.List = append(v.List, []byte(e))
					}
				case "set":
					l, err := c.SMembers(ctx, k).Result()
					if err != nil {
						return err
					}
					v.Set = map[string]bool{}
					for _, e := range l {
						v.Set[e] = true
					}
				case "hash":
					if v.Hash, err = c.HGetAll(ctx, k).Result(); err != nil {
						return err
					}
				case "zset":
					l, err := c.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES").StringSlice()
					if err != nil {
						return err
					}
					for i := 0; i+1 < len(l); i += 2 {
						s, err := strconv.ParseFloat(l[i+1], 64)
						if err != nil {
							return fmt.Errorf("score %q: %v", l[i+1], err)
						}
						v.ZSet = append(v.ZSet, ZM{l[i], s})
					}
				}
				if typ == "stream" {
					if v.Stream, err = readStream(ctx, c, k); err != nil {
						return err
					}
				}
				d.Put(db, k, v)
			}
			return nil
		}()
		if err != nil {
			return nil, err
		}
	}
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	libs, err := c.Do(ctx, "FUNCTION", "LIST", "WITHCODE").Slice()
	if err != nil {
		return nil, err
	}
	d.Functions = []string{}
	for _, l := range libs {
		kv, _ := l.([]any)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "library_code" {
				d.Functions = append(d.Functions, fmt.Sprint(kv[i+1]))
			}
		}
	}
	return d, nil
}

func readStream(ctx context.Context, c *redis.Client, key string) (*Stream, error) {
	full, err := c.XInfoStreamFull(ctx, key, 1000000).Result()
	if err != nil {
		return nil, err
	}
	st := &Stream{Length: uint64(full.Length), LastID: full.LastGeneratedID}
	msgs, err := c.XRange(ctx, key, "-", "+").Result()
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		e := Entry{ID: m.ID}
		// go-redis turns fields into a map; read the raw reply to keep
		// order and duplicates.
		_ = m
		st.Entries = append(st.Entries, e)
	}
	raw, err := c.Do(ctx, "XRANGE", key, "-", "+").Slice()
	if err != nil {
		return nil, err
	}
	for i, r := range raw {
		pair := r.([]any)
		for _, f := range pair[1].([]any) {
			st.Entries[i].Fields = append(st.Entries[i].Fields, f.(string))
		}
	}
	for _, g := range full.Groups {
		gg := Group{Name: g.Name, LastDelivered: g.LastDeliveredID}
		for _, p := range g.Pending {
			gg.PEL = append(gg.PEL, PE{p.ID, p.Consumer, p.DeliveryTime.UnixMilli(), uint64(p.DeliveryCount)})
		}
		for _, cs := range g.Consumers {
			cc := Consumer{Name: cs.Name, Seen: cs.SeenTime.UnixMilli()}
			for _, p := range cs.Pending {
				cc.Pending = append(cc.Pending, p.ID)
			}
			gg.Consumers = append(gg.Consumers, cc)
		}
		st.Groups = append(st.Groups, gg)
	}
	return st, nil
}
