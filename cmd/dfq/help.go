package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/dfq/dfq/engine/sql"
)

// command describes a subcommand for help.
type command struct {
	name     string
	summary  string // one line
	usage    string // synopsis after "dfq "
	details  string // paragraphs shown by "dfq help NAME" before the flags
	examples []string
	flags    string // the flag list, as shown by -h
}

// commands lists the subcommands in the order help shows them.
var commands = []command{
	{
		name:    "query",
		summary: "run SQL over Parquet, Arrow IPC and CSV files",
		usage:   `query [flags] "SQL" | -f FILE.sql | -   (or just: dfq "SQL")`,
		details: `Files are named in FROM as quoted paths or globs ('data/*.parquet'), or with
read_parquet(...), read_csv('f.csv', delim => ';', nullstr => 'NA') and read_arrow(...).
Several statements separated by ';' run in order. The SQL comes from the arguments,
from -f FILE, or from standard input ('-', or no SQL and standard input not a terminal).
SELECT, EXPLAIN [ANALYZE], DESCRIBE and COPY (query) TO 'file' are supported.

Output: a table on a terminal (the first and last rows of long results), CSV when piped.
CSV has a header row; NULL is an empty field, booleans are true/false, dates
YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS[.fraction], floats the shortest text that
reads back the same; fields are quoted as RFC 4180 says. -o FILE writes a file whose
format comes from its extension (.csv .tsv .json .jsonl .md .parquet .arrow .arrows),
replacing it only once the query has succeeded.

--memory-limit caps the Arrow buffers the query allocates in this process (column
data read, intermediate results, hash table payloads built as Arrow arrays and the
output); Go-heap structures such as hash table indexes are not counted, and in --mode
procs each worker process has no limit of its own. A query that needs more fails with
"memory limit ... exceeded" instead of the process being killed.`,
		examples: []string{
			`dfq "SELECT id1, sum(v1) AS v1 FROM 'data/*.parquet' GROUP BY id1 ORDER BY id1"`,
			`dfq query --mode procs --workers 4 --timer -f q.sql`,
			`dfq "SELECT * FROM read_csv('x.csv', nullstr => 'NA') WHERE v > 1" -o out.parquet`,
			`echo "SELECT count(*) FROM 'x.parquet'" | dfq query --format json`,
		},
		flags: queryFlagHelp,
	},
	{
		name:    "explain",
		summary: "show how a query would run (or ran, with --analyze)",
		usage:   `explain [--analyze] [flags] "SQL"`,
		details: `Prints the plan: what the scan reads (files, splits, columns, predicates used to
skip row groups), the stages and the output schema. With --analyze the query runs
(its rows are discarded) and each stage reports its partitions, rows and time.
EXPLAIN and EXPLAIN ANALYZE statements through dfq query do the same.`,
		examples: []string{
			`dfq explain "SELECT id1, count(*) FROM 'x.parquet' WHERE id4 < 10 GROUP BY id1"`,
			`dfq explain --analyze --mode seq "SELECT * FROM 'x.parquet' WHERE id6 = 42"`,
		},
		flags: explainFlagHelp,
	},
	{
		name:    "describe",
		summary: "list files' columns, types and nullability, with rows, row groups and size",
		usage:   "describe [--format F] FILE|GLOB...",
		examples: []string{
			`dfq describe data/x.parquet data/x.csv`,
			`dfq describe --format csv 'data/*.parquet'`,
		},
		flags: describeFlagHelp,
	},
	{
		name:    "meta",
		summary: "show a Parquet file's row groups and column chunks (encodings, sizes, min/max, NULLs)",
		usage:   "meta [--format F] FILE.parquet...",
		examples: []string{
			`dfq meta data/x.parquet`,
			`dfq meta --format csv data/x.parquet > chunks.csv`,
		},
		flags: describeFlagHelp,
	},
	genHelp,
	benchHelp,
	{
		name:     "demo",
		summary:  "generate h2o sample data and run example queries on each executor",
		usage:    "demo [--rows N] [--dir DIR] [--workers N]",
		examples: []string{`dfq demo --rows 1000000`},
		flags: `  --rows N                   rows of h2o sample data to generate (default 2000000)
  --dir DIR                  where to keep the generated data (default data/demo)
  --workers N                goroutines for the threads executor (default: CPUs)
  -h, --help                 show this help
`,
	},
	{
		name:     "help",
		summary:  "show this help, or a command's help",
		usage:    "help [COMMAND]",
		examples: []string{`dfq help query`},
	},
}

// usage is the text of "dfq help".
func usage() string {
	var b strings.Builder
	b.WriteString("dfq: SQL and dataframe queries over Parquet, Arrow and CSV files, in parallel.\n\n")
	b.WriteString("Usage:\n  dfq \"SQL\"                 run a query (same as dfq query \"SQL\")\n")
	b.WriteString("  dfq <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nExamples:\n")
	for _, c := range commands {
		if len(c.examples) > 0 && c.name != "help" {
			fmt.Fprintf(&b, "  %s\n", c.examples[0])
		}
	}
	b.WriteString("\nRun 'dfq help <command>' or 'dfq <command> -h' for a command's flags.\n")
	b.WriteString("Exit status: 0 success, 1 query or data error, 2 usage error, 130 interrupted.\n")
	return b.String()
}

// commandHelp is the text of "dfq help NAME" and "dfq NAME -h".
func commandHelp(name string) string {
	for _, c := range commands {
		if c.name != name {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "dfq %s: %s\n\nUsage:\n  dfq %s\n", c.name, c.summary, c.usage)
		if c.details != "" {
			fmt.Fprintf(&b, "\n%s\n", c.details)
		}
		if c.flags != "" {
			fmt.Fprintf(&b, "\nFlags:\n%s", c.flags)
		}
		if len(c.examples) > 0 {
			b.WriteString("\nExamples:\n")
			for _, e := range c.examples {
				fmt.Fprintf(&b, "  %s\n", e)
			}
		}
		return b.String()
	}
	return ""
}

func runHelp(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage())
		return nil
	}
	if len(args) > 1 {
		return usagef("help takes at most one command name")
	}
	h := commandHelp(args[0])
	if h == "" {
		return unknownCommand(args[0])
	}
	fmt.Fprint(stdout, h)
	return nil
}

// unknownCommand is the usage error for a first argument that is neither a
// command nor SQL.
func unknownCommand(name string) error {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	if s := sql.Suggest(name, names); s != "" {
		return usagef("unknown command %q (did you mean %s?)", name, s)
	}
	return usagef("unknown command %q; to run SQL, quote it: dfq \"SELECT ...\"", name)
}

// sqlStarts are the keywords a statement may begin with.
var sqlStarts = []string{"select", "with", "explain", "describe", "copy", "from", "("}

// looksLikeSQL reports whether arg reads as a SQL statement rather than a
// command name.
func looksLikeSQL(arg string) bool {
	s := strings.ToLower(strings.TrimSpace(arg))
	for strings.HasPrefix(s, "--") || strings.HasPrefix(s, "/*") {
		// Leading comments.
		end := "\n"
		if strings.HasPrefix(s, "/*") {
			end = "*/"
		}
		i := strings.Index(s, end)
		if i < 0 {
			return false
		}
		s = strings.TrimSpace(s[i+len(end):])
	}
	for _, k := range sqlStarts {
		if strings.HasPrefix(s, k) {
			rest := s[len(k):]
			if k == "(" || rest == "" || !isWordByte(rest[0]) {
				return true
			}
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
