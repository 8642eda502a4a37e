package parquet

import "fmt"

// lz4Block decompresses one LZ4 block (the LZ4_RAW codec) of known
// decompressed size into dst. Unlike parquet-go's codec, which retries any
// error with a doubled buffer without bound, it fails on corrupt input.
func lz4Block(dst, src []byte, size int) ([]byte, error) {
	if cap(dst) < size {
		dst = make([]byte, size)
	}
	dst = dst[:size]
	corrupt := func(what string) ([]byte, error) {
		return nil, fmt.Errorf("lz4: %s: %w", what, ErrCorrupt)
	}
	d, s := 0, 0
	for s < len(src) {
		token := src[s]
		s++
		// Literals.
		n := int(token >> 4)
		if n == 15 {
			for {
				if s >= len(src) {
					return corrupt("truncated literal length")
				}
				b := src[s]
				s++
				n += int(b)
				if n > size {
					return corrupt("literal length past the output")
				}
				if b != 255 {
					break
				}
			}
		}
		if n > len(src)-s || n > size-d {
			return corrupt("literals past the end")
		}
		d += copy(dst[d:], src[s:s+n])
		s += n
		if s == len(src) {
			break // the last sequence has literals only
		}
		// Match.
		if len(src)-s < 2 {
			return corrupt("truncated match offset")
		}
		off := int(src[s]) | int(src[s+1])<<8
		s += 2
		if off == 0 || off > d {
			return corrupt("match offset out of range")
		}
		m := int(token & 15)
		if m == 15 {
			for {
				if s >= len(src) {
					return corrupt("truncated match length")
				}
				b := src[s]
				s++
				m += int(b)
				if m > size {
					return corrupt("match length past the output")
				}
				if b != 255 {
					break
				}
			}
		}
		m += 4
		if m > size-d {
			return corrupt("match past the output")
		}
		from := d - off
		if off >= m {
			copy(dst[d:d+m], dst[from:from+m])
		} else {
			for i := 0; i < m; i++ {
				dst[d+i] = dst[from+i]
			}
		}
		d += m
	}
	if d != size {
		return nil, fmt.Errorf("lz4: block decompressed to %d bytes, want %d: %w", d, size, ErrCorrupt)
	}
	return dst, nil
}
