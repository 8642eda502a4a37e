package dataset

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// expand resolves inputs into a list of files, in input order.
func expand(inputs []string) ([]string, error) {
	if len(inputs) == 0 {
		return nil, errors.New("dataset: no input files")
	}
	seen := make(map[string]bool)
	var out []string
	add := func(p string) {
		if c := filepath.Clean(p); !seen[c] {
			seen[c] = true
			out = append(out, p)
		}
	}
	for _, in := range inputs {
		if hasMeta(in) {
			matches, err := glob(in)
			if err != nil {
				return nil, fmt.Errorf("dataset: %q: %w", in, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("dataset: no files match %q", in)
			}
			for _, m := range matches {
				add(m)
			}
			continue
		}
		st, err := os.Stat(in)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		if !st.IsDir() {
			add(in)
			continue
		}
		files, err := walkDir(in)
		if err != nil {
			return nil, fmt.Errorf("dataset: %w", err)
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("dataset: no .parquet, .arrow or .csv files (or other known extensions) in directory %q", in)
		}
		for _, f := range files {
			add(f)
		}
	}
	return out, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// walkDir lists the files with a known extension below dir, skipping names
// that start with ".".
func walkDir(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			if _, ok := formatByExt(p); ok {
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// glob returns the regular files matching pattern, sorted. A "**" segment
// matches any number (including zero) of directories; below the pattern's
// fixed prefix, names starting with "." are skipped when "**" is used.
func glob(pattern string) ([]string, error) {
	if !strings.Contains(pattern, "**") {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return nil, err
		}
		return regularFiles(matches), nil
	}
	segs := strings.Split(filepath.ToSlash(pattern), "/")
	for _, s := range segs {
		if _, err := filepath.Match(s, ""); err != nil {
			return nil, err
		}
	}
	i := 0
	for i < len(segs) && !hasMeta(segs[i]) {
		i++
	}
	root := filepath.FromSlash(strings.Join(segs[:i], "/"))
	switch {
	case i == 1 && segs[0] == "":
		root = string(filepath.Separator)
	case root == "":
		root = "."
	}
	rest := segs[i:]
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if matchSegments(rest, strings.Split(filepath.ToSlash(rel), "/")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

func matchSegments(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for k := 0; k <= len(name); k++ {
			if matchSegments(pat[1:], name[k:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, _ := filepath.Match(pat[0], name[0])
	return ok && matchSegments(pat[1:], name[1:])
}

func regularFiles(paths []string) []string {
	out := paths[:0]
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}
