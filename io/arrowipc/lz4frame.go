package arrowipc

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

const lz4Magic = 0x184D2204

// fixLZ4Body rewrites, in place, every LZ4-frame compressed buffer of a
// record or dictionary batch body so that it carries no block checksums
// (see the package doc). Buffers are [offset, length) within body; each holds
// an 8-byte uncompressed length (-1: stored uncompressed) and then the frame.
func fixLZ4Body(body []byte, buffers [][2]int64) error {
	for i, bf := range buffers {
		off, n := bf[0], bf[1]
		if n == 0 {
			continue
		}
		if off < 0 || n < 0 || off > int64(len(body)) || n > int64(len(body))-off {
			return fmt.Errorf("buffer %d [%d, +%d) outside the body (%d bytes): %w", i, off, n, len(body), errCorrupt)
		}
		if n < 8 {
			return fmt.Errorf("compressed buffer %d is %d bytes: %w", i, n, errCorrupt)
		}
		b := body[off : off+n]
		if int64(binary.LittleEndian.Uint64(b)) == -1 {
			continue
		}
		if err := stripBlockChecksums(b[8:]); err != nil {
			return fmt.Errorf("compressed buffer %d: %w", i, err)
		}
	}
	return nil
}

// stripBlockChecksums rewrites the LZ4 frame at the start of b without its
// block checksums; the frame shrinks and the freed tail is zeroed. Frames
// without block checksums (and data that is not an LZ4 frame, which the
// decoder reports) are left unchanged.
func stripBlockChecksums(b []byte) error {
	if len(b) < 7 || binary.LittleEndian.Uint32(b) != lz4Magic {
		return nil
	}
	flg := b[4]
	if flg&0x10 == 0 {
		return nil
	}
	desc := 2
	if flg&0x08 != 0 {
		desc += 8 // content size
	}
	if flg&0x01 != 0 {
		desc += 4 // dictionary id
	}
	hc := 4 + desc
	if hc >= len(b) {
		return fmt.Errorf("lz4 frame header truncated: %w", errCorrupt)
	}
	b[4] = flg &^ 0x10
	b[hc] = byte(xxh32(b[4:hc]) >> 8)
	r := hc + 1
	w := r
	for {
		if r+4 > len(b) {
			return fmt.Errorf("lz4 frame truncated: %w", errCorrupt)
		}
		size := binary.LittleEndian.Uint32(b[r:])
		copy(b[w:w+4], b[r:r+4])
		r += 4
		w += 4
		if size == 0 {
			break
		}
		n := int(size & 0x7fffffff)
		if n > len(b)-r-4 {
			return fmt.Errorf("lz4 block of %d bytes truncated: %w", n, errCorrupt)
		}
		copy(b[w:], b[r:r+n])
		w += n
		r += n + 4
	}
	if flg&0x04 != 0 { // content checksum
		if r+4 > len(b) {
			return fmt.Errorf("lz4 frame checksum truncated: %w", errCorrupt)
		}
		copy(b[w:w+4], b[r:r+4])
		r += 4
		w += 4
	}
	clear(b[w:r])
	return nil
}

const (
	xxPrime1 uint32 = 2654435761
	xxPrime2 uint32 = 2246822519
	xxPrime3 uint32 = 3266489917
	xxPrime4 uint32 = 668265263
	xxPrime5 uint32 = 374761393
)

// xxh32 is XXH32 with seed 0 (the LZ4 frame header checksum).
func xxh32(b []byte) uint32 {
	n := len(b)
	var h uint32
	if n >= 16 {
		p1, p2 := xxPrime1, xxPrime2
		v1 := p1 + p2
		v2 := p2
		v3 := uint32(0)
		v4 := -p1
		round := func(v, lane uint32) uint32 { return bits.RotateLeft32(v+lane*xxPrime2, 13) * xxPrime1 }
		for len(b) >= 16 {
			v1 = round(v1, binary.LittleEndian.Uint32(b))
			v2 = round(v2, binary.LittleEndian.Uint32(b[4:]))
			v3 = round(v3, binary.LittleEndian.Uint32(b[8:]))
			v4 = round(v4, binary.LittleEndian.Uint32(b[12:]))
			b = b[16:]
		}
		h = bits.RotateLeft32(v1, 1) + bits.RotateLeft32(v2, 7) + bits.RotateLeft32(v3, 12) + bits.RotateLeft32(v4, 18)
	} else {
		h = xxPrime5
	}
	h += uint32(n)
	for len(b) >= 4 {
		h += binary.LittleEndian.Uint32(b) * xxPrime3
		h = bits.RotateLeft32(h, 17) * xxPrime4
		b = b[4:]
	}
	for _, c := range b {
		h += uint32(c) * xxPrime5
		h = bits.RotateLeft32(h, 11) * xxPrime1
	}
	h ^= h >> 15
	h *= xxPrime2
	h ^= h >> 13
	h *= xxPrime3
	h ^= h >> 16
	return h
}
