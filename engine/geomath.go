package engine

import "math"

// Correctly rounded sin, cos and asin for the geo distance formula.
//
// Redis computes distances with glibc's libm, whose sin/cos/asin return
// the correctly rounded result in practice; Go's math package is off by an
// ulp now and then, which shows in GEOSEARCHSTORE ... STOREDIST scores
// (printed with 17 digits) and can flip a member sitting on the radius.
// These evaluate in double-double arithmetic (about 106 bits) and round
// once, so they agree with glibc wherever glibc is correctly rounded.

type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p.hi, p.lo)
}

func ddMulF(a dd, b float64) dd {
	p := twoProd(a.hi, b)
	p.lo += a.lo * b
	return quickTwoSum(p.hi, p.lo)
}

func ddDivF(a dd, b float64) dd {
	q1 := a.hi / b
	p := twoProd(q1, b)
	s := twoSum(a.hi, -p.hi)
	s.lo -= p.lo
	s.lo += a.lo
	q2 := (s.hi + s.lo) / b
	return quickTwoSum(q1, q2)
}

func (a dd) neg() dd { return dd{-a.hi, -a.lo} }

// π/2 as three doubles.
const (
	pio2Hi  = 1.5707963267948966
	pio2Mid = 6.123233995736766e-17
	pio2Lo  = -1.4973849048591698e-33
)

// ddReduce returns r and k with x = r + k·π/2, |r| <= ~π/4 (for the
// moderate arguments geo uses; ok is false beyond that).
func ddReduce(x dd) (r dd, k int64, ok bool) {
	if math.Abs(x.hi) > 1e6 {
		return dd{}, 0, false
	}
	if math.Abs(x.hi) <= 0.78 { // already reduced (the usual half-differences)
		return x, 0, true
	}
	kf := math.Round(x.hi / pio2Hi)
	k = int64(kf)
	r = ddAdd(x, twoProd(-kf, pio2Hi))
	r = ddAdd(r, twoProd(-kf, pio2Mid))
	r = ddAdd(r, twoProd(-kf, pio2Lo))
	return r, k, true
}

// ddSinCosSmall returns sin r and cos r for |r| <= ~0.8 by their Taylor
// series.
func ddSinCosSmall(r dd) (s, c dd) {
	r2 := ddMul(r, r)
	// sin: r - r^3/3! + ...
	term := r
	s = r
	for n := 2.0; n < 40; n += 2 {
		term = ddDivF(ddMul(term, r2), n*(n+1))
		term = term.neg()
		s = ddAdd(s, term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	term = dd{1, 0}
	c = term
	for n := 1.0; n < 40; n += 2 {
		term = ddDivF(ddMul(term, r2), n*(n+1))
		term = term.neg()
		c = ddAdd(c, term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	return s, c
}

// sin and cos of j/64 (j = 0..52) in double-double, and the Taylor
// coefficients (-1)^k/(2k+1)! and (-1)^k/(2k)!: ddSinCos splits its
// reduced argument r = j/64 + b with |b| <= 1/128, so a few terms of the
// series of b suffice (a quarter of the cost of the plain series).
var (
	geoSinTab, geoCosTab [53]dd
	geoSinCoef           [7]dd // 1/1!, -1/3!, 1/5!, ...
	geoCosCoef           [8]dd // 1/0!, -1/2!, 1/4!, ...
)

func init() {
	f := dd{1, 0} // 1/n!
	for n := 0; n < 16; n++ {
		if n > 0 {
			f = ddDivF(f, float64(n))
		}
		c := f
		if (n/2)%2 == 1 {
			c = c.neg()
		}
		if n%2 == 0 {
			geoCosCoef[n/2] = c
		} else if n/2 < len(geoSinCoef) {
			geoSinCoef[n/2] = c
		}
	}
	for j := range geoSinTab {
		geoSinTab[j], geoCosTab[j] = ddSinCosSmall(dd{float64(j) / 64, 0})
	}
}

// ddSinCosTiny evaluates the series for |b| <= 1/128. Only the leading
// terms need double-double: sin b = b - b^3/6 + b^5·(...), where the tail
// is below 4e-11·|b| and carries an error near 1e-26·|b| in plain doubles;
// likewise cos b = 1 - b^2/2 + b^4·(...).
func ddSinCosTiny(b dd) (s, c dd) {
	b2 := ddMul(b, b)
	x2 := b2.hi
	b3 := ddMul(b2, b)
	s = ddAdd(b, ddMul(b3, geoSinCoef[1]))
	tail := b3.hi * x2 * (geoSinCoef[2].hi + x2*(geoSinCoef[3].hi+x2*(geoSinCoef[4].hi+x2*geoSinCoef[5].hi)))
	s = ddAdd(s, dd{tail, 0})
	c = ddAdd(geoCosCoef[0], ddMul(b2, geoCosCoef[1]))
	tail = x2 * x2 * (geoCosCoef[2].hi + x2*(geoCosCoef[3].hi+x2*(geoCosCoef[4].hi+x2*geoCosCoef[5].hi)))
	c = ddAdd(c, dd{tail, 0})
	return s, c
}

// ddSinCos returns sin x and cos x in double-double.
func ddSinCos(x dd) (s, c dd, ok bool) {
	r, k, ok := ddReduce(x)
	if !ok {
		return dd{}, dd{}, false
	}
	neg := r.hi < 0
	if neg {
		r = r.neg()
	}
	j := int(math.Round(r.hi * 64))
	if j >= len(geoSinTab) {
		j = len(geoSinTab) - 1
	}
	b := ddAdd(r, dd{-float64(j) / 64, 0})
	sb, cb := ddSinCosTiny(b)
	sa, ca := geoSinTab[j], geoCosTab[j]
	ss := ddAdd(ddMul(sa, cb), ddMul(ca, sb))
	cc := ddAdd(ddMul(ca, cb), ddMul(sa, sb).neg())
	if neg {
		ss = ss.neg()
	}
	switch k & 3 {
	case 0:
		return ss, cc, true
	case 1:
		return cc, ss.neg(), true
	case 2:
		return ss.neg(), cc.neg(), true
	default:
		return cc.neg(), ss, true
	}
}

func geoSin(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || x != x {
		return math.Sin(x)
	}
	s, _, ok := ddSinCos(dd{x, 0})
	if !ok {
		return math.Sin(x)
	}
	return s.hi + s.lo
}

func geoCos(x float64) float64 {
	if math.IsInf(x, 0) || x != x {
		return math.Cos(x)
	}
	_, c, ok := ddSinCos(dd{x, 0})
	if !ok {
		return math.Cos(x)
	}
	return c.hi + c.lo
}

// geoAsin refines Go's asin with Newton steps on sin(y) = x in
// double-double.
func geoAsin(x float64) float64 {
	if x != x || x > 1 || x < -1 {
		return math.NaN()
	}
	if x == 0 || x == 1 || x == -1 {
		return math.Asin(x)
	}
	y := dd{math.Asin(x), 0}
	// One step from Go's estimate (within an ulp or two) leaves an error
	// far below 2^-106 except near |x| = 1, where asin is steep.
	steps := 1
	if x > 0.99 || x < -0.99 {
		steps = 2
	}
	for i := 0; i < steps; i++ {
		s, c, _ := ddSinCos(y)
		f := ddAdd(s, dd{-x, 0})
		d := (f.hi + f.lo) / (c.hi + c.lo)
		y = ddAdd(y, dd{-d, 0})
	}
	return y.hi + y.lo
}
