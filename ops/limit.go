package ops

import (
	"context"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
)

// Limit skips the first Offset rows and then passes at most N rows (N < 0: no
// limit).
type Limit struct {
	N      int64 `json:"n"`
	Offset int64 `json:"offset,omitempty"`
}

// Open returns the limited stream, which takes ownership of in. Once the limit
// is reached the stream ends without reading the rest of its input.
func (l Limit) Open(in Stream) Stream {
	return &limitStream{in: in, skip: l.Offset, left: l.N}
}

type limitStream struct {
	in   Stream
	skip int64
	left int64
}

func (s *limitStream) Schema() *arrow.Schema { return s.in.Schema() }
func (s *limitStream) Close() error          { return s.in.Close() }

func (s *limitStream) Next(ctx context.Context) (arrow.Record, error) {
	for {
		if s.left == 0 {
			return nil, io.EOF
		}
		rec, err := s.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := rec.NumRows()
		if s.skip >= n {
			s.skip -= n
			rec.Release()
			continue
		}
		lo, hi := s.skip, n
		s.skip = 0
		if s.left >= 0 && hi-lo > s.left {
			hi = lo + s.left
		}
		if s.left > 0 {
			s.left -= hi - lo
		}
		if lo == 0 && hi == n {
			return rec, nil
		}
		out := rec.NewSlice(lo, hi)
		rec.Release()
		return out, nil
	}
}
