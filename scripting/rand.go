package scripting

// Redis replaces Lua's math.random with its own 48-bit linear congruential
// generator (the classic rand48: x = (0x5DEECE66D*x + 0xB) mod 2^48, output
// the top 31 bits), so scripts see the same sequence on every platform.
// Redis 7.0 no longer reseeds it per script (scripts replicate by effects):
// one sequence, starting from rand48's initial state, runs through every
// EVAL and FCALL of the process, and math.randomseed moves it for the
// scripts that follow. Verified against redis-server 7.0.15 (the first
// math.random(100) after start is 40, then 85, 36, 45).

const (
	rand48Mul  = 0x5DEECE66D
	rand48Add  = 0xB
	rand48Mask = 1<<48 - 1
	// rand48Max is REDIS_LRAND48_MAX (INT32_MAX).
	rand48Max = 1<<31 - 1
)

type rand48 struct{ x uint64 }

// rand48Init is the state before any seeding (X2 X1 X0 = 1234 ABCD 330E).
const rand48Init = 0x1234ABCD330E

// seed is redisSrand48: the high 32 bits come from the seed, the low 16 are
// 0x330E.
func (r *rand48) seed(s int32) {
	r.x = (uint64(uint32(s))<<16 | 0x330E) & rand48Mask
}

// next is redisLrand48.
func (r *rand48) next() int32 {
	r.x = (rand48Mul*r.x + rand48Add) & rand48Mask
	return int32(r.x >> 17)
}

// float is the [0,1) number math.random bases its results on.
func (r *rand48) float() float64 {
	return float64(r.next()%rand48Max) / float64(rand48Max)
}
