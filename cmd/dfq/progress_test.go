package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the bar's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fastProgress makes the bar appear at once and redraw often.
func fastProgress(t *testing.T) {
	prevDelay, prevTick := progressDelay, tickEvery
	progressDelay, tickEvery = 0, time.Millisecond
	t.Cleanup(func() { progressDelay, tickEvery = prevDelay, prevTick })
}

func TestProgressBar(t *testing.T) {
	t.Run("drawn, updated and erased", func(t *testing.T) {
		fastProgress(t)
		var buf syncBuffer
		p := startProgress(&buf)
		p.Update(0, 8, 0)
		require.Eventually(t, func() bool { return strings.Contains(buf.String(), "0/8 splits, 0 B read") }, 5*time.Second, time.Millisecond)
		p.Update(6, 8, 3<<20)
		require.Eventually(t, func() bool { return strings.Contains(buf.String(), "6/8 splits, 3.0 MiB read  75% |") }, 5*time.Second, time.Millisecond)
		p.Stop()
		require.True(t, p.Shown())
		// The last thing written erases the line.
		require.True(t, strings.HasSuffix(buf.String(), "\r"), "%q", buf.String())
	})
	t.Run("not drawn for a quick query", func(t *testing.T) {
		var buf syncBuffer
		p := startProgress(&buf)
		p.Update(0, 8, 0)
		p.Update(8, 8, 100)
		p.Stop()
		require.False(t, p.Shown())
		require.Empty(t, buf.String())
	})
	t.Run("waits for the total", func(t *testing.T) {
		fastProgress(t)
		var buf syncBuffer
		p := startProgress(&buf)
		time.Sleep(20 * time.Millisecond)
		require.False(t, p.Shown())
		p.Stop()
		require.Empty(t, buf.String())
	})
}

// TestProgressFlag runs a long query with each --progress setting.
func TestProgressFlag(t *testing.T) {
	fastProgress(t)
	path := h2oData(t)
	query := "SELECT id3, sum(v1) AS v1 FROM '" + path + "' GROUP BY id3 ORDER BY v1 DESC, id3 LIMIT 2"
	want := ok(t, "", "--progress", "off", query)
	for _, tc := range []struct {
		name     string
		args     []string
		terminal bool
		bar      bool
	}{
		{"on", []string{"--progress", "on"}, false, true},
		{"auto on a terminal", nil, true, true},
		{"auto when piped", nil, false, false},
		{"off on a terminal", []string{"--progress", "off"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prev := isTerminal
			isTerminal = func(any) bool { return tc.terminal }
			defer func() { isTerminal = prev }()
			// The query's output is CSV either way (stdout is a buffer).
			r := dfq(t, "", append([]string{"query", "--mode", "threads", "--workers", "2", "--format", "csv", query}, tc.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			require.Equal(t, want, r.stdout)
			if tc.bar {
				require.Contains(t, r.stderr, " splits")
			} else {
				require.Empty(t, r.stderr)
			}
		})
	}
}
