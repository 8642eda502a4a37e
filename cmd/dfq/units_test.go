package main

import (
	"testing"
	"unsafe"

	"github.com/dfq/dfq/engine/recycle"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{"0", 0, false},
		{"1048576", 1 << 20, false},
		{"4GiB", 4 << 30, false},
		{"4gib", 4 << 30, false},
		{"4G", 4 << 30, false},
		{"4GB", 4e9, false},
		{"512MiB", 512 << 20, false},
		{"512 MB", 512e6, false},
		{"1.5GiB", 3 << 29, false},
		{"100k", 100 << 10, false},
		{"2TiB", 2 << 40, false},
		{"10B", 10, false},
		{"", 0, true},
		{"GiB", 0, true},
		{"4XB", 0, true},
		{"-1GiB", 0, true},
		{"1.2.3", 0, true},
		{"99999999999TiB", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSize(tc.in)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{4 << 30, "4.0 GiB"},
		{5 << 40, "5.0 TiB"},
		{3 << 50, "3072.0 TiB"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			require.Equal(t, tc.want, formatBytes(tc.in))
		})
	}
}

// TestBudget checks the accounting and the refusal of the memory budget.
func TestBudget(t *testing.T) {
	mem := memory.NewCheckedAllocator(recycle.New(recycle.Options{Poison: true}))
	defer mem.AssertSize(t, 0)
	b := newBudget(mem, 1000)
	x := b.Allocate(600)
	x = b.Reallocate(800, x)
	require.Equal(t, int64(800), b.used.Load())
	require.Nil(t, b.Refused())
	require.PanicsWithError(t, "memory limit 1000 B exceeded (allocating 300 B with 800 B in use); raise --memory-limit or use a smaller query",
		func() { b.Allocate(300) })
	require.NotNil(t, b.Refused())
	require.Equal(t, int64(800), b.used.Load(), "a refused allocation is not counted")
	y := b.Allocate(200)
	b.Free(x)
	b.Free(y)
	require.Equal(t, int64(0), b.used.Load())
	require.Equal(t, int64(1000), b.Peak())

	unlimited := newBudget(mem, 0)
	z := unlimited.Allocate(1 << 20)
	unlimited.Free(z)
	require.Equal(t, int64(1<<20), unlimited.Peak())
	require.Nil(t, unlimited.Refused())
}

// TestBudgetUninit: the budget passes AllocateUninit on to a recycling
// base, which hands back a reused buffer uncleared, and counts it; over a
// base that cannot, the memory comes from Allocate, cleared.
func TestBudgetUninit(t *testing.T) {
	base := recycle.New(recycle.Options{Poison: true})
	b := newBudget(base, 1<<20)
	x := b.AllocateUninit(8000)
	require.Equal(t, int64(8000), b.used.Load())
	reused := false
	for try := 0; try < 100 && !reused; try++ {
		b.Free(x)
		y := b.AllocateUninit(8000)
		reused = unsafe.SliceData(y) == unsafe.SliceData(x)
		if reused {
			require.Equal(t, byte(recycle.PoisonByte), y[0], "not cleared")
		}
		x = y
	}
	require.True(t, reused)
	b.Free(x)
	require.Zero(t, b.used.Load())
	require.PanicsWithError(t, "memory limit 1.0 MiB exceeded (allocating 2.0 MiB with 0 B in use); raise --memory-limit or use a smaller query",
		func() { b.AllocateUninit(2 << 20) })

	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	plain := newBudget(mem, 0)
	z := plain.AllocateUninit(100)
	require.Equal(t, make([]byte, 100), z)
	plain.Free(z)
}

func TestSplitScript(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"one", "SELECT 1", []string{"SELECT 1"}},
		{"two", "SELECT 1; SELECT 2;", []string{"SELECT 1;", "          SELECT 2;"}},
		{"quotes and comments", "SELECT ';' AS \"a;b\"; -- x;y\nSELECT 2 /* ; */",
			[]string{`SELECT ';' AS "a;b";`, "                     -- x;y\nSELECT 2 /* ; */"}},
		{"doubled quotes", "SELECT 'it''s; fine'; SELECT 3", []string{"SELECT 'it''s; fine';", "                      SELECT 3"}},
		{"empty statements", ";;SELECT 1;;\n", []string{"  SELECT 1;"}},
		{"multi-byte characters keep columns", "SELECT 'é'; SELECT 2", []string{"SELECT 'é';", "            SELECT 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitScript(tc.src)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	t.Run("syntax error points into the script", func(t *testing.T) {
		_, err := splitScript("SELECT 1;\nSELECT FROM")
		require.Error(t, err)
		require.Contains(t, err.Error(), "line 2")
	})
}
