// Package rdbtest compares a data set (read from an RDB file, or back from
// a Shale server) with a fixture's NAME.expected.json, following the rules
// of ../shared/rdb-fixtures/README.md.
package rdbtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/shaledb/shale/rdb"
)

// Value is one key's logical content.
type Value struct {
	Kind     string
	ExpireMs int64 // -1 = none
	Str      []byte
	List     [][]byte
	Set      map[string]bool
	Hash     map[string]string
	FieldExp map[string]int64
	ZSet     []ZM
	Stream   *Stream
}

// ZM is a sorted-set member.
type ZM struct {
	Member string
	Score  float64
}

// Stream is a stream's comparable content.
type Stream struct {
	Length  uint64
	LastID  string
	Entries []Entry
	Groups  []Group
}

// Entry is one stream entry.
type Entry struct {
	ID     string
	Fields []string // f1 v1 f2 v2 ...
}

// Group is a consumer group.
type Group struct {
	Name          string
	LastDelivered string
	PEL           []PE
	Consumers     []Consumer
}

// PE is a pending entry.
type PE struct {
	ID, Consumer string
	Time         int64
	Count        uint64
}

// Consumer is a group's consumer.
type Consumer struct {
	Name    string
	Seen    int64
	Pending []string
}

// Dataset is db -> key -> value, plus the function libraries' code.
type Dataset struct {
	DBs       map[int]map[string]*Value
	Functions []string
}

// NewDataset returns an empty data set.
func NewDataset() *Dataset { return &Dataset{DBs: map[int]map[string]*Value{}} }

// Put stores a value.
func (d *Dataset) Put(db int, key string, v *Value) {
	if d.DBs[db] == nil {
		d.DBs[db] = map[string]*Value{}
	}
	d.DBs[db][key] = v
}

// FromRDB reads an RDB file as a master loads it: keys already expired at
// nowMs and empty collections are dropped.
func FromRDB(path string, nowMs int64) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := NewDataset()
	var cur *Value
	var curStream *Stream
	count := 0
	err = rdb.NewReader(f).Parse(func(e *rdb.Event) error {
		switch e.Type {
		case rdb.EvFunction:
			d.Functions = append(d.Functions, string(e.Value))
		case rdb.EvKey:
			exp := int64(-1)
			if e.ExpireAt != 0 {
				exp = e.ExpireAt
			}
			cur = &Value{Kind: e.Kind.String(), ExpireMs: exp}
			count = 0
			switch e.Kind {
			case rdb.KindSet:
				cur.Set = map[string]bool{}
			case rdb.KindHash:
				cur.Hash = map[string]string{}
			case rdb.KindStream:
				curStream = &Stream{}
				cur.Stream = curStream
			}
		case rdb.EvString:
			cur.Str = append([]byte{}, e.Value...)
			count++
		case rdb.EvListElem:
			cur.List = append(cur.List, append([]byte{}, e.Value...))
			count++
		case rdb.EvSetMember:
			cur.Set[string(e.Value)] = true
			count++
		case rdb.EvHashField:
			cur.Hash[string(e.Field)] = string(e.Value)
			if e.FieldExpireAt != 0 {
				if cur.FieldExp == nil {
					cur.FieldExp = map[string]int64{}
				}
				cur.FieldExp[string(e.Field)] = e.FieldExpireAt
			}
			count++
		case rdb.EvZMember:
			cur.ZSet = append(cur.ZSet, ZM{string(e.Value), e.Score})
			count++
		case rdb.EvStreamEntry:
			en := Entry{ID: e.ID.String()}
			for _, f := range e.Fields {
				en.Fields = append(en.Fields, string(f))
			}
			curStream.Entries = append(curStream.Entries, en)
		case rdb.EvStreamMeta:
			curStream.Length = e.Stream.Length
			curStream.LastID = e.Stream.LastID.String()
			count++ // streams are never "empty" keys
		case rdb.EvStreamGroup:
			g := Group{Name: string(e.Group.Name), LastDelivered: e.Group.LastID.String()}
			for _, p := range e.Group.PEL {
				g.PEL = append(g.PEL, PE{p.ID.String(), string(p.Consumer), p.DeliveryTime, p.DeliveryCount})
			}
			curStream.Groups = append(curStream.Groups, g)
		case rdb.EvStreamConsumer:
			g := &curStream.Groups[len(curStream.Groups)-1]
			c := Consumer{Name: string(e.Consumer.Name), Seen: e.Consumer.SeenTime}
			for _, id := range e.Consumer.Pending {
				c.Pending = append(c.Pending, id.String())
			}
			g.Consumers = append(g.Consumers, c)
		case rdb.EvKeyEnd:
			if count == 0 || (cur.ExpireMs != -1 && cur.ExpireMs <= nowMs) {
				return nil
			}
			if cur.Kind == "zset" {
				SortZSet(cur.ZSet)
			}
			d.Put(e.DB, string(e.Key), cur)
		}
		return nil
	})
	return d, err
}

// SortZSet puts members in ZRANGE order.
func SortZSet(z []ZM) {
	sort.SliceStable(z, func(i, j int) bool {
		if z[i].Score != z[j].Score {
			return z[i].Score < z[j].Score
		}
		return z[i].Member < z[j].Member
	})
}

// Expected is the parsed part of NAME.expected.json a test needs.
type Expected struct {
	Fixture   string `json:"fixture"`
	Corrupt   bool   `json:"corrupt"`
	Loads     *bool  `json:"loads"`
	Databases map[string]struct {
		Keys []struct {
			Key           string           `json:"key"`
			Type          string           `json:"type"`
			ExpireMs      int64            `json:"expire_ms"`
			Value         json.RawMessage  `json:"value"`
			FieldExpireMs map[string]int64 `json:"field_expire_ms"`
		} `json:"keys"`
	} `json:"databases"`
	Functions []struct {
		Code string `json:"library_code"`
	} `json:"functions"`
}

// Refused reports whether Redis refuses to load the fixture.
func (x *Expected) Refused() bool { return x.Loads != nil && !*x.Loads }

// LoadExpected reads NAME.expected.json next to an .rdb path.
func LoadExpected(rdbPath string) (*Expected, error) {
	b, err := os.ReadFile(strings.TrimSuffix(rdbPath, ".rdb") + ".expected.json")
	if err != nil {
		return nil, err
	}
	var x Expected
	return &x, json.Unmarshal(b, &x)
}

// FixturesDir finds ../shared/rdb-fixtures from the repository root, or "".
func FixturesDir() string {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(filepath.Dir(file))) // rdb/rdbtest -> repo
	d := filepath.Join(root, "..", "shared", "rdb-fixtures")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// Fixtures lists every .rdb under the fixtures directory.
func Fixtures(dir string) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".rdb") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func b64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "<bad base64>"
	}
	return string(b)
}

// Compare returns the differences between the expected content and got
// (empty when equal).
func Compare(x *Expected, got *Dataset) []string {
	var diffs []string
	add := func(f string, a ...any) {
		if len(diffs) < 50 {
			diffs = append(diffs, fmt.Sprintf(f, a...))
		}
	}
	seen := map[int]int{}
	for dbs, dbx := range x.Databases {
		db, _ := strconv.Atoi(dbs)
		for _, k := range dbx.Keys {
			key := b64(k.Key)
			g := got.DBs[db][key]
			if g == nil {
				add("db%d %q: missing", db, key)
				continue
			}
			seen[db]++
			if g.Kind != k.Type {
				add("db%d %q: type %s, want %s", db, key, g.Kind, k.Type)
				continue
			}
			if g.ExpireMs != k.ExpireMs {
				add("db%d %q: expire %d, want %d", db, key, g.ExpireMs, k.ExpireMs)
			}
			if d := compareValue(k.Type, k.Value, k.FieldExpireMs, g); d != "" {
				add("db%d %q: %s", db, key, d)
			}
		}
	}
	for db, m := range got.DBs {
		if len(m) != seen[db] {
			for key := range m {
				found := false
				for _, k := range x.Databases[strconv.Itoa(db)].Keys {
					if b64(k.Key) == key {
						found = true
					}
				}
				if !found {
					add("db%d %q: unexpected key", db, key)
				}
			}
		}
	}
	if got.Functions != nil || len(x.Functions) > 0 {
		var want []string
		for _, f := range x.Functions {
			want = append(want, f.Code)
		}
		g := append([]string(nil), got.Functions...)
		sort.Strings(want)
		sort.Strings(g)
		if strings.Join(want, "\x00") != strings.Join(g, "\x00") {
			add("functions: %q, want %q", g, want)
		}
	}
	return diffs
}

func compareValue(typ string, raw json.RawMessage, fexp map[string]int64, g *Value) string {
	switch typ {
	case "string":
		var s string
		json.Unmarshal(raw, &s)
		if !bytes.Equal([]byte(b64(s)), g.Str) {
			return fmt.Sprintf("string value differs (len %d, want %d)", len(g.Str), len(b64(s)))
		}
	case "list":
		var l []string
		json.Unmarshal(raw, &l)
		if len(l) != len(g.List) {
			return fmt.Sprintf("list length %d, want %d", len(g.List), len(l))
		}
		for i := range l {
			if b64(l[i]) != string(g.List[i]) {
				return fmt.Sprintf("list[%d] = %q, want %q", i, g.List[i], b64(l[i]))
			}
		}
	case "set":
		var l []string
		json.Unmarshal(raw, &l)
		if len(l) != len(g.Set) {
			return fmt.Sprintf("set size %d, want %d", len(g.Set), len(l))
		}
		for _, m := range l {
			if !g.Set[b64(m)] {
				return fmt.Sprintf("set lacks %q", b64(m))
			}
		}
	case "hash":
		var h map[string]string
		json.Unmarshal(raw, &h)
		if len(h) != len(g.Hash) {
			return fmt.Sprintf("hash size %d, want %d", len(g.Hash), len(h))
		}
		for f, v := range h {
			if gv, ok := g.Hash[b64(f)]; !ok || gv != b64(v) {
				return fmt.Sprintf("hash field %q = %q, want %q", b64(f), gv, b64(v))
			}
		}
		if len(fexp) != len(g.FieldExp) {
			return fmt.Sprintf("%d fields with TTL, want %d", len(g.FieldExp), len(fexp))
		}
		for f, ms := range fexp {
			if g.FieldExp[b64(f)] != ms {
				return fmt.Sprintf("field %q expires %d, want %d", b64(f), g.FieldExp[b64(f)], ms)
			}
		}
	case "zset":
		var l [][2]string
		json.Unmarshal(raw, &l)
		if len(l) != len(g.ZSet) {
			return fmt.Sprintf("zset size %d, want %d", len(g.ZSet), len(l))
		}
		for i, m := range l {
			s, _ := strconv.ParseFloat(m[1], 64)
			if g.ZSet[i].Member != b64(m[0]) || !(g.ZSet[i].Score == s || math.IsNaN(s) && math.IsNaN(g.ZSet[i].Score)) {
				return fmt.Sprintf("zset[%d] = %q %v, want %q %v", i, g.ZSet[i].Member, g.ZSet[i].Score, b64(m[0]), s)
			}
		}
	case "stream":
		return compareStream(raw, g.Stream)
	}
	return ""
}

func compareStream(raw json.RawMessage, g *Stream) string {
	var x struct {
		Length  uint64 `json:"length"`
		LastID  string `json:"last_generated_id"`
		Entries []struct {
			ID     string      `json:"id"`
			Fields [][2]string `json:"fields"`
		} `json:"entries"`
		Groups []struct {
			Name    string `json:"name"`
			LastID  string `json:"last_delivered_id"`
			Pending []struct {
				ID       string `json:"id"`
				Consumer string `json:"consumer"`
				Time     int64  `json:"delivery_time_ms"`
				Count    uint64 `json:"delivery_count"`
			} `json:"pending"`
			Consumers []struct {
				Name    string `json:"name"`
				Seen    int64  `json:"seen_time_ms"`
				Pending []struct {
					ID string `json:"id"`
				} `json:"pending"`
			} `json:"consumers"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		return err.Error()
	}
	if g == nil {
		return "no stream content"
	}
	if x.Length != g.Length || x.LastID != g.LastID {
		return fmt.Sprintf("length/last id %d %s, want %d %s", g.Length, g.LastID, x.Length, x.LastID)
	}
	if len(x.Entries) != len(g.Entries) {
		return fmt.Sprintf("%d entries, want %d", len(g.Entries), len(x.Entries))
	}
	for i, e := range x.Entries {
		ge := g.Entries[i]
		if ge.ID != e.ID || len(ge.Fields) != 2*len(e.Fields) {
			return fmt.Sprintf("entry %d: %s/%d fields, want %s/%d", i, ge.ID, len(ge.Fields)/2, e.ID, len(e.Fields))
		}
		for j, fv := range e.Fields {
			if ge.Fields[2*j] != b64(fv[0]) || ge.Fields[2*j+1] != b64(fv[1]) {
				return fmt.Sprintf("entry %s field %d differs", e.ID, j)
			}
		}
	}
	if len(x.Groups) != len(g.Groups) {
		return fmt.Sprintf("%d groups, want %d", len(g.Groups), len(x.Groups))
	}
	byName := map[string]*Group{}
	for i := range g.Groups {
		byName[g.Groups[i].Name] = &g.Groups[i]
	}
	for _, xg := range x.Groups {
		gg := byName[b64(xg.Name)]
		if gg == nil {
			return fmt.Sprintf("group %q missing", b64(xg.Name))
		}
		if gg.LastDelivered != xg.LastID {
			return fmt.Sprintf("group %q last id %s, want %s", gg.Name, gg.LastDelivered, xg.LastID)
		}
		if len(gg.PEL) != len(xg.Pending) {
			return fmt.Sprintf("group %q PEL %d, want %d", gg.Name, len(gg.PEL), len(xg.Pending))
		}
		for i, p := range xg.Pending {
			gp := gg.PEL[i]
			if gp.ID != p.ID || gp.Consumer != b64(p.Consumer) || gp.Time != p.Time || gp.Count != p.Count {
				return fmt.Sprintf("group %q PEL[%d] = %+v, want %+v", gg.Name, i, gp, p)
			}
		}
		if len(gg.Consumers) != len(xg.Consumers) {
			return fmt.Sprintf("group %q has %d consumers, want %d", gg.Name, len(gg.Consumers), len(xg.Consumers))
		}
		cons := map[string]*Consumer{}
		for i := range gg.Consumers {
			cons[gg.Consumers[i].Name] = &gg.Consumers[i]
		}
		for _, xc := range xg.Consumers {
			gc := cons[b64(xc.Name)]
			if gc == nil {
				return fmt.Sprintf("consumer %q missing", b64(xc.Name))
			}
			if gc.Seen != xc.Seen || len(gc.Pending) != len(xc.Pending) {
				return fmt.Sprintf("consumer %q seen %d pending %d, want %d %d", gc.Name, gc.Seen, len(gc.Pending), xc.Seen, len(xc.Pending))
			}
			for i, p := range xc.Pending {
				if gc.Pending[i] != p.ID {
					return fmt.Sprintf("consumer %q pending[%d] = %s, want %s", gc.Name, i, gc.Pending[i], p.ID)
				}
			}
		}
	}
	return ""
}
