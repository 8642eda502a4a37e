package main

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressDelay is how long a query runs before its progress bar appears;
// tickEvery how often the bar is redrawn. Tests shorten them.
var (
	progressDelay = time.Second
	tickEvery     = 150 * time.Millisecond
)

// progress draws a bar on w for a query that runs longer than progressDelay,
// driven by the engine's split callback (Update). Start it before the query
// and Stop it, which erases the bar, before writing the result.
type progress struct {
	w           io.Writer
	done, total atomic.Int64
	bytes       atomic.Int64
	stop        chan struct{}
	wg          sync.WaitGroup
	shown       atomic.Bool
}

func startProgress(w io.Writer) *progress {
	p := &progress{w: w, stop: make(chan struct{})}
	p.wg.Add(1)
	go p.loop()
	return p
}

// Update is the engine's Options.Progress callback.
func (p *progress) Update(done, total int, bytes int64) {
	p.done.Store(int64(done))
	p.total.Store(int64(total))
	p.bytes.Store(bytes)
}

// Stop erases the bar (if shown) and returns once it is gone.
func (p *progress) Stop() {
	close(p.stop)
	p.wg.Wait()
}

// Shown reports whether the bar was drawn.
func (p *progress) Shown() bool { return p.shown.Load() }

func (p *progress) loop() {
	defer p.wg.Done()
	wait := time.NewTimer(progressDelay)
	defer wait.Stop()
	select {
	case <-p.stop:
		return
	case <-wait.C:
	}
	tick := time.NewTicker(tickEvery)
	defer tick.Stop()
	var bar *progressbar.ProgressBar
	lastDone, lastBytes := int64(-1), int64(-1)
	for {
		total := p.total.Load()
		if bar == nil && total > 0 {
			bar = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetWidth(30),
				progressbar.OptionUseANSICodes(true),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionSetElapsedTime(true),
			)
			p.shown.Store(true)
		}
		if bar != nil {
			if total != bar.GetMax64() {
				bar.ChangeMax64(total)
			}
			done, bytes := min(p.done.Load(), total), p.bytes.Load()
			if done != lastDone || bytes != lastBytes {
				lastDone, lastBytes = done, bytes
				// Describe draws the bar; Set64 draws it again with the new
				// count (and, at the end, for the last time).
				bar.Describe(fmt.Sprintf("%d/%d splits, %s read", done, total, formatBytes(bytes)))
				_ = bar.Set64(done)
			}
		}
		select {
		case <-p.stop:
			if bar != nil {
				_ = bar.Exit()
				_ = bar.Clear()
			}
			return
		case <-tick.C:
		}
	}
}
