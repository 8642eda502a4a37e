package group

import (
	"encoding/binary"
	"math/bits"
)

// Fixed constants (from wyhash). They are part of the on-the-wire contract of
// Hash: changing them changes which bucket every group falls into.
const (
	k0 = 0xa0761d6478bd642f
	k1 = 0xe7037ed1a0b428db
	k2 = 0x8ebc6af09c88c6e3
	k3 = 0x589965cc75374cc3
	k4 = 0x1d8e4e27c47d124f

	// nullBits stands for a NULL key value in group hashes.
	nullBits = 0x6c8e9cf570932bd5
)

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// mixInt hashes a 64-bit value for table probing.
func mixInt(x uint64) uint64 { return mum(x^k0, k1) }

// posSeed is the per-position seed of tuple hashes.
func posSeed(j int) uint64 { return mum(uint64(j+1)*k4, k3) }

// term is one key position's contribution to a tuple hash.
func term(x, seed uint64) uint64 { return mum(x^seed, k2) }

// finish turns a sum of terms into a group hash.
func finish(acc uint64) uint64 { return mum(acc^k3, k4) }

var bytesSeed = uint64(k4) ^ mum(k4^k0, k1)

func le64(p []byte) uint64 { return binary.LittleEndian.Uint64(p) }
func le32(p []byte) uint64 { return uint64(binary.LittleEndian.Uint32(p)) }

// hashBytes is wyhash (final version) with a fixed seed.
func hashBytes(p []byte) uint64 {
	seed := bytesSeed
	n := len(p)
	var a, b uint64
	switch {
	case n == 0:
	case n < 4:
		a = uint64(p[0])<<16 | uint64(p[n>>1])<<8 | uint64(p[n-1])
	case n <= 16:
		s := (n >> 3) << 2
		a = le32(p)<<32 | le32(p[s:])
		b = le32(p[n-4:])<<32 | le32(p[n-4-s:])
	default:
		q := p
		i := n
		if i > 48 {
			s1, s2 := seed, seed
			for i > 48 {
				seed = mum(le64(q)^k1, le64(q[8:])^seed)
				s1 = mum(le64(q[16:])^k2, le64(q[24:])^s1)
				s2 = mum(le64(q[32:])^k3, le64(q[40:])^s2)
				q = q[48:]
				i -= 48
			}
			seed ^= s1 ^ s2
		}
		for i > 16 {
			seed = mum(le64(q)^k1, le64(q[8:])^seed)
			q = q[16:]
			i -= 16
		}
		a = le64(p[n-16:])
		b = le64(p[n-8:])
	}
	a ^= k1
	b ^= seed
	hi, lo := bits.Mul64(a, b)
	return mum(lo^k0^uint64(n), hi^k1)
}
