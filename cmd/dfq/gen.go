package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dfq/dfq/io/h2o"
)

// genHelp is gen's entry in help's command list.
var genHelp = command{
	name:    "gen",
	summary: "generate the h2o benchmark dataset as Parquet, CSV or Arrow",
	usage:   "gen h2o [--rows 1e7] [--k 100] [--nas 0] [--seed 1] [--format parquet|csv|arrow] [-o DIR]",
	details: `Writes DIR/G1_<rows>_<k>_<nas>_0.<format>: the h2o.ai db-benchmark group-by data (id1, id2
in id001..id<k>; id3 in 1..rows/k as id0000000001..; id4, id5 in 1..k; id6 in 1..rows/k;
v1 in 1..5; v2 in 1..15; v3 uniform in [0, 100) with 6 decimals). The same seed gives the
same file whatever --workers. Chunks of about 1M rows are generated in parallel and
streamed to disk, so 1e8 rows never sit in memory; Parquet is snappy with one row group
per chunk, CSV has a header (NULL is an empty field), Arrow is an IPC file. Progress is
shown on stderr when it is a terminal.`,
	examples: []string{
		`dfq gen h2o --rows 1e7 -o data`,
		`dfq gen h2o --rows 1e6 --nas 10 --format csv -o /tmp`,
	},
	flags: `  --rows N                   rows to generate: 10000000, 10_000_000 or 1e7 (default 1e7)
  --k N                      groups of id1, id2, id4, id5; id3 and id6 have rows/k (default 100)
  --nas P                    percent of values that are NULL, 0..100 (default 0)
  --seed N                   generator seed (default 1)
  --format F                 parquet (default), csv or arrow
  -o DIR                     output directory (default data)
  --workers N                goroutines generating the data (default: CPU count)
  --force                    overwrite an existing file
  -h, --help                 show this help
`,
}

// runGen is `dfq gen`.
func runGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	rows := countFlag(1e7)
	k := countFlag(100)
	fs.Var(&rows, "rows", "rows to generate (accepts 1e7, 10000000 or 10_000_000)")
	fs.Var(&k, "k", "groups in id1, id2, id4, id5 (id3 and id6 have rows/k)")
	nas := fs.Int("nas", 0, "percent of values that are NULL, 0..100")
	seed := fs.Uint64("seed", 1, "generator seed")
	format := fs.String("format", h2o.Parquet, "output format: parquet, csv or arrow")
	dir := fs.String("o", "data", "output directory")
	workers := fs.Int("workers", runtime.NumCPU(), "goroutines generating the data")
	force := fs.Bool("force", false, "overwrite an existing file")
	pos, err := parseArgs(fs, "gen", args, stdout)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "h2o" {
		if len(pos) == 0 {
			return usagef("gen: name a dataset: dfq gen h2o ...")
		}
		return usagef("gen: unknown dataset %q (the one dataset is h2o)", strings.Join(pos, " "))
	}
	if !validGenFormat(*format) {
		return usagef("gen: --format must be parquet, csv or arrow, got %q", *format)
	}
	if *workers <= 0 {
		return usagef("gen: --workers must be positive")
	}
	if k > math.MaxInt32 {
		return usagef("gen: --k is too large")
	}
	cfg := h2o.Config{Rows: int64(rows), K: int(k), NAs: *nas, Seed: *seed}
	if k == 0 {
		return usagef("gen: --k must be at least 1")
	}
	if err := cfg.Validate(); err != nil {
		return usagef("gen: %v", strings.TrimPrefix(err.Error(), "h2o: "))
	}
	path := filepath.Join(*dir, cfg.FileName(*format))
	if _, err := os.Stat(path); err == nil && !*force {
		return fmt.Errorf("gen: %s exists (use --force to overwrite)", path)
	}
	t0 := time.Now()
	opts := h2o.WriteOptions{Workers: *workers}
	if isTerminal(stderr) {
		opts.Progress = func(done, total int64) {
			pct := 100.0
			if total > 0 {
				pct = 100 * float64(done) / float64(total)
			}
			fmt.Fprintf(stderr, "\r\033[Kgenerating %s: %3.0f%% (%d of %d rows, %s)", filepath.Base(path), pct, done, total,
				time.Since(t0).Round(100*time.Millisecond))
		}
	}
	err = cfg.Write(ctx, path, *format, opts)
	if opts.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d rows, %d bytes, %s\n", path, cfg.Rows, st.Size(), time.Since(t0).Round(time.Millisecond))
	return nil
}

func validGenFormat(f string) bool {
	for _, g := range h2o.Formats {
		if f == g {
			return true
		}
	}
	return false
}

// countFlag is a non-negative count written as 10000000, 10_000_000, 1e7 or
// 2.5e6 (any notation whose value is a whole number).
type countFlag int64

func (c *countFlag) String() string { return fmt.Sprint(int64(*c)) }

func (c *countFlag) Set(s string) error {
	n, err := parseCount(s)
	if err != nil {
		return err
	}
	*c = countFlag(n)
	return nil
}

// parseCount parses a count (see countFlag).
func parseCount(s string) (int64, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), "_", "")
	mant, exp, hasExp := strings.Cut(strings.ToLower(t), "e")
	bad := fmt.Errorf("%q is not a number (write 10000000 or 1e7)", s)
	if mant == "" || strings.Trim(mant, "+-0123456789.") != "" || strings.Count(mant, ".") > 1 {
		return 0, bad
	}
	if hasExp {
		e, err := strconv.Atoi(exp)
		if err != nil {
			return 0, bad
		}
		if e > 30 || e < -30 {
			return 0, fmt.Errorf("%q is out of range", s)
		}
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return 0, bad
	}
	if !r.IsInt() {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	if r.Sign() < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return r.Num().Int64(), nil
}
