package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("bench: writing JSON: %w", err)
	}
	return nil
}

// WriteText writes the report as a text table: the machine and data, the
// procs cold-start costs, then one line per query and configuration.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	m := rep.Machine
	fmt.Fprintf(&b, "machine: %s, %d cores, %s memory, %s %s/%s", orUnknown(m.CPU), m.Cores, bytesText(m.Memory), m.GoVersion, m.OS, m.Arch)
	if m.GOAMD64 != "" {
		fmt.Fprintf(&b, " GOAMD64=%s", m.GOAMD64)
	}
	if m.Commit != "" {
		c := m.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if m.Modified {
			c += "+dirty"
		}
		fmt.Fprintf(&b, ", dfq %s", c)
	}
	fmt.Fprintf(&b, "\ndata: %s (%s, %d rows, %s, %d splits)\n", strings.Join(rep.Data.Files, ", "), rep.Data.Format, rep.Data.Rows, bytesText(rep.Data.Bytes), rep.Data.Splits)
	fmt.Fprintf(&b, "runs: %d measured after %d warm-up; times are wall clock from the file to the materialised result\n", rep.Runs, rep.Warmup)
	if len(rep.LoadStart) == 3 && len(rep.LoadEnd) == 3 {
		fmt.Fprintf(&b, "load average: %.2f at start, %.2f at end (1 minute); %s in all\n", rep.LoadStart[0], rep.LoadEnd[0], seconds(rep.Elapsed))
	}
	for _, cs := range rep.ColdStarts {
		fmt.Fprintf(&b, "procs cold start, %d worker(s): pool start %s; first %s %s, warm %s\n", cs.Workers,
			seconds(cs.Startup), cs.Query, seconds(cs.FirstQuery), seconds(cs.WarmQuery))
	}
	b.WriteByte('\n')
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "query\tmode\tworkers\tmedian\tmin\tmax\tspeedup\tefficiency\trows/s\tpeak RSS\tresult rows\t\n")
	last := ""
	for _, r := range rep.Results {
		q := r.Query
		if q == last {
			q = ""
		}
		last = r.Query
		speed, eff := "-", "-"
		if r.Speedup > 0 {
			speed, eff = fmt.Sprintf("%.2fx", r.Speedup), fmt.Sprintf("%.0f%%", 100*r.Efficiency)
		}
		rss := "-"
		if r.PeakRSS >= 0 {
			rss = bytesText(r.PeakRSS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", q, r.Mode, r.Workers,
			seconds(r.Median), seconds(r.Min), seconds(r.Max), speed, eff, rateText(r.RowsPerSec), rss, r.ResultRows)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\npeak RSS: %s\n", rep.MemoryShort)
	writeTraffic(&b, rep.Results)
	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown CPU"
	}
	return s
}

// seconds renders a duration given in seconds with three significant digits.
func seconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= time.Second:
		return sig3(s) + "s"
	case d >= time.Millisecond:
		return sig3(s*1e3) + "ms"
	}
	return sig3(s*1e6) + "µs"
}

// writeTraffic lists what each procs configuration of each query moved
// between processes in its last measured run.
func writeTraffic(b *strings.Builder, results []Measurement) {
	head := false
	last := ""
	for _, r := range results {
		if r.Shipped == nil {
			continue
		}
		if !head {
			b.WriteString("bytes between dfq and its workers per query (procs, last measured run), to workers / back:\n")
			head = true
		}
		if r.Query != last {
			if last != "" {
				b.WriteByte('\n')
			}
			fmt.Fprintf(b, "  %s:", r.Query)
			last = r.Query
		} else {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, " %d worker(s) %s / %s", r.Workers, bytesText(r.Shipped.ToWorkers), bytesText(r.Shipped.FromWorkers))
		if r.Shipped.ResultFiles > 0 {
			fmt.Fprintf(b, " (%d result files)", r.Shipped.ResultFiles)
		}
	}
	if head {
		b.WriteByte('\n')
	}
}

// sig3 renders v with three significant digits, without an exponent
// (1010, not 1.01e+03).
func sig3(v float64) string {
	s := strconv.FormatFloat(v, 'g', 3, 64)
	if strings.ContainsRune(s, 'e') {
		s = strconv.FormatFloat(v, 'f', 0, 64)
	}
	return s
}

// bytesText renders a byte count in binary units.
func bytesText(n int64) string {
	if n <= 0 {
		return "?"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n), 0
	for v >= unit && u < 4 {
		v /= unit
		u++
	}
	return fmt.Sprintf("%s %ciB", sig3(v), "KMGT"[u-1])
}

// rateText renders rows per second as 12.3M.
func rateText(r float64) string {
	switch {
	case r <= 0:
		return "-"
	case r >= 1e9:
		return fmt.Sprintf("%.3gG", r/1e9)
	case r >= 1e6:
		return fmt.Sprintf("%.3gM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.3gk", r/1e3)
	}
	return fmt.Sprintf("%.3g", r)
}
