package ops

import (
	"context"

	"github.com/apache/arrow/go/v17/arrow"
)

// Stream is a pull stream of Arrow records: the output of a reader or of an
// opened operator.
//
// Schema is the logical schema of every record. A record's physical columns may
// differ in one way only: a utf8 column may arrive as a dictionary array (int32
// indices, utf8 values); the record's own schema says which.
//
// Next returns the next record, owned by the caller, who must Release it; it
// stays valid after later calls to Next. At the end Next returns (nil, io.EOF);
// a record may have zero rows. ctx is checked at least once per record. Close
// releases resources and closes inputs; it is safe to call more than once and
// at any time. A Stream is used by one goroutine at a time.
type Stream interface {
	Schema() *arrow.Schema
	Next(ctx context.Context) (arrow.Record, error)
	Close() error
}
