// Package group maps rows of group-by key columns to dense group ids.
//
// A Table is fed batches of key columns with Add; each row gets the id of its
// key tuple, and new tuples get the next id in first-seen order (0, 1, 2, ...).
// NULL is a key value of its own (NULL equals NULL for grouping), -0.0 equals
// 0.0 and all NaNs are one key. A utf8 or binary key column may arrive as a
// plain array or as a dictionary array; both give the same groups.
//
// Every group has a Hash that depends only on its key values and the key
// columns' logical types: the same key tuple hashes the same in every Table,
// process and run, whatever the physical encoding of its strings. Buckets uses
// it to split groups into partitions, so partial aggregates from many
// partitions can be merged in parallel, bucket by bucket.
//
// Internally a Table picks a typed path from its key types, once per batch:
//   - one integer-like key: a direct array over the key range while the keys
//     span less than 2^17 values, else an open-addressing table over the
//     64-bit key values;
//   - one string-like key: an interning table over one byte arena, whose ids
//     are the group ids; a dictionary-encoded batch resolves each dictionary
//     entry once, so each row costs one array lookup (and the resolution is
//     kept while following batches share the dictionary). A new dictionary
//     of at most a few entries per batch row has its already-interned entries
//     resolved up front, in blocks whose cache misses overlap; the rest are
//     collected from the rows that use them and resolved after the row loop,
//     in blocks and in row order, so new groups keep first-seen order;
//   - several keys: each column is reduced to one 64-bit word per row (value
//     bits, or the id of the string in the column's interning table) plus NULL
//     bit words, and the packed tuple is looked up in an open-addressing table.
//     A new small dictionary is interned whole, in blocks, up front;
//     When every column has a small domain in the batch (small dictionaries,
//     narrow integer ranges), rows are first mapped to a dense code tuple, and
//     each distinct tuple is looked up once.
//
// Key data lives in memory from the Table's allocator and is given back by
// Release; hash slot arrays are Go memory. Bytes reports both.
//
// A Table is used by one goroutine at a time.
package group
