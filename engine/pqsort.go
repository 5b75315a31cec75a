package engine

// PartialSort is Redis's pqsort (NetBSD's Bentley-McIlroy quicksort that
// only recurses into partitions overlapping [lrange, rrange]), which SORT
// ... LIMIT and GEOSEARCH/GEORADIUS ... COUNT use: ties come out in
// Redis's order. Redis 7.0's copy has no switch to insertion sort when a
// partition pass swapped nothing (checked against redis-server: with ties
// that switch would order them differently).
func PartialSort[T any](a []T, cmp func(a, b *T) int, lrange, rrange int) {
	pqsort(a, 0, len(a), cmp, lrange, rrange)
}

func pqsort[T any](a []T, lo, n int, cmp func(a, b *T) int, lrange, rrange int) {
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(x, y, z int) int {
		if cmp(&a[x], &a[y]) < 0 {
			if cmp(&a[y], &a[z]) < 0 {
				return y
			}
			if cmp(&a[x], &a[z]) < 0 {
				return z
			}
			return x
		}
		if cmp(&a[y], &a[z]) > 0 {
			return y
		}
		if cmp(&a[x], &a[z]) < 0 {
			return x
		}
		return z
	}
	insertion := func() {
		for pm := lo + 1; pm < lo+n; pm++ {
			for pl := pm; pl > lo && cmp(&a[pl-1], &a[pl]) > 0; pl-- {
				swap(pl, pl-1)
			}
		}
	}
	for {
		if n < 7 {
			insertion()
			return
		}
		pm := lo + n/2
		if n > 7 {
			pl := lo
			pn := lo + n - 1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(lo, pm)
		pa, pb := lo+1, lo+1
		pc, pd := lo+n-1, lo+n-1
		for {
			for pb <= pc {
				c := cmp(&a[pb], &a[lo])
				if c > 0 {
					break
				}
				if c == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				c := cmp(&a[pc], &a[lo])
				if c < 0 {
					break
				}
				if c == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := lo + n
		r := min(pa-lo, pb-pa)
		vecswap(lo, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 {
			if overlaps(lo, r, lrange, rrange) {
				pqsort(a, lo, r, cmp, lrange, rrange)
			}
		}
		if r = pd - pc; r > 1 {
			lo = pn - r
			n = r
			if overlaps(lo, n, lrange, rrange) {
				continue
			}
		}
		return
	}
}

// overlaps is pqsort's test of whether the partition a[lo:lo+n] meets the
// wanted range (C compares byte addresses; in elements that is this).
func overlaps(lo, n, lrange, rrange int) bool {
	return !((lrange < lo && rrange < lo) || (lrange >= lo+n && rrange >= lo+n))
}
