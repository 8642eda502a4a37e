package agg

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Spec names an aggregate call. It is plain data and serialises to JSON.
//
// Func is one of: count_star (no argument), count, sum, avg, min, max,
// var_samp, var_pop, stddev_samp, stddev_pop, median, quantile_cont (Param is
// the quantile in [0,1]), corr (two arguments). Distinct applies to count, sum
// and avg.
type Spec struct {
	Func     string  `json:"func"`
	Distinct bool    `json:"distinct,omitempty"`
	Param    float64 `json:"param,omitempty"`
}

// Func is an aggregate function resolved for its argument types. It is
// immutable and safe for concurrent use; accumulators hold all state.
type Func interface {
	// Result is the type of the final value.
	Result() arrow.DataType
	// State lists the types of the partial-state columns, one row per group.
	State() []arrow.DataType
	// NewAcc returns an empty grouped accumulator.
	NewAcc(mem memory.Allocator) Acc
}

// Acc is a grouped accumulator: it holds one partial state per group id.
// Group ids are dense, 0..n-1; calls may introduce new ids, and the accumulator
// grows to hold them. An Acc is used by one goroutine at a time.
type Acc interface {
	// Update folds rows into their groups: groups[i] is the group of row i and n
	// the number of groups after this batch (every id < n). args are the
	// argument columns, one per declared argument; a utf8 column may be a
	// dictionary array. NULL arguments are skipped, as in SQL.
	Update(groups []uint32, n int, args []arrow.Array) error
	// Merge folds partial states (columns of the types in Func.State, one row per
	// incoming partial group) into groups: row i goes to groups[i].
	Merge(groups []uint32, n int, state []arrow.Array) error
	// State returns the partial state of every group 0..n-1 as columns of the
	// types in Func.State. The caller releases them.
	State(mem memory.Allocator) ([]arrow.Array, error)
	// Final returns the final value of every group 0..n-1. The caller releases it.
	Final(mem memory.Allocator) (arrow.Array, error)
	// Bytes estimates the memory held, for memory limits.
	Bytes() int64
	// Release frees the accumulator's memory.
	Release()
}

// Names returns the supported function names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// New resolves spec for arguments of the given logical types. A dictionary
// type is taken as its value type: a utf8 argument may arrive at Update time as
// either a plain or a dictionary array. Errors name the call, as in
// "sum(utf8): sum needs a numeric argument", and unwrap to ErrUnknown or
// ErrType.
func New(spec Spec, args []arrow.DataType) (Func, error) {
	name := strings.ToLower(strings.TrimSpace(spec.Func))
	args = logicalTypes(args)
	c := &call{name: name, spec: spec, args: args}
	r, ok := registry[name]
	if !ok {
		return nil, unknown(spec.Func)
	}
	if len(args) != r.arity {
		return nil, c.errorf("%s takes %s, got %d", name, plural(r.arity, "argument"), len(args))
	}
	for i, t := range args {
		if t == nil {
			return nil, c.errorf("argument %d has no type", i+1)
		}
	}
	if spec.Distinct && !r.distinct {
		return nil, c.errorf("%s does not take DISTINCT", name)
	}
	if r.param {
		if !(spec.Param >= 0 && spec.Param <= 1) {
			return nil, c.errorf("the quantile must be in [0, 1], got %v", spec.Param)
		}
	} else if spec.Param != 0 {
		return nil, c.errorf("%s takes no parameter, got %v", name, spec.Param)
	}
	return r.resolve(c)
}

// ErrUnknown is returned (wrapped) by New for an unknown function name.
var ErrUnknown = errors.New("unknown aggregate function")

// ErrType is returned (wrapped) by New when the arguments do not fit the
// function, and by Update and Merge when columns do not fit the declared types.
var ErrType = errors.New("aggregate argument mismatch")

// ErrOverflow is returned (wrapped) when an exact result does not fit its type.
var ErrOverflow = errors.New("aggregate overflow")

// Error is an error about one aggregate call. Its message starts with the call,
// e.g. "sum(utf8): ...", and it unwraps to ErrType, ErrOverflow or another
// cause.
type Error struct {
	Call string // the call, e.g. "sum(utf8)"
	Msg  string
	Err  error
}

func (e *Error) Error() string { return e.Call + ": " + e.Msg }

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Err }

// call is the resolved signature of an aggregate call, used for errors.
type call struct {
	name string
	spec Spec
	args []arrow.DataType
}

// String renders the call as in SQL: "sum(DISTINCT int64)", "quantile_cont(float64, 0.9)".
func (c *call) String() string {
	var b strings.Builder
	b.WriteString(c.name)
	b.WriteByte('(')
	if c.spec.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, t := range c.args {
		if i > 0 {
			b.WriteString(", ")
		}
		if t == nil {
			b.WriteString("?")
		} else {
			b.WriteString(t.String())
		}
	}
	if r, ok := registry[c.name]; ok && r.param {
		fmt.Fprintf(&b, ", %v", c.spec.Param)
	}
	b.WriteByte(')')
	return b.String()
}

func (c *call) errorf(format string, a ...any) error {
	return &Error{Call: c.String(), Msg: fmt.Sprintf(format, a...), Err: ErrType}
}

func (c *call) overflow(format string, a ...any) error {
	return &Error{Call: c.String(), Msg: fmt.Sprintf(format, a...), Err: ErrOverflow}
}

// entry describes one function for New.
type entry struct {
	arity    int
	distinct bool // DISTINCT accepted
	param    bool // Spec.Param is the quantile
	resolve  func(c *call) (Func, error)
}

var registry map[string]entry

func init() {
	registry = map[string]entry{
		"count_star":    {arity: 0, resolve: newCountStar},
		"count":         {arity: 1, distinct: true, resolve: newCount},
		"sum":           {arity: 1, distinct: true, resolve: newSum},
		"avg":           {arity: 1, distinct: true, resolve: newSum},
		"min":           {arity: 1, distinct: true, resolve: newMinMax},
		"max":           {arity: 1, distinct: true, resolve: newMinMax},
		"var_samp":      {arity: 1, resolve: newMoments},
		"var_pop":       {arity: 1, resolve: newMoments},
		"stddev_samp":   {arity: 1, resolve: newMoments},
		"stddev_pop":    {arity: 1, resolve: newMoments},
		"median":        {arity: 1, resolve: newQuantile},
		"quantile_cont": {arity: 1, param: true, resolve: newQuantile},
		"corr":          {arity: 2, resolve: newCorr},
	}
}

// aliases maps names users often try to the supported function, for suggestions.
var aliases = map[string]string{
	"mean": "avg", "average": "avg", "stddev": "stddev_samp", "std": "stddev_samp",
	"variance": "var_samp", "var": "var_samp", "quantile": "quantile_cont",
	"percentile_cont": "quantile_cont", "percentile": "quantile_cont", "count(*)": "count_star",
	"correlation": "corr",
}

func unknown(name string) error {
	lower := strings.ToLower(strings.TrimSpace(name))
	best := aliases[lower]
	if best == "" {
		bestD := len(lower)/3 + 2
		for _, cand := range Names() {
			if d := editDistance(lower, cand); d < bestD {
				best, bestD = cand, d
			}
		}
	}
	if best != "" {
		return fmt.Errorf("%w %q (did you mean %q?)", ErrUnknown, name, best)
	}
	return fmt.Errorf("%w %q (supported: %s)", ErrUnknown, name, strings.Join(Names(), ", "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func plural(n int, word string) string {
	switch n {
	case 0:
		return "no " + word + "s"
	case 1:
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// logicalTypes replaces dictionary types by their value types.
func logicalTypes(ts []arrow.DataType) []arrow.DataType {
	out := make([]arrow.DataType, len(ts))
	for i, t := range ts {
		out[i] = logical(t)
	}
	return out
}

func logical(t arrow.DataType) arrow.DataType {
	if d, ok := t.(*arrow.DictionaryType); ok {
		return d.ValueType
	}
	return t
}
