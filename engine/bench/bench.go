package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/dfq/dfq/engine"
	"github.com/dfq/dfq/engine/proc"
	"github.com/dfq/dfq/io/dataset"
	"github.com/dfq/dfq/io/sink"
	"github.com/dfq/dfq/io/source"
)

// Table is the name under which queries see the data (SELECT ... FROM x).
const Table = "x"

// Config says what to measure. Data and Queries are required; the zero value
// of every other field picks its default.
type Config struct {
	// Data are the files, globs or directories read as the table x.
	Data []string
	// Read says how to read them (format, CSV options, split size).
	Read engine.ReadOptions
	// Queries to run, in order; see Suite.
	Queries []Query
	// Modes are the executors to measure (default seq, threads, procs). The
	// sequential executor, when present, runs first and is the reference
	// every other result is checked against and the baseline of Speedup;
	// without it the first configuration is the reference and no speedup is
	// computed.
	Modes []engine.Mode
	// Workers are the worker counts for threads and procs (default 1, 2,
	// 4, ... up to runtime.NumCPU(), and NumCPU itself). seq always runs
	// with one.
	Workers []int
	// Runs is the number of measured runs per query and configuration
	// (default 3).
	Runs int
	// Warmup is the number of unmeasured runs before them (default and
	// minimum 1). The first warm-up run's result is the one checked.
	Warmup int
	// WorkerCommand runs a worker process for procs (proc.Options.Command);
	// nil re-executes this program.
	WorkerCommand []string
	// WorkerLog receives the worker processes' stderr (nil: os.Stderr).
	WorkerLog io.Writer
	// Progress, when set, is called before every run.
	Progress func(Progress)
	// Mem allocates the queries' Arrow memory (nil: the default allocator).
	Mem memory.Allocator
}

// Progress says which run is about to start.
type Progress struct {
	Step, Steps int // 1-based step among all runs of the benchmark
	Query       string
	Mode        engine.Mode
	Workers     int
	// Phase is "cold-start" (first query on a new procs pool), "check"
	// (warm-up runs; the first one's result is checked), "run" (measured)
	// or "memory" (one untimed run per configuration for its peak memory).
	Phase string
	Run   int // 1-based run within the phase
	Runs  int
}

// Report is everything a benchmark measured.
type Report struct {
	Machine Machine   `json:"machine"`
	Started time.Time `json:"started"`
	Elapsed float64   `json:"elapsed_s"`
	// LoadStart and LoadEnd are the machine's 1, 5 and 15 minute load
	// averages when the benchmark started and ended (Linux): other work on
	// the machine makes the numbers noisy.
	LoadStart []float64 `json:"load_start,omitempty"`
	LoadEnd   []float64 `json:"load_end,omitempty"`
	Data      DataInfo  `json:"data"`
	Queries   []Query   `json:"queries"`
	Modes     []string  `json:"modes"`
	Workers   []int     `json:"workers"`
	Runs      int       `json:"runs"`
	Warmup    int       `json:"warmup"`
	// Check says how results were compared across executors.
	Check string `json:"check"`
	// Memory says what PeakRSS means; MemoryShort in one line.
	Memory      string `json:"memory"`
	MemoryShort string `json:"memory_short"`
	// ColdStarts measure starting a procs pool, one per worker count.
	ColdStarts []ColdStart `json:"cold_starts,omitempty"`
	// Results holds one measurement per query and configuration, in run
	// order.
	Results []Measurement `json:"results"`
}

// DataInfo describes the benchmark's input.
type DataInfo struct {
	Paths  []string `json:"paths"`
	Files  []string `json:"files"`
	Format string   `json:"format"`
	Rows   int64    `json:"rows"`
	Bytes  int64    `json:"bytes"`
	Splits int      `json:"splits"`
}

// ColdStart is the cost of a fresh procs pool of Workers processes: Startup
// is the pool's own measure of the time from starting the processes (in
// parallel) until all had answered the handshake; FirstQuery is the wall
// time of the first query on the new pool (Startup included) and WarmQuery
// that of the same query run again right after, on the now warm pool.
type ColdStart struct {
	Workers    int     `json:"workers"`
	Query      string  `json:"query"`
	Startup    float64 `json:"startup_s"`
	FirstQuery float64 `json:"first_query_s"`
	WarmQuery  float64 `json:"warm_query_s"`
}

// Measurement is one query on one executor configuration. Times are in
// seconds.
type Measurement struct {
	Query   string    `json:"query"`
	Mode    string    `json:"mode"`
	Workers int       `json:"workers"`
	Times   []float64 `json:"times_s"` // every measured run, in order
	Median  float64   `json:"median_s"`
	Min     float64   `json:"min_s"`
	Max     float64   `json:"max_s"`
	// Speedup is the sequential executor's median over this median;
	// Efficiency is Speedup / Workers. Both are 0 without a seq run.
	Speedup    float64 `json:"speedup"`
	Efficiency float64 `json:"efficiency"`
	// RowsPerSec is input rows / median.
	RowsPerSec float64 `json:"rows_per_s"`
	// PeakRSS is the peak memory of one more run after the measured ones,
	// untimed (see Report.Memory), in bytes, with its parts: the parent
	// process and the sum over worker processes. -1 when not measured.
	// PeakRSSRuns has that run's total.
	PeakRSS        int64   `json:"peak_rss_bytes"`
	PeakRSSParent  int64   `json:"peak_rss_parent_bytes"`
	PeakRSSWorkers int64   `json:"peak_rss_workers_bytes"`
	PeakRSSRuns    []int64 `json:"peak_rss_runs_bytes,omitempty"`
	// ResultRows is the number of rows the query returned.
	ResultRows int64 `json:"result_rows"`
	// WorkersStarted counts worker processes started during the measured
	// runs (procs; nonzero means a worker was replaced, which the runs paid for).
	WorkersStarted int `json:"workers_started,omitempty"`
	// Shipped is what the last measured run moved between dfq and its
	// workers (procs only).
	Shipped *Traffic `json:"shipped,omitempty"`
}

// Traffic is what one procs query moved between processes: bytes to the
// workers (work descriptors), bytes back (results, through the pipes and in
// ResultFiles files in shared memory).
type Traffic struct {
	ToWorkers   int64 `json:"to_workers_bytes"`
	FromWorkers int64 `json:"from_workers_bytes"`
	ResultFiles int   `json:"result_files"`
}

// MismatchError is returned when an executor's result differs from the
// reference: the benchmark refuses to report numbers for a wrong answer.
type MismatchError struct {
	Query     string
	Mode      engine.Mode
	Workers   int
	Reference string // the reference configuration, e.g. "seq"
	Detail    string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("bench: query %s: %s disagrees with %s: %s", e.Query, configName(e.Mode, e.Workers), e.Reference, e.Detail)
}

// ResultHook, when set, is given every checked result (the first warm-up
// run of each query and configuration) before it is compared, and returns
// the table to compare in its place; it owns tbl and the caller owns what it
// returns. It exists so tests can prove that a wrong result makes the
// benchmark refuse to report. Nil in normal use.
var ResultHook func(query string, mode engine.Mode, workers int, tbl arrow.Table) arrow.Table

// config is one executor configuration.
type config struct {
	mode    engine.Mode
	workers int
}

func configName(m engine.Mode, w int) string {
	if m == engine.Sequential {
		return string(m)
	}
	return fmt.Sprintf("%s with %d worker(s)", m, w)
}

// DefaultWorkers returns 1, 2, 4, ... up to n, and n.
func DefaultWorkers(n int) []int {
	var ws []int
	for w := 1; w < n; w *= 2 {
		ws = append(ws, w)
	}
	return append(ws, max(n, 1))
}

func (c *Config) defaults() error {
	if len(c.Data) == 0 {
		return errors.New("bench: no data given")
	}
	if len(c.Queries) == 0 {
		return errors.New("bench: no queries given")
	}
	if len(c.Modes) == 0 {
		c.Modes = []engine.Mode{engine.Sequential, engine.Threads, engine.Procs}
	}
	seen := map[engine.Mode]bool{}
	var modes []engine.Mode
	for _, m := range c.Modes {
		switch m {
		case engine.Sequential, engine.Threads, engine.Procs:
		default:
			return fmt.Errorf("bench: unknown executor %q (want seq, threads or procs)", m)
		}
		if !seen[m] {
			seen[m] = true
			modes = append(modes, m)
		}
	}
	// seq first: it is the reference and the baseline.
	slices.SortStableFunc(modes, func(a, b engine.Mode) int {
		return boolInt(b == engine.Sequential) - boolInt(a == engine.Sequential)
	})
	c.Modes = modes
	if len(c.Workers) == 0 {
		c.Workers = DefaultWorkers(runtime.NumCPU())
	}
	ws := slices.Clone(c.Workers)
	for _, w := range ws {
		if w <= 0 {
			return fmt.Errorf("bench: worker counts must be positive, got %d", w)
		}
	}
	slices.Sort(ws)
	c.Workers = slices.Compact(ws)
	if c.Runs == 0 {
		c.Runs = 3
	}
	if c.Runs < 0 {
		return fmt.Errorf("bench: runs must be positive, got %d", c.Runs)
	}
	c.Warmup = max(c.Warmup, 1)
	names := map[string]bool{}
	for _, q := range c.Queries {
		if q.Name == "" || names[q.Name] {
			return fmt.Errorf("bench: query names must be unique and non-empty, got %q", q.Name)
		}
		names[q.Name] = true
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// configs lists the executor configurations in run order.
func (c *Config) configs() []config {
	var out []config
	for _, m := range c.Modes {
		if m == engine.Sequential {
			out = append(out, config{m, 1})
			continue
		}
		for _, w := range c.Workers {
			out = append(out, config{m, w})
		}
	}
	return out
}

// runner holds what a benchmark run shares.
type runner struct {
	cfg    Config
	qo     engine.QueryOptions
	pools  map[int]*proc.Pool
	marker map[int]string // environment entry that marks a pool's workers
	// checkedRows is each query's result size from its check.
	checkedRows map[string]int64
	poolID      int // pools started so far
	step        int
	steps       int
}

// Run measures every query on every configuration and returns the report.
// Before measuring a query it runs it once on each configuration and checks
// that all results are equal (see MismatchError); then it times Runs runs of
// each configuration. It stops at the first error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	started := time.Now()
	rep := &Report{
		Machine: ThisMachine(), Started: started, Queries: cfg.Queries, Workers: cfg.Workers,
		Runs: cfg.Runs, Warmup: cfg.Warmup, Memory: memMethod, MemoryShort: memShort, LoadStart: loadAverage(),
		Check: fmt.Sprintf("every configuration's first warm-up result is compared with the reference's as a multiset of rows "+
			"(sorted canonically; non-float cells exactly, floats within %g relative or %g absolute); "+
			"every measured run must return the same number of rows", RelTol, AbsTol),
	}
	for _, m := range cfg.Modes {
		rep.Modes = append(rep.Modes, string(m))
	}
	info, err := dataInfo(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep.Data = info
	frame := engine.Read(cfg.Read, cfg.Data...)
	if err := frame.Err(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, qo: engine.QueryOptions{Tables: map[string]*engine.Frame{Table: frame}},
		pools: map[int]*proc.Pool{}, marker: map[int]string{}, checkedRows: map[string]int64{}}
	defer r.close()
	configs := cfg.configs()
	r.steps = len(cfg.Queries) * len(configs) * (cfg.Warmup + cfg.Runs)
	if memSupported {
		r.steps += len(cfg.Queries) * len(configs)
	}
	if slices.Contains(cfg.Modes, engine.Procs) {
		r.steps += 2 * len(cfg.Workers)
		for _, w := range cfg.Workers {
			cs, err := r.coldStart(ctx, w)
			if err != nil {
				return nil, err
			}
			rep.ColdStarts = append(rep.ColdStarts, cs)
		}
		r.close()
	}
	for _, q := range cfg.Queries {
		// Fresh worker processes for each query (started by its warm-up
		// runs), so that their peak memory is this query's alone.
		r.close()
		if err := r.check(ctx, q, configs); err != nil {
			return nil, err
		}
		ms, err := r.measure(ctx, q, configs)
		if err != nil {
			return nil, err
		}
		var seqMedian float64
		for i, c := range configs {
			m := ms[i]
			if c.mode == engine.Sequential {
				seqMedian = m.Median
			}
			if seqMedian > 0 && m.Median > 0 {
				m.Speedup = seqMedian / m.Median
				m.Efficiency = m.Speedup / float64(m.Workers)
			}
			if info.Rows > 0 && m.Median > 0 {
				m.RowsPerSec = float64(info.Rows) / m.Median
			}
			rep.Results = append(rep.Results, m)
		}
	}
	rep.Elapsed = time.Since(started).Seconds()
	rep.LoadEnd = loadAverage()
	return rep, nil
}

// dataInfo resolves the input and counts its rows (with a query when the
// format does not record them).
func dataInfo(ctx context.Context, cfg Config) (DataInfo, error) {
	dopts := dataset.Options{Format: cfg.Read.Format, TargetSplitBytes: cfg.Read.TargetSplitBytes}
	if cfg.Read.CSV != nil {
		dopts.CSV = *cfg.Read.CSV
	} else {
		dopts.CSV = source.CSVOptions{Header: true}
	}
	ds, err := dataset.Open(cfg.Data, dopts)
	if err != nil {
		return DataInfo{}, err
	}
	info := DataInfo{Paths: cfg.Data, Files: ds.Files, Format: string(ds.Format), Rows: ds.Rows, Bytes: ds.Bytes, Splits: len(ds.Splits)}
	if info.Rows < 0 {
		f := engine.Read(cfg.Read, cfg.Data...).Agg(engine.Count().As("n"))
		tbl, err := f.Collect(ctx, engine.Options{Mode: engine.Threads, Mem: cfg.Mem})
		if err != nil {
			return DataInfo{}, fmt.Errorf("bench: counting input rows: %w", err)
		}
		defer tbl.Release()
		info.Rows = -1
		if tbl.NumRows() == 1 {
			if v, err := strconv.ParseInt(cellText(tbl, 0, 0), 10, 64); err == nil {
				info.Rows = v
			}
		}
	}
	return info, nil
}

// close stops the procs pools, in parallel.
func (r *runner) close() {
	var wg sync.WaitGroup
	for w, p := range r.pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.Close()
		}()
		delete(r.pools, w)
	}
	wg.Wait()
}

// pool returns the procs pool of w workers, starting it (lazily: its
// processes start on first use) if needed.
func (r *runner) pool(w int) (*proc.Pool, error) {
	if p, ok := r.pools[w]; ok {
		return p, nil
	}
	r.poolID++
	marker := fmt.Sprintf("DFQ_BENCH_POOL=%d-%d", os.Getpid(), r.poolID)
	p, err := proc.NewPool(proc.Options{Workers: w, Command: r.cfg.WorkerCommand, Log: r.cfg.WorkerLog, Env: []string{marker}, Mem: r.cfg.Mem})
	if err != nil {
		return nil, err
	}
	r.pools[w], r.marker[w] = p, marker
	return p, nil
}

func (r *runner) options(c config) (engine.Options, error) {
	o := engine.Options{Mode: c.mode, Workers: c.workers, Mem: r.cfg.Mem}
	if c.mode == engine.Procs {
		p, err := r.pool(c.workers)
		if err != nil {
			return o, err
		}
		o.Pool = p
	}
	return o, nil
}

func (r *runner) progress(q string, c config, phase string, run, runs int) {
	r.step++
	if r.cfg.Progress != nil {
		r.cfg.Progress(Progress{Step: r.step, Steps: r.steps, Query: q, Mode: c.mode, Workers: c.workers, Phase: phase, Run: run, Runs: runs})
	}
}

// once runs q and returns its materialised result and wall time.
func (r *runner) once(ctx context.Context, q Query, o engine.Options) (arrow.Table, time.Duration, error) {
	t0 := time.Now()
	tbl, err := engine.QueryWith(ctx, q.SQL, r.qo, o)
	d := time.Since(t0)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: query %s (%s): %w", q.Name, configName(o.Mode, o.Workers), err)
	}
	return tbl, d, nil
}

// coldStart measures a new pool of w workers with the first query.
func (r *runner) coldStart(ctx context.Context, w int) (ColdStart, error) {
	q := r.cfg.Queries[0]
	c := config{engine.Procs, w}
	o, err := r.options(c)
	if err != nil {
		return ColdStart{}, err
	}
	cs := ColdStart{Workers: w, Query: q.Name}
	for i := range 2 {
		r.progress(q.Name, c, "cold-start", i+1, 2)
		tbl, d, err := r.once(ctx, q, o)
		if err != nil {
			return cs, err
		}
		tbl.Release()
		if i == 0 {
			cs.FirstQuery = d.Seconds()
			cs.Startup = o.Pool.Stats().LastQuery.Startup.Seconds()
		} else {
			cs.WarmQuery = d.Seconds()
		}
	}
	return cs, nil
}

// check runs the warm-up runs of q on every configuration and compares the
// first result of each with the first configuration's.
func (r *runner) check(ctx context.Context, q Query, configs []config) error {
	var ref *canon
	defer func() {
		if ref != nil {
			ref.release()
		}
	}()
	for i, c := range configs {
		o, err := r.options(c)
		if err != nil {
			return err
		}
		for run := range r.cfg.Warmup {
			r.progress(q.Name, c, "check", run+1, r.cfg.Warmup)
			tbl, _, err := r.once(ctx, q, o)
			if err != nil {
				return err
			}
			if run > 0 {
				tbl.Release()
				continue
			}
			if ResultHook != nil {
				tbl = ResultHook(q.Name, c.mode, c.workers, tbl)
			}
			got, err := canonicalize(tbl)
			tbl.Release()
			if err != nil {
				return fmt.Errorf("bench: query %s (%s): %w", q.Name, configName(c.mode, c.workers), err)
			}
			if i == 0 {
				ref = got
				continue
			}
			d := diff(ref, got)
			got.release()
			if d != "" {
				return &MismatchError{Query: q.Name, Mode: c.mode, Workers: c.workers,
					Reference: configName(configs[0].mode, configs[0].workers), Detail: d}
			}
		}
	}
	if ref != nil {
		r.checkedRows[q.Name] = int64(ref.rows)
	}
	return nil
}

// measure times the measured runs of q on c.
// measure times Runs runs of q on every configuration. The runs interleave
// the configurations (seq, threads, procs, seq, threads, ...) so that a burst
// of load from elsewhere on the machine falls on all of them alike rather
// than on whichever was being measured at the time.
func (r *runner) measure(ctx context.Context, q Query, configs []config) ([]Measurement, error) {
	ms := make([]Measurement, len(configs))
	opts := make([]engine.Options, len(configs))
	started0 := make([]int, len(configs))
	for i, c := range configs {
		ms[i] = Measurement{Query: q.Name, Mode: string(c.mode), Workers: c.workers, PeakRSS: -1, PeakRSSParent: -1, PeakRSSWorkers: -1}
		o, err := r.options(c)
		if err != nil {
			return nil, err
		}
		opts[i] = o
		if o.Pool != nil {
			started0[i] = o.Pool.Stats().Started
		}
	}
	for run := range r.cfg.Runs {
		for i, c := range configs {
			r.progress(q.Name, c, "run", run+1, r.cfg.Runs)
			if err := r.measureRun(ctx, q, c, opts[i], run, &ms[i]); err != nil {
				return nil, err
			}
		}
	}
	for i, o := range opts {
		if o.Pool != nil {
			ms[i].WorkersStarted = o.Pool.Stats().Started - started0[i]
		}
		ms[i].Median, ms[i].Min, ms[i].Max = summarize(ms[i].Times)
	}
	if memSupported {
		for i, c := range configs {
			r.progress(q.Name, c, "memory", 1, 1)
			if err := r.measureMemory(ctx, q, c, opts[i], &ms[i]); err != nil {
				return nil, err
			}
		}
	}
	return ms, nil
}

// measureRun times one run of q on c and adds it to m.
func (r *runner) measureRun(ctx context.Context, q Query, c config, o engine.Options, run int, m *Measurement) error {
	tbl, d, err := r.once(ctx, q, o)
	if err != nil {
		return err
	}
	n := tbl.NumRows()
	tbl.Release()
	if err := r.checkRows(q, c, n, fmt.Sprintf("measured run %d", run+1)); err != nil {
		return err
	}
	m.Times = append(m.Times, d.Seconds())
	m.ResultRows = n
	if o.Pool != nil {
		lq := o.Pool.Stats().LastQuery
		m.Shipped = &Traffic{ToWorkers: lq.BytesSent, FromWorkers: lq.BytesReceived, ResultFiles: lq.ResultFiles}
	}
	return nil
}

// measureMemory runs q on c once more, untimed, from a heap returned to the
// OS and a reset RSS high-water mark, and records its peak memory in m. The
// timed runs do not pay for that reset: regrowing the heap is page faults,
// more of them (and contended) on the parallel executors.
func (r *runner) measureMemory(ctx context.Context, q Query, c config, o engine.Options, m *Measurement) error {
	pids, ok := r.memPids(c)
	if !ok {
		return nil
	}
	tbl, _, err := r.once(ctx, q, o)
	if err != nil {
		return err
	}
	n := tbl.NumRows()
	tbl.Release()
	if err := r.checkRows(q, c, n, "the memory run"); err != nil {
		return err
	}
	peaks, err := readPeak(pids)
	if err != nil {
		return nil
	}
	var workers int64
	for _, p := range peaks[1:] {
		workers += p
	}
	total := peaks[0] + workers
	m.PeakRSSRuns = append(m.PeakRSSRuns, total)
	if total > m.PeakRSS {
		m.PeakRSS, m.PeakRSSParent, m.PeakRSSWorkers = total, peaks[0], workers
	}
	return nil
}

// checkRows compares the rows a run of q on c returned with its checked run.
func (r *runner) checkRows(q Query, c config, n int64, what string) error {
	if want := r.checkedRows[q.Name]; n != want {
		return &MismatchError{Query: q.Name, Mode: c.mode, Workers: c.workers, Reference: "its checked run",
			Detail: fmt.Sprintf("%s returned %d rows, the checked run %d", what, n, want)}
	}
	return nil
}

// memPids prepares a peak-memory measurement of the next run of c: it
// collects garbage, returns free memory to the OS and resets the peak RSS
// of this process and, for procs, of the pool's workers. It returns the pids
// to read back (0 for this process) and whether the reset worked.
func (r *runner) memPids(c config) ([]int, bool) {
	if !memSupported {
		return nil, false
	}
	runtime.GC()
	debug.FreeOSMemory()
	pids := []int{0}
	if c.mode == engine.Procs {
		kids, err := childrenWith(r.marker[c.workers])
		if err != nil {
			return nil, false
		}
		pids = append(pids, kids...)
	}
	if err := resetPeak(pids); err != nil {
		return nil, false
	}
	return pids, true
}

// summarize returns the median, minimum and maximum of xs.
func summarize(xs []float64) (median, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	median = s[n/2]
	if n%2 == 0 {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return median, s[0], s[n-1]
}

// cellText returns the text of one cell of tbl.
func cellText(tbl arrow.Table, col, row int) string {
	off := row
	for _, chunk := range tbl.Column(col).Data().Chunks() {
		if off < chunk.Len() {
			return sink.FormatValue(chunk, off)
		}
		off -= chunk.Len()
	}
	return ""
}
