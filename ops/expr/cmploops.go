package expr

// Comparison loops: one per operator and form (array op scalar, array op
// array), writing result bits eight rows at a time. out must be zeroed.

import "cmp"

func eqS[T cmp.Ordered](x []T, s T, out []byte) {
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] == s) | b2u(v[1] == s)<<1 | b2u(v[2] == s)<<2 | b2u(v[3] == s)<<3 | b2u(v[4] == s)<<4 | b2u(v[5] == s)<<5 | b2u(v[6] == s)<<6 | b2u(v[7] == s)<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] == s {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func eqA[T cmp.Ordered](x, y []T, out []byte) {
	y = y[:len(x)]
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v, w := x[i:i+8:i+8], y[i:i+8:i+8]
		out[i>>3] = b2u(v[0] == w[0]) | b2u(v[1] == w[1])<<1 | b2u(v[2] == w[2])<<2 | b2u(v[3] == w[3])<<3 | b2u(v[4] == w[4])<<4 | b2u(v[5] == w[5])<<5 | b2u(v[6] == w[6])<<6 | b2u(v[7] == w[7])<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] == y[i] {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func neS[T cmp.Ordered](x []T, s T, out []byte) {
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] != s) | b2u(v[1] != s)<<1 | b2u(v[2] != s)<<2 | b2u(v[3] != s)<<3 | b2u(v[4] != s)<<4 | b2u(v[5] != s)<<5 | b2u(v[6] != s)<<6 | b2u(v[7] != s)<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] != s {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func neA[T cmp.Ordered](x, y []T, out []byte) {
	y = y[:len(x)]
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v, w := x[i:i+8:i+8], y[i:i+8:i+8]
		out[i>>3] = b2u(v[0] != w[0]) | b2u(v[1] != w[1])<<1 | b2u(v[2] != w[2])<<2 | b2u(v[3] != w[3])<<3 | b2u(v[4] != w[4])<<4 | b2u(v[5] != w[5])<<5 | b2u(v[6] != w[6])<<6 | b2u(v[7] != w[7])<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] != y[i] {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func ltS[T cmp.Ordered](x []T, s T, out []byte) {
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] < s) | b2u(v[1] < s)<<1 | b2u(v[2] < s)<<2 | b2u(v[3] < s)<<3 | b2u(v[4] < s)<<4 | b2u(v[5] < s)<<5 | b2u(v[6] < s)<<6 | b2u(v[7] < s)<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] < s {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func ltA[T cmp.Ordered](x, y []T, out []byte) {
	y = y[:len(x)]
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v, w := x[i:i+8:i+8], y[i:i+8:i+8]
		out[i>>3] = b2u(v[0] < w[0]) | b2u(v[1] < w[1])<<1 | b2u(v[2] < w[2])<<2 | b2u(v[3] < w[3])<<3 | b2u(v[4] < w[4])<<4 | b2u(v[5] < w[5])<<5 | b2u(v[6] < w[6])<<6 | b2u(v[7] < w[7])<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] < y[i] {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func leS[T cmp.Ordered](x []T, s T, out []byte) {
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] <= s) | b2u(v[1] <= s)<<1 | b2u(v[2] <= s)<<2 | b2u(v[3] <= s)<<3 | b2u(v[4] <= s)<<4 | b2u(v[5] <= s)<<5 | b2u(v[6] <= s)<<6 | b2u(v[7] <= s)<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] <= s {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func leA[T cmp.Ordered](x, y []T, out []byte) {
	y = y[:len(x)]
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v, w := x[i:i+8:i+8], y[i:i+8:i+8]
		out[i>>3] = b2u(v[0] <= w[0]) | b2u(v[1] <= w[1])<<1 | b2u(v[2] <= w[2])<<2 | b2u(v[3] <= w[3])<<3 | b2u(v[4] <= w[4])<<4 | b2u(v[5] <= w[5])<<5 | b2u(v[6] <= w[6])<<6 | b2u(v[7] <= w[7])<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] <= y[i] {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func gtS[T cmp.Ordered](x []T, s T, out []byte) {
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] > s) | b2u(v[1] > s)<<1 | b2u(v[2] > s)<<2 | b2u(v[3] > s)<<3 | b2u(v[4] > s)<<4 | b2u(v[5] > s)<<5 | b2u(v[6] > s)<<6 | b2u(v[7] > s)<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] > s {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func gtA[T cmp.Ordered](x, y []T, out []byte) {
	y = y[:len(x)]
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v, w := x[i:i+8:i+8], y[i:i+8:i+8]
		out[i>>3] = b2u(v[0] > w[0]) | b2u(v[1] > w[1])<<1 | b2u(v[2] > w[2])<<2 | b2u(v[3] > w[3])<<3 | b2u(v[4] > w[4])<<4 | b2u(v[5] > w[5])<<5 | b2u(v[6] > w[6])<<6 | b2u(v[7] > w[7])<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] > y[i] {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func geS[T cmp.Ordered](x []T, s T, out []byte) {
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v := x[i : i+8 : i+8]
		out[i>>3] = b2u(v[0] >= s) | b2u(v[1] >= s)<<1 | b2u(v[2] >= s)<<2 | b2u(v[3] >= s)<<3 | b2u(v[4] >= s)<<4 | b2u(v[5] >= s)<<5 | b2u(v[6] >= s)<<6 | b2u(v[7] >= s)<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] >= s {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

func geA[T cmp.Ordered](x, y []T, out []byte) {
	y = y[:len(x)]
	n8 := len(x) &^ 7
	for i := 0; i < n8; i += 8 {
		v, w := x[i:i+8:i+8], y[i:i+8:i+8]
		out[i>>3] = b2u(v[0] >= w[0]) | b2u(v[1] >= w[1])<<1 | b2u(v[2] >= w[2])<<2 | b2u(v[3] >= w[3])<<3 | b2u(v[4] >= w[4])<<4 | b2u(v[5] >= w[5])<<5 | b2u(v[6] >= w[6])<<6 | b2u(v[7] >= w[7])<<7
	}
	for i := n8; i < len(x); i++ {
		if x[i] >= y[i] {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}
