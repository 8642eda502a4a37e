// Package wire is the byte protocol between dfq's parent process and its
// worker processes (and, under the mpi build tag, between MPI ranks).
//
// A connection is two byte streams, one each way. Each carries a sequence of
// messages. A message is a control frame, optionally followed by IPC streams:
//
//	frame  = magic "dfqw" | kind (1 byte) | length (uint32) | JSON payload
//	stream = magic "dfqs" | CRC-32C (uint32) | length (uint64) | Arrow IPC stream
//
// (integers little endian). An Arrow IPC stream is the standard streaming
// format as written by arrow/ipc.Writer: schema, dictionaries, batches,
// end-of-stream marker. Writer.Close writes only that marker and leaves the
// underlying writer open, and ipc.Reader reads no byte past it (both checked
// against arrow/go v17 and tested), so streams could follow one another bare.
// They are length-prefixed and checksummed anyway because Arrow's decoder
// trusts the lengths inside its flatbuffer metadata: one corrupt byte in a
// schema can make it allocate gigabytes. The decoder reads a stream whole
// (within Limits.MaxMessage, growing its buffer only as bytes arrive),
// verifies its checksum, and only then lets Arrow parse it, checking each
// IPC message's framing itself so that nothing past the end-of-stream
// marker is consumed.
//
// Messages and their kinds:
//
//	Hello    parent -> child  protocol version and, optionally, where and
//	                          from what size the worker may put result
//	                          streams in files (see Spiller)
//	Ready    child -> parent  protocol version, pid
//	Task     parent -> child  fragment (JSON), split, bucket count, and the
//	                          group it accumulates into (0: none)
//	Result   child -> parent  scan statistics and, per bucket, the number of
//	                          IPC streams that follow (0 for an empty bucket);
//	                          optionally, per stream, the file holding it
//	                          instead (read in place, then removed)
//	Error    child -> parent  code and message (a task failed, or the
//	                          handshake was refused)
//	Shutdown parent -> child  finish and exit (so does end of input)
//	Flush    parent -> child  send the partial result of a group of tasks
//	                          (answered by a Result with its streams)
//
// The decoder treats its input as untrusted: frame payloads are bounded by
// Limits.MaxFrame, IPC streams by Limits.MaxMessage, and memory is allocated
// as bytes actually arrive, so a bad length never allocates more than about
// twice the bytes received plus a small constant. Arrays decoded from IPC streams are
// checked for structural consistency (buffer sizes, offsets, dictionary
// indices) before they are returned. Malformed input gives an error wrapping
// ErrProtocol, input ending early one wrapping io.ErrUnexpectedEOF; never a
// panic.
package wire
